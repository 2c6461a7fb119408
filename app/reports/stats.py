"""One SQL aggregate per activity, shared by the attendance report, the compliance matrix
and the 20th-of-month reminder: who was expected, who came, who was on leave, quorum.

Expected attendees are (activity, member) pairs: active members of the hosting org's
subtree, of invited orgs' subtrees, and invited members (membership as it is today). Each
pair's status is its attendance row's, else `leave` for approved leave, else `absent` once
the check-in window closed (`pending` before). Everything is counted in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, literal, select, union, union_all
from sqlalchemy.orm import aliased

from app.activities.models import (
    ATTENDED,
    Activity,
    Attendance,
    AttendanceRequest,
    activity_invited_members,
    activity_invited_orgs,
)
from app.db import UTCDateTime
from app.extensions import db
from app.members.models import Member
from app.org.models import COMMITTEE_ROLES, Organization, OrgRole


def branch_of_host():
    """SQL: the branch an activity counts for (a group's activities count for its branch)."""
    host = aliased(Organization)
    return func.coalesce(
        select(host.parent_id)
        .where(host.id == Activity.org_id, host.type == "group")
        .scalar_subquery(),
        Activity.org_id,
    )


def activity_filter(org_path: str | None, start: datetime | None, end: datetime | None, types=None):
    """Published activities hosted in a subtree and starting in [start, end)."""
    host = aliased(Organization)
    conds = [Activity.status == "published"]
    if org_path is not None:
        conds.append(Activity.org_id.in_(select(host.id).where(host.path.like(org_path + "%"))))
    if start is not None:
        conds.append(Activity.starts_at >= start)
    if end is not None:
        conds.append(Activity.starts_at < end)
    if types:
        conds.append(Activity.type.in_(list(types)))
    return and_(*conds)


def ancestry(scope_path: str | None = None):
    """(org_id, ancestor_id) for every org (of the subtree at `scope_path`) and each org at or
    above it, as a union of fixed-length parent chains (one per level of the tree).

    The same pairs as `org.path LIKE ancestor.path || '%'`, but joined by equality, so the
    database hashes them instead of comparing every activity's host with every org (which
    is quadratic in the city's orgs), and estimates them well (a recursive CTE it does not).
    """
    levels = db.session.scalar(select(func.max(Organization.depth))) or 0
    parts = []
    for up in range(levels + 1):
        org = aliased(Organization)
        ancestor, chain = (org.id if up == 0 else org.parent_id), []
        for _ in range(up - 1):
            step = aliased(Organization)
            chain.append((step, step.id == ancestor))
            ancestor = step.parent_id
        stmt = select(org.id.label("org_id"), ancestor.label("ancestor_id")).select_from(org)
        for step, on in chain:
            stmt = stmt.join(step, on)
        if up:
            stmt = stmt.where(ancestor.is_not(None))
        if scope_path is not None:
            stmt = stmt.where(org.path.like(scope_path + "%"))
        parts.append(stmt)
    return union_all(*parts).subquery("ancestry")


def expected_pairs(where, scope_path: str | None = None):
    """(activity_id, member_id, member_status, member_excused) for every expected attendee of
    the activities in `where` (the member's status and excuse ride along, so the aggregate
    needs no second pass over the members table).

    `scope_path`, when the activities are hosted in that subtree, bounds the host's subtree
    walk to it (a host's descendants are inside any subtree the host is in).
    """
    member_cols = (Member.status.label("member_status"), Member.excused.label("member_excused"))
    below = ancestry(scope_path)
    by_host = (
        select(Activity.id.label("activity_id"), Member.id.label("member_id"), *member_cols)
        .join(below, below.c.ancestor_id == Activity.org_id)
        .join(Member, and_(Member.org_id == below.c.org_id, Member.is_active.is_(True)))
        .where(where)
    )
    inv, sub2 = aliased(Organization), aliased(Organization)
    by_org = (
        select(Activity.id, Member.id, *member_cols)
        .join(
            activity_invited_orgs,
            and_(
                activity_invited_orgs.c.activity_id == Activity.id,
                activity_invited_orgs.c.status == "accepted",  # pending: not expected yet
            ),
        )
        .join(inv, inv.id == activity_invited_orgs.c.org_id)
        .join(sub2, sub2.path.like(inv.path + "%"))
        .join(Member, and_(Member.org_id == sub2.id, Member.is_active.is_(True)))
        .where(where, ~in_host_subtree(sub2.path))
    )
    own_org = aliased(Organization)
    by_member = (
        select(Activity.id, Member.id, *member_cols)
        .join(
            activity_invited_members,
            and_(
                activity_invited_members.c.activity_id == Activity.id,
                activity_invited_members.c.status == "accepted",
            ),
        )
        .join(
            Member,
            and_(Member.id == activity_invited_members.c.member_id, Member.is_active.is_(True)),
        )
        .join(own_org, own_org.id == Member.org_id)
        .where(where, ~in_host_subtree(own_org.path))
    )
    # by_host has no duplicates (one host per activity, one org per member), so only the few
    # invited pairs are de-duplicated, not the millions of a city-wide report
    invited = union(by_org, by_member).subquery("invited")
    return union_all(by_host, select(invited)).subquery("pairs")


def in_host_subtree(member_org_path):
    """SQL: the member (whose org has this path) is at or below the activity's host."""
    host = aliased(Organization)
    return (
        select(host.id)
        .where(host.id == Activity.org_id, member_org_path.like(host.path + "%"))
        .exists()
    )


def activity_stats(where, now: datetime, scope_path: str | None = None):
    """A subquery: one row per activity with counts by status, voters and committee quorum.

    `scope_path`: the subtree `where` restricts the hosts to, if any (see expected_pairs).
    """
    pairs = expected_pairs(where, scope_path)
    att = aliased(Attendance)
    # approved leave of the activities in scope only: the planner then reads it by activity
    # instead of hashing every request of the city (at most one per pair: an open request is
    # unique per activity, member and kind)
    leave = (
        select(AttendanceRequest.activity_id, AttendanceRequest.member_id)
        .where(
            AttendanceRequest.kind == "leave",
            AttendanceRequest.status == "approved",
            AttendanceRequest.activity_id.in_(select(Activity.id).where(where)),
        )
        .subquery("approved_leave")
    )
    role = aliased(OrgRole)
    act = aliased(Activity)
    closed = act.checkin_closes_at <= literal(now, UTCDateTime())  # bind as naive UTC
    status = case(
        (att.id.is_not(None), att.status),
        (leave.c.activity_id.is_not(None), "leave"),
        (closed, "absent"),
        else_="pending",
    )
    attended = status.in_(ATTENDED)
    voter = and_(pairs.c.member_status == "full", pairs.c.member_excused.is_(False))

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    committee_member = (
        select(role.id)
        .where(
            role.member_id == pairs.c.member_id,
            role.org_id == act.org_id,
            role.role.in_(COMMITTEE_ROLES),
        )
        .exists()
    )
    return (
        select(
            act.id.label("activity_id"),
            act.org_id.label("host_id"),
            act.type.label("type"),
            act.title.label("title"),
            act.starts_at.label("starts_at"),
            func.count().label("expected"),
            count_if(status == "present").label("present"),
            count_if(status == "late").label("late"),
            count_if(status == "makeup").label("makeup"),
            count_if(status == "leave").label("leave"),
            count_if(status == "absent").label("absent"),
            count_if(status == "pending").label("pending"),
            count_if(voter).label("voters"),
            count_if(and_(voter, attended)).label("voters_present"),
            count_if(committee_member).label("committee"),
            count_if(and_(committee_member, attended)).label("committee_present"),
        )
        .select_from(pairs)
        .join(act, act.id == pairs.c.activity_id)
        .outerjoin(
            att, and_(att.activity_id == pairs.c.activity_id, att.member_id == pairs.c.member_id)
        )
        .outerjoin(
            leave,
            and_(
                leave.c.activity_id == pairs.c.activity_id, leave.c.member_id == pairs.c.member_id
            ),
        )
        .group_by(act.id, act.org_id, act.type, act.title, act.starts_at)
        .subquery("activity_stats")
    )


def held_condition(stats):
    """SQL on an activity_stats row: the meeting counts as held for compliance.

    It must have begun and been attended; a 支部党员大会 must have been quorate (more than
    half of the expected full members present); a 支委会 must have had more than half of
    the committee present.
    """
    attended = stats.c.present + stats.c.late + stats.c.makeup
    return and_(
        attended > 0,
        case(
            (stats.c.type == "general_meeting", stats.c.voters_present * 2 > stats.c.voters),
            (
                stats.c.type == "committee_meeting",
                stats.c.committee_present * 2 > stats.c.committee,
            ),
            else_=True,
        ),
    )


def quorate_condition(stats):
    """SQL: a general meeting with more than half of its expected voters present."""
    return and_(stats.c.type == "general_meeting", stats.c.voters_present * 2 > stats.c.voters)
