"""One SQL aggregate per activity, shared by the attendance report, the compliance matrix
and the 20th-of-month reminder: who was expected, who came, who was on leave, quorum.

Expected attendees are (activity, member) pairs: active members of the hosting org's
subtree, of invited orgs' subtrees, and invited members (membership as it is today). Each
pair's status is its attendance row's, else `leave` for approved leave, else `absent` once
the check-in window closed (`pending` before). Everything is counted in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, literal, select, union
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


def expected_pairs(where):
    """(activity_id, member_id) for every expected attendee of the activities in `where`."""
    host, sub = aliased(Organization), aliased(Organization)
    by_host = (
        select(Activity.id.label("activity_id"), Member.id.label("member_id"))
        .join(host, host.id == Activity.org_id)
        .join(sub, sub.path.like(host.path + "%"))
        .join(Member, and_(Member.org_id == sub.id, Member.is_active.is_(True)))
        .where(where)
    )
    inv, sub2 = aliased(Organization), aliased(Organization)
    by_org = (
        select(Activity.id, Member.id)
        .join(activity_invited_orgs, activity_invited_orgs.c.activity_id == Activity.id)
        .join(inv, inv.id == activity_invited_orgs.c.org_id)
        .join(sub2, sub2.path.like(inv.path + "%"))
        .join(Member, and_(Member.org_id == sub2.id, Member.is_active.is_(True)))
        .where(where)
    )
    by_member = (
        select(Activity.id, Member.id)
        .join(activity_invited_members, activity_invited_members.c.activity_id == Activity.id)
        .join(
            Member,
            and_(Member.id == activity_invited_members.c.member_id, Member.is_active.is_(True)),
        )
        .where(where)
    )
    return union(by_host, by_org, by_member).subquery("pairs")


def activity_stats(where, now: datetime):
    """A subquery: one row per activity with counts by status, voters and committee quorum."""
    pairs = expected_pairs(where)
    att = aliased(Attendance)
    leave = aliased(AttendanceRequest)
    member = aliased(Member)
    role = aliased(OrgRole)
    act = aliased(Activity)
    closed = act.checkin_closes_at <= literal(now, UTCDateTime())  # bind as naive UTC
    status = case(
        (att.id.is_not(None), att.status),
        (leave.id.is_not(None), "leave"),
        (closed, "absent"),
        else_="pending",
    )
    attended = status.in_(ATTENDED)
    voter = and_(member.status == "full", member.excused.is_(False))

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
        .join(member, member.id == pairs.c.member_id)
        .outerjoin(
            att, and_(att.activity_id == pairs.c.activity_id, att.member_id == pairs.c.member_id)
        )
        .outerjoin(
            leave,
            and_(
                leave.activity_id == pairs.c.activity_id,
                leave.member_id == pairs.c.member_id,
                leave.kind == "leave",
                leave.status == "approved",
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
