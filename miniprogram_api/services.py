"""What only the phone needs, composed from app/ services: the scan resolver and the home screen."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import Date, Integer, bindparam, select

from app.activities import checkins, scan_ticket
from app.activities.upcoming import upcoming_with_status
from app.auth import Principal
from app.db import UTCDateTime, core_execute
from app.errors import APIError
from app.extensions import db
from app.members.services import INVITE_ALPHABET, INVITE_LENGTH, normalise_invite_code
from app.notices.badges import badge_columns, badges_from
from app.notify.services import unread_count_query
from app.points import services as points
from app.study.brief import todays_brief, with_progress
from app.study.days import streak_bindparams, streak_columns, streak_from, streak_params
from app.study.progress import progress_columns
from app.timeutil import local_day

_TOKEN = re.compile(r"^[A-Za-z2-7]{26}$")
_CODE = re.compile(r"^\d{6}$")
_INVITE = re.compile(f"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")
HOME_ACTIVITIES = 5


def _not_ours() -> APIError:
    return APIError(400, "scan.not_ours", "无法识别该二维码，请扫描本系统的签到码或邀请码")


def classify(content: str) -> tuple[str, str]:
    """("checkin", token or code) | ("invite", code); anything else is not ours (400)."""
    text = content.strip()
    if text.lower().startswith(("http://", "https://")):
        url, base = urlsplit(text), urlsplit(current_app.config["PUBLIC_BASE_URL"])
        prefix = base.path.rstrip("/")
        if url.netloc.lower() != base.netloc.lower() or not url.path.startswith(prefix + "/"):
            raise _not_ours()
        kind, _, value = url.path[len(prefix) + 1 :].partition("/")
        value = value.strip("/")
        if kind == "c" and _TOKEN.match(value):
            return "checkin", value
        if kind == "i" and _INVITE.match(normalise_invite_code(value)):
            return "invite", normalise_invite_code(value)
        raise _not_ours()
    if _TOKEN.match(text) or _CODE.match(text):
        return "checkin", text
    if _INVITE.match(normalise_invite_code(text)):
        return "invite", normalise_invite_code(text)
    raise _not_ours()


def resolve_scan(
    principal: Principal | None, data: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], int]:
    """Do what the scanned content asks: check in (201/200) or point the phone to binding."""
    kind, value = classify(data["content"])
    if kind == "invite":
        return {"kind": "invite", "invite_code": value}, 200
    if principal is None:
        raise APIError(401, "auth.required", "请先登录后再签到")
    token = None if _CODE.match(value) else value
    request = {
        "token": token,
        "code": value if _CODE.match(value) else None,
        "lat": data.get("lat"),
        "lng": data.get("lng"),
        "device_id": data.get("device_id"),
    }
    if token and data.get("ticket"):
        request["token_seen_at"] = scan_ticket.seen_at(data["ticket"], token)
    attendance, created = checkins.check_in(principal, request, now)
    return {"kind": "checkin", "attendance": attendance, "created": created}, (
        201 if created else 200
    )


def signin_after_login(tokens: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Award the day's sign-in to the member a login or binding just issued tokens for."""
    from flask_jwt_extended import decode_token

    if tokens.get("access_token"):
        kind, _, member_id = decode_token(tokens["access_token"])["sub"].partition(":")
        if kind == "m" and member_id.isdigit():
            points.daily_signin(int(member_id), now)
    return tokens


@functools.cache
def _counters_statement():
    """Home's counters in one statement, built once per process (parameters `c_*`)."""
    member_id = bindparam("c_member_id", type_=Integer())
    return select(
        unread_count_query(member_id).scalar_subquery(),
        points.points_on_day_query(member_id, bindparam("c_day", type_=Date())).scalar_subquery(),
        points.balance_query(member_id).scalar_subquery(),
        *badge_columns(member_id, bindparam("c_now", type_=UTCDateTime())),
        *streak_columns(*streak_bindparams("c_s_")),
        *progress_columns(member_id, bindparam("c_item_id", type_=Integer())),
    )


def home(principal: Principal, now: datetime) -> dict[str, Any]:
    """The member's next activities with their own status, today's brief, streak and points;
    the first home screen of the day awards the daily sign-in.

    Built from the cached principal: the sign-in award, the activities with the member's
    status and the counters (with the streak and the progress on today's brief) are one
    statement each; the brief itself is kept per org and day (app.study.brief).
    """
    member = principal.member_info
    signed_in = points.daily_signin(member.id, now, scope=(member.branch_id, member.park_id))
    activities = upcoming_with_status(member, now, HOME_ACTIVITIES)
    brief = todays_brief(member.org_path, now)
    params = {
        "c_member_id": member.id,
        "c_now": now,
        "c_day": local_day(now),
        "c_item_id": brief["id"] if brief is not None else 0,
        **streak_params("c_s_", member.id, now),
    }
    counters = core_execute(db.session, _counters_statement(), params)
    unread, today, total, unconfirmed, has_base, run_today, run_yesterday, *progress = (
        counters.one()
    )
    return {
        "member": {
            "id": member.id,
            "name": member.name,
            "org_id": member.org_id,
            "org_name": member.org_name,
            "status": member.status,
        },
        "next_activities": activities,
        "study_today": with_progress(brief, progress, now) if brief is not None else None,
        "streak": streak_from(run_today, run_yesterday),
        "unread_notifications": int(unread or 0),
        # issue 19: notices to confirm, dues owed (dues only for members with a recorded base)
        "ledgers": badges_from(member.id, now, unconfirmed, has_base),
        "points": {"today": int(today or 0), "total": int(total or 0), "signin_awarded": signed_in},
        "now": now,
    }
