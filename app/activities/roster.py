"""Corrections of a fixed list of expected attendees: only by hand, with a reason, audited.

The list (and each voting right) is fixed from the history when the check-in window closes;
a later excusal or status change does not touch it. When the list itself was wrong (a
member forgotten in a transfer, a voter recorded as probationary), the hosting org's
managers correct it here and the audit log keeps who, when, old → new and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.activities import expected
from app.activities.models import ActivityAttendee
from app.activities.services import get_activity, valid_id
from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, not_found
from app.extensions import db
from app.members.models import Member


def _describe(row: ActivityAttendee | None) -> str:
    if row is None:
        return "不在名单"
    return "应到（有表决权）" if row.voter else "应到"


def correct(
    principal: Principal, activity_id: int, member_id: int, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Put a member on (or take them off) a fixed list, and set their voting right."""
    activity = get_activity(activity_id)
    principal.require_manage(activity.org)
    member = db.session.get(Member, member_id) if valid_id(member_id) else None
    if member is None:
        raise not_found("党员")
    if now < activity.checkin_closes_at:
        raise APIError(
            409,
            "attendees.not_fixed_yet",
            "签到结束后名单才确定；签到结束前请修改活动的邀请范围",
        )
    expected.fix_attendees(activity, now)
    row = db.session.get(ActivityAttendee, {"activity_id": activity.id, "member_id": member.id})
    old = _describe(row)
    if not data["expected"]:
        if row is not None:
            db.session.delete(row)
        row = None
    else:
        if row is None:
            row = ActivityAttendee(
                activity_id=activity.id,
                member_id=member.id,
                org_id=member.org_id,
                member_status=member.status,
                committee=False,
                created_at=now,
            )
            db.session.add(row)
        row.voter = bool(data.get("voter", row.voter if row.voter is not None else False))
        row.manual = True
    db.session.flush()
    new = _describe(row)
    audit.record(
        principal,
        action="attendees.correct",
        entity_type="activity",
        entity_id=activity.id,
        org_id=activity.org_id,
        activity_id=activity.id,
        member_id=member.id,
        field="expected",
        old=old,
        new=new,
        reason=data["reason"],
        now=now,
    )
    return {
        "activity_id": activity.id,
        "member_id": member.id,
        "expected": row is not None,
        "voter": bool(row and row.voter),
    }
