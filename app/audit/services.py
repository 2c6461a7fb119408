"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.audit.models import AuditLog
from app.auth import Principal, path_filter
from app.errors import not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.schemas import paginate


def actor_name(principal: Principal) -> str:
    """How the actor is shown in the log: member name, else the user's display name."""
    if principal.member is not None:
        return principal.member.name
    if principal.user is not None:
        return principal.user.display_name or principal.user.username
    return principal.identity


def record(
    principal: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: int | None,
    org_id: int,
    now: datetime,
    activity_id: int | None = None,
    member_id: int | None = None,
    field: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> AuditLog:
    """Append one audit row in the caller's transaction."""
    row = AuditLog(
        at=now,
        actor_user_id=principal.user.id if principal.user else None,
        actor_member_id=principal.member_id,
        actor_name=actor_name(principal)[:64],
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        org_id=org_id,
        activity_id=activity_id,
        member_id=member_id,
        field=field,
        old_value=None if old is None else str(old)[:200],
        new_value=None if new is None else str(new)[:200],
        reason=reason,
    )
    db.session.add(row)
    db.session.flush()
    return row


def list_audit(principal: Principal, args: dict[str, Any]) -> dict:
    """Audit rows of orgs in the caller's role scope (members never see the log), newest first."""
    stmt = (
        select(AuditLog)
        .join(Organization, Organization.id == AuditLog.org_id)
        .where(path_filter(Organization.path, principal.read_paths()))
    )
    if "activity_id" in args:
        # the activity itself was checked by its own domain (activities.services.audit_log):
        # the log depends on nothing of activities
        stmt = stmt.where(AuditLog.activity_id == args["activity_id"])
    if "member_id" in args:
        if db.session.get(Member, args["member_id"]) is None:
            raise not_found("党员")
        stmt = stmt.where(AuditLog.member_id == args["member_id"])
    if "action" in args:
        stmt = stmt.where(AuditLog.action == args["action"])
    page = paginate(
        stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()), args["page"], args["per_page"]
    )
    names = _member_names({r.member_id for r in page["items"] if r.member_id is not None})
    for row in page["items"]:
        row.member_name = names.get(row.member_id)
    return page


def _member_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())
