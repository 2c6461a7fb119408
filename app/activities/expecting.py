"""Where a member is expected, as SQL on Activity: the hosting org is at or above theirs, an
org at or above theirs accepted an invitation, or they were invited by name; and their
status lets them attend its kind (支委会 only with a committee seat; activists only at
ACTIVIST_TYPES). The one definition, as a condition, for lists, home and code check-in.
"""

from __future__ import annotations

from sqlalchemy import Integer, and_, bindparam, false, or_, select, union
from sqlalchemy.orm import aliased

from app.activities.models import (
    ACTIVIST_TYPES,
    Activity,
    activity_invited_members,
    activity_invited_orgs,
)
from app.members.models import PARTY_STATUSES, Member
from app.org.models import COMMITTEE_ROLES, OrgRole


def member_expected_condition(member: Member):
    """SQL condition on Activity: the member is expected there (host, invited org or invited).

    The orgs at or above the member's are the ids in its org's path, so each way of being
    expected is an index lookup (the hosting org, an invitation) and the activities are
    reached by id — not every activity of the city tested with a path LIKE per row.
    """
    return expected_condition_for(member.id, member.org.path, member.status)


def expected_condition_for(member_id: int, org_path: str, status: str):
    """:func:`member_expected_condition` from the member's id, org path and status (no row
    loaded)."""
    ancestors = [int(part) for part in org_path.strip("/").split("/") if part]
    return Activity.id.in_(_expected_ids(member_id, ancestors, status_kind(status)))


def status_kind(status: str) -> str:
    """What a member's status lets them be expected at: `party`, `activist` or `none`."""
    if status in PARTY_STATUSES:
        return "party"
    return "activist" if status == "activist" else "none"


def expected_ids_template(kind: str, depth: int):
    """The ids of the activities a member is expected at, with bound parameters
    `x_member_id` and `x_a0` … (the `depth` org ids of their path), for a statement built
    once per process; `kind` is :func:`status_kind` of their status. Fixed parameters, not an
    expanding IN: that would render the SQL anew on every execution."""
    return _expected_ids(
        bindparam("x_member_id", type_=Integer()),
        [bindparam(f"x_a{i}", type_=Integer()) for i in range(depth)],
        kind,
    )


def ancestor_params(org_path: str) -> dict[str, int]:
    """`x_a0` … for :func:`expected_ids_template`: the org ids of the path, root first."""
    ids = [int(part) for part in org_path.strip("/").split("/") if part]
    return {f"x_a{i}": org_id for i, org_id in enumerate(ids)}


def _expected_ids(member_id, ancestors, kind: str):
    hosted, invited = aliased(Activity), aliased(Activity)
    return union(
        select(hosted.id).where(hosted.org_id.in_(ancestors), _kind_fits(hosted, member_id, kind)),
        select(activity_invited_orgs.c.activity_id)
        .join(invited, invited.id == activity_invited_orgs.c.activity_id)
        .where(
            activity_invited_orgs.c.org_id.in_(ancestors),
            activity_invited_orgs.c.status == "accepted",
            _kind_fits(invited, member_id, kind),
        ),
        select(activity_invited_members.c.activity_id).where(
            activity_invited_members.c.member_id == member_id,
            activity_invited_members.c.status == "accepted",
        ),
    )


def _kind_fits(activity, member_id, kind: str):
    """SQL on an Activity alias: the member's status lets them be expected at its kind today
    (支委会: only with a committee seat on the host; activists only at ACTIVIST_TYPES)."""
    seats = select(OrgRole.org_id).where(
        OrgRole.member_id == member_id,
        OrgRole.role.in_(list(COMMITTEE_ROLES)),
        OrgRole.until.is_(None),
    )
    committee = or_(activity.type != "committee_meeting", activity.org_id.in_(seats))
    if kind == "party":
        return committee
    if kind == "activist":
        return and_(committee, activity.type.in_(list(ACTIVIST_TYPES)))
    return false()
