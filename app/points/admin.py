"""What the admin and the committee do with points: edit rules, adjust, revoke, read ledgers.

A revocation is a negative entry that names the entry it cancels (once per entry, dated on
that entry's day so the period totals it fed are corrected); nothing is ever deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.points.models import PointLedger, PointRule
from app.points.scope import member_scope
from app.points.services import ACTION_LABELS, action_labels, adjust, ensure_default_rules, key_used
from app.points.standing import history

MAX_ID = 2**31 - 1


def list_rules() -> list[PointRule]:
    """Every rule (defaults ensured), in a stable order."""
    ensure_default_rules()
    return list(db.session.scalars(select(PointRule).order_by(PointRule.id)))


def update_rule(action: str, data: dict[str, Any], now: datetime) -> PointRule:
    """Change a rule's points, caps, label or active flag (admin)."""
    ensure_default_rules()
    rule = db.session.scalar(select(PointRule).where(PointRule.action == action))
    if rule is None:
        raise not_found("积分规则")
    for key in ("label", "points", "daily_count_cap", "daily_minute_cap", "active"):
        if key in data:
            setattr(rule, key, data[key])
    rule.updated_at = now
    db.session.flush()
    return rule


def _park_of(member: Member) -> Organization | None:
    _branch, park_id = member_scope(db.session, member.id)
    return db.session.get(Organization, park_id) if park_id else None


def _member_for_committee(principal: Principal, member_id: int) -> Member:
    """A member whose park the caller manages (the committee) — or the admin."""
    member = db.session.get(Member, member_id) if 0 < member_id <= MAX_ID else None
    if member is None:
        raise not_found("党员")
    park = _park_of(member) or member.org
    if not principal.can_manage_org(park):
        raise forbidden("只有园区党委可以调整积分")
    return member


def make_adjustment(principal: Principal, data: dict[str, Any], now: datetime) -> PointLedger:
    """A manual correction (`delta`) or the revocation of one entry (`entry_id`), with a reason;
    both are appended and audited. A retried request with the same `request_id` appends once."""
    reason = data["reason"].strip()
    if data.get("entry_id") is not None:
        return _revoke(principal, data["entry_id"], reason, now)
    member = _member_for_committee(principal, data["member_id"])
    key = f"adjust:{data.get('request_id') or uuid.uuid4().hex}"
    if key_used(key):
        entry = db.session.scalar(select(PointLedger).where(PointLedger.idempotency_key == key))
        if entry.member_id != member.id or entry.delta != data["delta"]:
            raise APIError(409, "points.request_reused", "该请求编号已用于另一次调整")
        return _decorated(entry)
    entry = adjust(
        member.id,
        data["delta"],
        action="manual_adjust",
        source_type="manual",
        source_id=None,
        idempotency_key=key,
        now=now,
        reason=reason,
    )
    if not getattr(entry, "repeated", False):  # a parallel retry answers the same entry
        _audit(principal, member, entry, "points.adjust", reason, now)
    return _decorated(entry)


def _revoke(principal: Principal, entry_id: int, reason: str, now: datetime) -> PointLedger:
    original = db.session.get(PointLedger, entry_id) if 0 < entry_id <= MAX_ID else None
    if original is None:
        raise not_found("积分记录")
    member = _member_for_committee(principal, original.member_id)
    if original.delta <= 0 or original.action in ACTION_LABELS:
        raise APIError(
            409, "points.not_revocable", "只能撤销规则奖励的积分记录", {"entry_id": original.id}
        )
    key = f"revoke:{original.id}"
    if key_used(key):
        raise APIError(409, "points.already_revoked", "该积分记录已撤销", {"entry_id": original.id})
    entry = adjust(
        member.id,
        -original.delta,
        action="revocation",
        source_type="point_ledger",
        source_id=original.id,
        idempotency_key=key,
        now=now,
        reason=reason,
        day=original.day,
    )
    if getattr(entry, "repeated", False):  # lost the race after the balance lock: a repeat
        raise APIError(409, "points.already_revoked", "该积分记录已撤销", {"entry_id": original.id})
    _audit(principal, member, entry, "points.revoke", reason, now)
    return _decorated(entry)


def _audit(principal, member: Member, entry: PointLedger, action: str, reason: str, now) -> None:
    audit.record(
        principal,
        action=action,
        entity_type="point_ledger",
        entity_id=entry.id,
        org_id=member.org_id,
        member_id=member.id,
        now=now,
        field="points",
        new=entry.delta,
        reason=reason,
    )


def _decorated(entry: PointLedger) -> PointLedger:
    entry.label = action_labels().get(entry.action, entry.action)
    return entry


def member_ledger(principal: Principal, member_id: int, args: dict[str, Any]) -> dict:
    """A member's ledger for the committee, newest first (revocable entries are the positive
    rule awards not yet revoked)."""
    member = _member_for_committee(principal, member_id)
    page = history(member.id, args["page"], args["per_page"])
    ids = [e.id for e in page["items"]]
    revoked = set(
        db.session.scalars(
            select(PointLedger.source_id).where(
                PointLedger.action == "revocation", PointLedger.source_id.in_(ids)
            )
        )
    )
    for entry in page["items"]:
        entry.revoked = entry.id in revoked
    return page
