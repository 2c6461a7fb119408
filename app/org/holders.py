"""Who holds an org's roles: the console accounts a caller may name in a role grant (no id
oracle for usernames), and the members seated as an org's secretaries on a day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth import Principal, role_current
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization, OrgRole

# the orgs above branches: their managers place new console accounts (党建指导员 …)
COMMITTEE_TYPES = ("work_committee", "general_committee", "general_branch")


def secretaries_on(org_id: int, day: date) -> list[int]:
    """Member ids of the org's secretaries and deputies seated on `day` (notices go to them)."""
    return list(
        db.session.scalars(
            select(OrgRole.member_id).where(
                OrgRole.org_id == org_id,
                OrgRole.role.in_(("secretary", "deputy_secretary")),
                OrgRole.member_id.is_not(None),
                role_current(day),
            )
        )
    )


def user_in_scope(principal: Principal, user) -> bool:
    """A console user the caller may see: admins see all; others see non-admin users who hold
    roles, or are linked to a member, only inside the caller's readable subtree; an unplaced
    account only a committee's manager sees."""
    if principal.is_admin:
        return True
    if user.is_admin:
        return False
    paths = principal.read_paths() or []
    if user.member_id is not None:
        member = db.session.get(Member, user.member_id)
        if member is not None and member.org.path.startswith(tuple(paths)):
            return True
    held = db.session.scalars(
        select(Organization.path)
        .join(OrgRole, OrgRole.org_id == Organization.id)
        .where(OrgRole.user_id == user.id)
    ).all()
    if held:
        return all(path.startswith(tuple(paths)) for path in held)
    # an account nobody has placed yet (a new 党建指导员) is placed by a committee, never a branch
    return user.member_id is None and any(
        g.manages and g.org_id in _committee_ids(principal) for g in principal.grants
    )


def _committee_ids(principal: Principal) -> set[int]:
    ids = [g.org_id for g in principal.grants]
    return set(
        db.session.scalars(
            select(Organization.id).where(
                Organization.id.in_(ids), Organization.type.in_(COMMITTEE_TYPES)
            )
        )
    )
