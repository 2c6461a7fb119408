"""The check-in screen (签到大屏): a signed link for a meeting-room PC, and what it shows.

A screen token is `[activity id, expiry]` signed by itsdangerous with SECRET_KEY under its own
salt, so no other token of the app (JWT, QR token, invite) is ever a screen token and a screen
token is nothing else. It expires SCREEN_LINK_MARGIN after the activity's check-in window
closes, and it lets its holder read exactly two things about that one activity: the screen
state (title, time, counts, the current code, the names of arrivals and of who has not come)
and the current QR image. It never checks anyone in and never shows phones or ids.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import exists, func, select

from app import versions
from app.activities import checkins, qrcodes, tokens
from app.activities.attendance import live_counts
from app.activities.models import ACTIVITY_TYPE_LABELS, Activity, Attendance, AttendanceRequest
from app.activities.services import can_run_checkin, expected_condition, get_activity
from app.auth import Principal
from app.errors import APIError, forbidden
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.timeutil import to_local

SALT = "party.checkin-screen.v1"
SCREEN_LINK_MARGIN = timedelta(minutes=15)  # the final counts stay up this long after closing
PENDING_NAMES_MAX = 300  # names listed under 未签到; the count is always exact
WEEKDAYS = "一二三四五六日"

_INVALID = (403, "screen.link_invalid", "大屏链接无效，请向支部书记重新获取签到大屏链接")
_EXPIRED = (410, "screen.link_expired", "大屏链接已过期，请向支部书记重新获取签到大屏链接")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(activity_id: int, expires_at: datetime) -> str:
    """A screen token for one activity, valid until `expires_at`."""
    return _serializer().dumps([activity_id, int(expires_at.timestamp())])


def link_expiry(activity: Activity) -> datetime:
    """When a screen link of the activity stops working: window close plus the margin."""
    return activity.checkin_closes_at + SCREEN_LINK_MARGIN


def screen_path(activity_id: int, token: str) -> str:
    """The page's path with its token (the host is PUBLIC_BASE_URL's)."""
    return f"/screen/{activity_id}?t={token}"


def issue_link(principal: Principal, activity_id: int, now: datetime) -> dict[str, Any]:
    """A screen link for a published activity whose window has not closed (who runs check-in)."""
    activity = get_activity(activity_id)
    if not can_run_checkin(principal, activity):
        raise forbidden("无权为该活动打开签到大屏")
    checkins.check_open_state(activity)
    if now >= activity.checkin_closes_at:
        raise APIError(
            410,
            "checkin.window_closed",
            "签到已结束，无法再打开签到大屏",
            {"closed_at": to_local(activity.checkin_closes_at).isoformat()},
        )
    expires_at = link_expiry(activity)
    token = make_token(activity.id, expires_at)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "activity_id": activity.id,
        "url": base + screen_path(activity.id, token),
        "expires_at": expires_at,
        "opens_at": activity.checkin_opens_at,
        "closes_at": activity.checkin_closes_at,
    }


def read_token(token: str | None, activity_id: int, now: datetime) -> Activity:
    """The activity a screen token opens: 403 forged or for another activity, 410 expired."""
    try:
        payload = _serializer().loads(token or "")
    except BadData:
        raise APIError(*_INVALID) from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(type(v) is int for v in payload)
        or payload[0] != activity_id
    ):
        raise APIError(*_INVALID)
    expires_at = datetime.fromtimestamp(payload[1], UTC)
    if now >= expires_at:
        raise APIError(*_EXPIRED, {"expired_at": to_local(expires_at).isoformat()})
    return get_activity(activity_id)


# --- what the screen shows -------------------------------------------------------------------


def screen_phase(activity: Activity, now: datetime) -> str:
    """cancelled / unpublished / before (window not open) / open / closed."""
    if activity.status == "cancelled":
        return "cancelled"
    if activity.status != "published":
        return "unpublished"
    if now < activity.checkin_opens_at:
        return "before"
    if now < activity.checkin_closes_at:
        return "open"
    return "closed"


def when_label(activity: Activity) -> str:
    """`5月20日（周二）14:30–16:30` in the display zone (the end's date when it differs)."""
    start, end = to_local(activity.starts_at), to_local(activity.ends_at)
    day = f"{start.month}月{start.day}日（周{WEEKDAYS[start.weekday()]}）"
    end_label = f"{end:%H:%M}"
    if end.date() != start.date():
        end_label = f"{end.month}月{end.day}日 {end_label}"
    return f"{day}{start:%H:%M}–{end_label}"


def _pending_condition(activity: Activity):
    """Expected members with no attendance row and no approved leave."""
    has_row = exists().where(
        Attendance.activity_id == activity.id, Attendance.member_id == Member.id
    )
    on_leave = exists().where(
        AttendanceRequest.activity_id == activity.id,
        AttendanceRequest.member_id == Member.id,
        AttendanceRequest.kind == "leave",
        AttendanceRequest.status == "approved",
    )
    return expected_condition(activity) & ~has_row & ~on_leave


def pending(activity: Activity, with_names: bool) -> dict[str, Any]:
    """How many expected members have not checked in (and their names, when asked)."""
    base = select(Member.name).join(Organization, Organization.id == Member.org_id)
    condition = _pending_condition(activity)
    total = db.session.scalar(
        select(func.count(Member.id))
        .join(Organization, Organization.id == Member.org_id)
        .where(condition)
    )
    names: list[str] | None = None
    if with_names:
        names = list(
            db.session.scalars(
                base.where(condition)
                .order_by(Organization.path, Member.id)
                .limit(PENDING_NAMES_MAX)
            )
        )
    return {"total": total, "names": names}


def _seconds(delta: timedelta) -> float:
    return max(0.0, round(delta.total_seconds(), 3))


def screen_state(activity: Activity, now: datetime, with_pending_names: bool) -> dict[str, Any]:
    """Everything the screen shows now; the code only while the window is open."""
    phase = screen_phase(activity, now)
    live, waiting = _counted(activity, now, with_pending_names, phase != "cancelled")
    code = None
    if phase == "open":
        current = checkins.rotating_code(activity, now)
        code = {
            "window": current["window"],
            "code": current["code"],
            "expires_at": current["expires_at"],
            "refresh_in": current["refresh_in_seconds"],
            "rotate_seconds": current["rotate_seconds"],
        }
    return {
        "activity": {
            "id": activity.id,
            "title": activity.title,
            "type_label": ACTIVITY_TYPE_LABELS[activity.type],
            "org_name": activity.org.name,
            "location": activity.location,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "when": when_label(activity),
            "cancel_reason": activity.cancel_reason if phase == "cancelled" else None,
        },
        "phase": phase,
        "opens_at": activity.checkin_opens_at,
        "closes_at": activity.checkin_closes_at,
        "late_at": activity.starts_at + timedelta(minutes=activity.late_after_minutes),
        "opens_in": _seconds(activity.checkin_opens_at - now),
        "closes_in": _seconds(activity.checkin_closes_at - now),
        "code": code,
        "counts": {
            "expected": live["expected"],
            "present": live["present"],
            "late": live["late"],
            "leave": live["leave"],
            "checked_in": live["checked_in"],
            "rate": live["rate"],
        },
        # names and times only: no member ids, no phones
        "latest": [
            {
                "name": row["name"],
                "status": row["status"],
                "status_label": row["status_label"],
                "checked_in_at": row["checked_in_at"],
            }
            for row in live["latest"]
        ],
        "pending": waiting,
        "now": now,
    }


def _counted(
    activity: Activity, now: datetime, with_names: bool, with_pending: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The live counts and who is still awaited, shared for SCREEN_CACHE_SECONDS: by every
    worker through Redis when REDIS_URL is set (a projector and hundreds of phones polling
    cost one count per period for the whole deployment), by this worker's callers otherwise.
    """
    ttl = current_app.config["SCREEN_CACHE_SECONDS"]
    key = (activity.id, with_names, with_pending)
    cache = current_app.extensions.setdefault("party_screen_counts", {})
    hit = cache.get(key)
    if ttl > 0 and hit is not None and hit[0] > time.monotonic():
        return hit[1], hit[2]
    shared = _shared_get(key) if ttl > 0 else None
    if shared is not None:
        expires_at, live, waiting = shared
    else:
        live = live_counts(activity, now)
        waiting = pending(activity, with_names) if with_pending else None
        expires_at = time.time() + ttl
        if ttl > 0:
            _shared_put(key, expires_at, live, waiting, ttl)
    if ttl > 0:
        if len(cache) > 1024:
            cache.clear()
        # never kept longer here than in Redis: the age bound is SCREEN_CACHE_SECONDS overall
        cache[key] = (time.monotonic() + max(0.0, expires_at - time.time()), live, waiting)
    return live, waiting


def _screen_key(key: tuple) -> str:
    return versions.rkey("screen:{}:{:d}:{:d}".format(*key))


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    raise TypeError(f"not cacheable: {type(value).__name__}")


def _decode(obj: dict) -> Any:
    return datetime.fromisoformat(obj["$dt"]) if set(obj) == {"$dt"} else obj


def _shared_get(key: tuple) -> tuple[float, dict[str, Any], dict[str, Any] | None] | None:
    """Another worker's counts from Redis (expiry, live, waiting), or None."""
    client = versions.redis_client()
    if client is None:
        return None
    try:
        raw = client.get(_screen_key(key))
    except Exception:  # a cache: count from the database
        current_app.logger.warning("Redis unavailable for the screen counts", exc_info=True)
        return None
    if raw is None:
        return None
    expires_at, live, waiting = json.loads(raw, object_hook=_decode)
    return expires_at, live, waiting


def _shared_put(key: tuple, expires_at: float, live, waiting, ttl: int) -> None:
    client = versions.redis_client()
    if client is None:
        return
    try:
        value = json.dumps([expires_at, live, waiting], default=_encode, ensure_ascii=False)
        client.set(_screen_key(key), value, px=max(1, int(ttl * 1000)))
    except Exception:
        current_app.logger.warning("could not share the screen counts in Redis", exc_info=True)


def qr_image(activity: Activity, window: int, now: datetime) -> tuple[str, datetime]:
    """The SVG of the QR of `window` (the current one, or the last one inside its grace).

    Refused outside the window, for a cancelled activity, and for any other window: the screen
    never shows a code that will not work.
    """
    checkins.check_open_state(activity)
    checkins.check_window(activity, now)
    current = tokens.window_of(now)
    if window not in (current, current - 1) or now >= tokens.valid_until(window):
        raise APIError(410, "checkin.token_expired", "签到码已更新，请刷新", {"window": current})
    url = checkins.scan_url(tokens.checkin_token(activity.id, window))
    return qrcodes.render_svg(url), tokens.window_end(window)
