"""One SQL aggregate per activity, shared by the attendance report, the compliance matrix
and the 20th-of-month reminder: who was expected, who came, who was on leave, quorum.

Expected attendees are (activity, member) pairs from app.activities.expected: the snapshot
fixed when the check-in window closed, else the history as of the activity's day. Each
pair's status is its attendance row's, else `leave` for approved leave, else `absent` once
the check-in window closed (`pending` before). Everything is counted in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased

from app.activities.expected import expected_pairs
from app.activities.models import ATTENDED, Activity, Attendance, AttendanceRequest
from app.db import UTCDateTime
from app.org.models import Organization


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
    act = aliased(Activity)
    closed = act.checkin_closes_at <= literal(now, UTCDateTime())  # bind as naive UTC
    status = case(
        (att.id.is_not(None), att.status),
        (leave.c.activity_id.is_not(None), "leave"),
        (closed, "absent"),
        else_="pending",
    )
    attended = status.in_(ATTENDED)
    voter = pairs.c.voter.is_(True)
    committee_member = pairs.c.committee.is_(True)

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    return (
        select(
            act.id.label("activity_id"),
            act.org_id.label("host_id"),
            act.type.label("type"),
            act.title.label("title"),
            act.starts_at.label("starts_at"),
            act.held_on.label("held_on"),
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
        .group_by(act.id, act.org_id, act.type, act.title, act.starts_at, act.held_on)
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
