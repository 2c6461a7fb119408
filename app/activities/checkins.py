"""Check-in: the rotating code shown by the secretary, and every way a member gets counted.

Rules 5 and 6 of the spec live here: only expected attendees, inside the window, with a
current token; one attendance per member and activity (a unique key: one `INSERT … ON
CONFLICT DO NOTHING RETURNING`, so a race answers with the row that won); `late` after
start + N minutes; an optional geofence; a device other than the usual one is flagged, not
refused; points awarded exactly once. The activity's facts and the principal come from
caches (app.activities.facts, app.principals): a first check-in is a handful of statements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.activities import checkin_sql, code_budget, tokens
from app.activities.expecting import member_expected_condition
from app.activities.facts import CheckinFacts, checkin_facts
from app.activities.models import SHEET_STATUS_LABELS, Activity, Attendance
from app.activities.services import can_run_checkin, get_activity
from app.auth import MemberInfo, Principal
from app.db import core_execute
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.identities import member_info
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


@dataclass
class CheckinAnswer:
    """A check-in's attendance row as the answer shows it (built without re-reading it)."""

    id: int
    activity_id: int
    member_id: int
    status: str
    method: str
    checked_in_at: datetime | None
    lat: float | None
    lng: float | None
    distance_m: float | None
    device_id: str | None
    new_device: bool
    recorded_by_user_id: int | None
    recorded_by_member_id: int | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    activity_title: str = ""
    member_name: str = ""

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return SHEET_STATUS_LABELS[self.status]

    @property
    def flags(self) -> list[str]:
        """What the secretary should look at (a device other than the usual one)."""
        return ["new_device"] if self.new_device else []


def _answer(row, facts: CheckinFacts, member: MemberInfo) -> CheckinAnswer:
    return CheckinAnswer(
        **{c.name: row[c.name] for c in checkin_sql.COLUMNS},
        activity_title=facts.title,
        member_name=member.name,
    )


def _existing_row(activity_id: int, member_id: int):
    params = {"v_activity_id": activity_id, "v_member_id": member_id}
    return core_execute(db.session, checkin_sql.existing_statement(), params).mappings().first()


def _record(
    facts: CheckinFacts,
    member: MemberInfo,
    now: datetime,
    method: str,
    data: dict[str, Any],
    recorder: Principal | None = None,
) -> tuple[CheckinAnswer, bool]:
    """Insert the row unless it exists (one statement), and award the points once.

    The unique key decides a race: the loser's insert does nothing and it answers with the
    winner's row, created=False; only the winner awards.
    """
    device = data.get("device_id") or None
    values = {
        "v_activity_id": facts.id,
        "v_member_id": member.id,
        "v_status": "late" if now > facts.late_at else "present",
        "v_method": method,
        "v_checked_in_at": now,
        "v_lat": data.get("lat"),
        "v_lng": data.get("lng"),
        "v_distance_m": data.get("distance_m"),
        "v_device_id": device,
        "v_device": device,
        "v_recorded_by_user_id": (
            recorder.user_info.id if recorder and recorder.user_info else None
        ),
        "v_recorded_by_member_id": recorder.member_id if recorder else None,
        "v_reason": None,
        "v_created_at": now,
        "v_updated_at": now,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        row, created = _insert_postgres(values, device)
    else:
        row, created = _insert_sqlite(values, device)
    if row is None:  # lost a race to a row committed during the insert, or deactivated
        row, created = _existing_row(facts.id, member.id), False
        if row is None:
            raise APIError(403, "checkin.not_expected", "您不是本次活动的参加对象，无法签到")
    if not created:  # already checked in: the existing row, no award
        return _answer(row, facts, member), False
    points.award_once(
        member.id,
        ATTENDANCE_POINT_ACTIONS[row["status"]],
        scope=(member.branch_id, member.park_id),
        source_type="activity",
        source_id=facts.id,
        idempotency_key=f"attendance:{facts.id}:{member.id}",
        reason=f"参加活动：{facts.title}"[:200],
        now=now,
    )
    return _answer(row, facts, member), True


def _insert_postgres(values: dict[str, Any], device: str | None):
    """One statement: the new row (created) or the existing one, and the usual device."""
    stmt = checkin_sql.insert_statement("postgresql", bool(device))
    row = core_execute(db.session, stmt, values).mappings().first()
    return (row, row["created"]) if row is not None else (None, False)


def _insert_sqlite(values: dict[str, Any], device: str | None):
    """SQLite has no writing CTEs: the insert, then the existing row or the usual device."""
    if device:
        insert, usual = checkin_sql.insert_statement("sqlite", True)
    else:
        insert, usual = checkin_sql.insert_statement("sqlite", False), None
    row = core_execute(db.session, insert, values).mappings().first()
    if row is None:
        return _existing_row(values["v_activity_id"], values["v_member_id"]), False
    if usual is not None:
        core_execute(db.session, usual, values)
    return row, True


# --- the member checks in --------------------------------------------------------------------


def _require_member(principal: Principal) -> MemberInfo:
    if principal.member_info is None:
        raise APIError(
            403,
            "checkin.not_bound",
            "当前账号未关联党员信息，请先在小程序中绑定后再签到",
        )
    return principal.member_info


def _activity_for_code(principal: Principal, code: str, now: datetime) -> CheckinFacts:
    """The open activity the member is expected at whose current or previous code matches."""
    window = tokens.window_of(now)
    candidates = db.session.scalars(
        select(Activity.id)
        .where(
            Activity.status == "published",
            Activity.checkin_opens_at <= now,
            Activity.checkin_closes_at > now,
            member_expected_condition(principal.member),
        )
        .order_by(Activity.starts_at)
    )
    ids = list(candidates)
    member_id = principal.member_info.id
    spent = code_budget.spent(member_id, ids)
    if ids and len(spent) == len(ids):
        raise code_budget.paused()
    # the previous window's code only during the QR's grace, so one guess meets one code
    in_grace = now.timestamp() < tokens.window_start(window).timestamp() + tokens.grace_seconds()
    live = [window - 1, window] if in_grace else [window]
    tried = [i for i in ids if i not in spent]
    for activity_id in tried:
        if code in (tokens.activity_code(activity_id, w) for w in live):
            return checkin_facts(activity_id)
    code_budget.record_failure(member_id, tried)
    raise APIError(400, "checkin.code_invalid", "签到码不正确或已过期，请核对现场显示的6位数字")


def _admit(
    facts: CheckinFacts,
    member: MemberInfo,
    now: datetime,
    window: int | None,
    seen_at: datetime | None = None,
) -> None:
    """Every rule a new check-in must pass: expected, inside the window, a current token
    (current when it was seen, if a scan ticket says when)."""
    if not facts.expected.includes(member.id, member.org_path):
        raise APIError(403, "checkin.not_expected", "您不是本次活动的参加对象，无法签到")
    check_window(facts, now)
    if window is not None:
        tokens.check_token_time(window, seen_at or now)


def check_in(
    principal: Principal, data: dict[str, Any], now: datetime
) -> tuple[CheckinAnswer, bool]:
    """Check the caller in with a QR token (or its URL) or the 6-digit code.

    Returns (attendance, created): a repeat answers the existing row with created=False,
    also after the window closed or away from the geofence.
    """
    member = _require_member(principal)
    window: int | None = None
    if data.get("token"):
        activity_id, window = tokens.read_checkin_token(data["token"])
        facts = checkin_facts(activity_id)
        method = "qr"
    else:
        facts = _activity_for_code(principal, data["code"], now)
        method = "code"
    check_open_state(facts)
    try:
        # a scan ticket (app.activities.scan_ticket) vouches the token was current when seen
        _admit(facts, member, now, window, data.get("token_seen_at"))
        data = {**data, "distance_m": _check_geofence(facts, data)}
    except APIError:
        existing = _existing_row(facts.id, member.id)
        if existing is not None:  # a repeat is answered whatever the window says now
            return _answer(existing, facts, member), False
        raise
    return _record(facts, member, now, method, data)


def scan_member(
    principal: Principal, activity_id: int, code: str, now: datetime
) -> tuple[CheckinAnswer, bool]:
    """The secretary scans a member's personal code (members without a camera or data)."""
    activity = get_activity(activity_id)
    if not can_run_checkin(principal, activity):
        raise forbidden("无权为该活动签到")
    member_id = tokens.read_member_code(code, now)
    row = db.session.get(Member, member_id)
    if row is None or not row.is_active:
        raise not_found("党员")
    member = member_info(row)
    facts = checkin_facts(activity.id)
    check_open_state(facts)
    existing = _existing_row(facts.id, member.id)
    if existing is not None:
        return _answer(existing, facts, member), False
    _admit(facts, member, now, None)
    return _record(facts, member, now, "scan", {}, recorder=principal)


# --- codes -----------------------------------------------------------------------------------


def current_code(principal: Principal, activity_id: int, now: datetime) -> dict[str, Any]:
    """What the secretary's screen shows now: token, scan URL, 6-digit code and timings.

    Read from the activity's cached facts: a projector polling every few seconds costs no
    statement beyond the request's version read.
    """
    facts = checkin_facts(activity_id)
    if not principal.can_manage_path(facts.org_path):
        raise forbidden("无权管理该组织")
    check_open_state(facts)
    check_window(facts, now)
    return rotating_code(facts, now)


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
