"""Check-in: the rotating code shown by the secretary, and every way a member gets counted.

Rules 5 and 6 of the spec live here: only expected attendees, inside the window, with a
current token; one attendance per member and activity (a unique key, and a savepoint so a
race answers with the row that won); `late` after start + N minutes; an optional geofence;
a device other than the usual one is flagged, not refused; points awarded exactly once.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.activities import code_budget, tokens
from app.activities.models import SHEET_STATUS_LABELS, Activity, Attendance
from app.activities.services import (
    can_run_checkin,
    get_activity,
    get_managed_activity,
    is_expected,
    late_at,
    member_expected_condition,
)
from app.auth import Principal
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.points import services as points

EARTH_RADIUS_M = 6_371_008.8
ATTENDANCE_POINT_ACTIONS = {"present": "attendance_present", "late": "attendance_late"}


def scan_url(token: str) -> str:
    """What the QR code encodes: PUBLIC_BASE_URL/c/<token>."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/c/{token}"


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# --- state checks shared by every path ------------------------------------------------------


def check_open_state(activity: Activity) -> None:
    """Cancelled → 410; not yet published → 409."""
    if activity.status == "cancelled":
        raise APIError(410, "checkin.activity_cancelled", "活动已取消，无法签到")
    if activity.status != "published":
        raise APIError(409, "checkin.activity_not_published", "活动尚未发布，无法签到")


def check_window(activity: Activity, now: datetime) -> None:
    """Inside [opens, closes): else 409 not open yet / 410 closed."""
    if now < activity.checkin_opens_at:
        raise APIError(
            409,
            "checkin.window_not_open",
            "签到尚未开始",
            {"opens_at": _local(activity.checkin_opens_at)},
        )
    if now >= activity.checkin_closes_at:
        raise APIError(
            410,
            "checkin.window_closed",
            "签到已结束",
            {"closed_at": _local(activity.checkin_closes_at)},
        )


def _local(value: datetime) -> str:
    from app.timeutil import to_local

    return to_local(value).isoformat()


def _require_expected(activity: Activity, member: Member) -> None:
    if not is_expected(activity, member):
        raise APIError(403, "checkin.not_expected", "您不是本次活动的参加对象，无法签到")


def _check_geofence(activity: Activity, data: dict[str, Any]) -> float | None:
    lat, lng = data.get("lat"), data.get("lng")
    if activity.geofence_lat is None:
        return None
    if lat is None or lng is None:
        raise APIError(
            400,
            "checkin.location_required",
            "本活动需要定位签到，请允许小程序获取位置后重试",
            {"fields": {"lat": ["必填项"], "lng": ["必填项"]}},
        )
    dist = distance_m(activity.geofence_lat, activity.geofence_lng, lat, lng)
    if dist > activity.geofence_radius_m:
        raise APIError(
            403,
            "checkin.outside_geofence",
            f"您不在活动地点附近（距离约{round(dist)}米），无法签到",
            {"distance_m": round(dist), "radius_m": activity.geofence_radius_m},
        )
    return dist


def existing_attendance(activity_id: int, member_id: int) -> Attendance | None:
    """The member's attendance row at the activity, if any."""
    return db.session.scalar(
        select(Attendance).where(
            Attendance.activity_id == activity_id, Attendance.member_id == member_id
        )
    )


def _insert(
    activity: Activity,
    member: Member,
    now: datetime,
    method: str,
    data: dict[str, Any],
    recorder: Principal | None = None,
) -> tuple[Attendance, bool]:
    """Insert the row under a savepoint; a lost race returns the winner's row."""
    device = data.get("device_id") or None
    attendance = Attendance(
        activity_id=activity.id,
        member_id=member.id,
        status="late" if now > late_at(activity) else "present",
        method=method,
        checked_in_at=now,
        lat=data.get("lat"),
        lng=data.get("lng"),
        distance_m=data.get("distance_m"),
        device_id=device,
        new_device=bool(device and member.usual_device and device != member.usual_device),
        recorded_by_user_id=recorder.user.id if recorder and recorder.user else None,
        recorded_by_member_id=recorder.member_id if recorder else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attendance)
            db.session.flush()
    except IntegrityError:
        winner = existing_attendance(activity.id, member.id)
        if winner is None:
            raise
        return decorate_attendance([winner])[0], False
    if device and member.usual_device is None:
        member.usual_device = device
    points.award(
        member.id,
        ATTENDANCE_POINT_ACTIONS[attendance.status],
        source_type="activity",
        source_id=activity.id,
        idempotency_key=f"attendance:{activity.id}:{member.id}",
        reason=f"参加活动：{activity.title}"[:200],
        now=now,
    )
    return decorate_attendance([attendance])[0], True


# --- the member checks in --------------------------------------------------------------------


def _require_member(principal: Principal) -> Member:
    if principal.member is None:
        raise APIError(
            403,
            "checkin.not_bound",
            "当前账号未关联党员信息，请先在小程序中绑定后再签到",
        )
    return principal.member


def _activity_for_code(member: Member, code: str, now: datetime) -> Activity:
    """The open activity the member is expected at whose current or previous code matches."""
    window = tokens.window_of(now)
    candidates = db.session.scalars(
        select(Activity)
        .where(
            Activity.status == "published",
            Activity.checkin_opens_at <= now,
            Activity.checkin_closes_at > now,
            member_expected_condition(member),
        )
        .order_by(Activity.starts_at)
    )
    candidates = list(candidates)
    ids = [a.id for a in candidates]
    spent = code_budget.spent(member.id, ids)
    if ids and len(spent) == len(ids):
        raise code_budget.paused()
    # the previous window's code only during the QR's grace, so one guess meets one code
    in_grace = now.timestamp() < tokens.window_start(window).timestamp() + tokens.grace_seconds()
    live = [window - 1, window] if in_grace else [window]
    tried = [a for a in candidates if a.id not in spent]
    for activity in tried:
        if code in (tokens.activity_code(activity.id, w) for w in live):
            return activity
    code_budget.record_failure(member.id, [a.id for a in tried])
    raise APIError(400, "checkin.code_invalid", "签到码不正确或已过期，请核对现场显示的6位数字")


def check_in(principal: Principal, data: dict[str, Any], now: datetime) -> tuple[Attendance, bool]:
    """Check the caller in with a QR token (or its URL) or the 6-digit code.

    Returns (attendance, created): a repeat answers the existing row with created=False.
    """
    member = _require_member(principal)
    window: int | None = None
    if data.get("token"):
        activity_id, window = tokens.read_checkin_token(data["token"])
        activity = get_activity(activity_id)
        method = "qr"
    else:
        activity = _activity_for_code(member, data["code"], now)
        method = "code"
    check_open_state(activity)
    existing = existing_attendance(activity.id, member.id)
    if existing is not None:
        return decorate_attendance([existing])[0], False
    _require_expected(activity, member)
    check_window(activity, now)
    if window is not None:
        # a scan ticket (app.activities.scan_ticket) vouches the token was current when seen
        tokens.check_token_time(window, data.get("token_seen_at") or now)
    data = {**data, "distance_m": _check_geofence(activity, data)}
    return _insert(activity, member, now, method, data)


def scan_member(
    principal: Principal, activity_id: int, code: str, now: datetime
) -> tuple[Attendance, bool]:
    """The secretary scans a member's personal code (members without a camera or data)."""
    activity = get_activity(activity_id)
    if not can_run_checkin(principal, activity):
        raise forbidden("无权为该活动签到")
    member_id = tokens.read_member_code(code, now)
    member = db.session.get(Member, member_id)
    if member is None or not member.is_active:
        raise not_found("党员")
    check_open_state(activity)
    existing = existing_attendance(activity.id, member.id)
    if existing is not None:
        return decorate_attendance([existing])[0], False
    _require_expected(activity, member)
    check_window(activity, now)
    return _insert(activity, member, now, "scan", {}, recorder=principal)


# --- codes -----------------------------------------------------------------------------------


def current_code(principal: Principal, activity_id: int, now: datetime) -> dict[str, Any]:
    """What the secretary's screen shows now: token, scan URL, 6-digit code and timings."""
    activity = get_managed_activity(principal, activity_id)
    check_open_state(activity)
    check_window(activity, now)
    return rotating_code(activity, now)


def rotating_code(activity: Activity, now: datetime) -> dict[str, Any]:
    """The code of an open activity at `now` (callers check scope, state and window first)."""
    window = tokens.window_of(now)
    token = tokens.checkin_token(activity.id, window)
    expires_at = tokens.window_end(window)
    return {
        "activity_id": activity.id,
        "token": token,
        "scan_url": scan_url(token),
        "code": tokens.activity_code(activity.id, window),
        "window": window,
        "expires_at": expires_at,
        "valid_until": tokens.valid_until(window),
        "refresh_in_seconds": max(0.0, round((expires_at - now).total_seconds(), 3)),
        "rotate_seconds": tokens.rotate_seconds(),
        "checkin_closes_at": activity.checkin_closes_at,
    }


def member_code(principal: Principal, now: datetime) -> dict[str, Any]:
    """The caller's personal rotating code (shown as a QR for the secretary to scan)."""
    member = _require_member(principal)
    window = tokens.window_of(now)
    expires_at = tokens.window_end(window)
    return {
        "member_id": member.id,
        "code": tokens.member_code(member.id, window),
        "expires_at": expires_at,
        "valid_until": tokens.valid_until(window),
        "refresh_in_seconds": max(0.0, round((expires_at - now).total_seconds(), 3)),
    }


def decorate_attendance(rows: list[Attendance]) -> list[Attendance]:
    """Attach labels, names and flags for display."""
    for row in rows:
        row.status_label = SHEET_STATUS_LABELS[row.status]
        row.member_name = row.member.name
        row.activity_title = row.activity.title
        row.flags = ["new_device"] if row.new_device else []
    return rows
