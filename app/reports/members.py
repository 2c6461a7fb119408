"""The members report: attendance, the six-month rule (rule 4) and points, per member."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import aliased

from app.activities.models import (
    ATTENDED,
    Activity,
    Attendance,
    AttendanceRequest,
)
from app.auth import Principal
from app.errors import forbidden, not_found
from app.extensions import db
from app.members.models import PARTY_STATUSES, STATUS_LABELS, Member, MemberExcusal
from app.org.models import Organization
from app.points.models import MemberPoints
from app.reports.services import local_year, month_starts, no_jit, report_org
from app.reviews.summary import member_year_grades
from app.timeutil import local_day, local_midnight
from app.transfers.models import MemberContact, MobileMembership, MobileParticipation

ABSENCE_FLAGS = (3, 5, 6)  # warnings at 3 and 5 months; at 6 treated as having left
AWAY_MONTHS = 6  # away at one fixed place this long: 应转接组织关系
LOST_MONTHS = 6  # no contact this long: 失联


def _took_part(members=None):
    """(member, activity) pairs where the member attended or was on approved leave; only of
    `members` (a select of member ids) when given, filtered in each branch of the union so
    the database reads those members' rows by index instead of the whole city's."""
    attended = select(Attendance.member_id, Attendance.activity_id, Attendance.status).where(
        Attendance.status.in_((*ATTENDED, "leave"))
    )
    on_leave = select(
        AttendanceRequest.member_id,
        AttendanceRequest.activity_id,
        AttendanceRequest.kind,
    ).where(AttendanceRequest.kind == "leave", AttendanceRequest.status == "approved")
    if members is not None:
        attended = attended.where(Attendance.member_id.in_(members))
        on_leave = on_leave.where(AttendanceRequest.member_id.in_(members))
    return union_all(attended, on_leave).subquery("took_part")


def months_without(last: datetime | None, since: datetime, now: datetime) -> int:
    """Whole months from the last attendance (or joining the system) to now."""
    start = local_day(last or since)
    end = local_day(now)
    months = (end.year - start.year) * 12 + end.month - start.month
    return max(0, months - (1 if end.day < start.day else 0))


def member_rows(scope_org: Organization, now: datetime, year: int) -> list[dict[str, Any]]:
    """Per member of a subtree: attended this year, last attendance, months without, points,
    and the year's 民主评议 grade."""
    # only the subtree's members: a branch's list must not aggregate the whole city
    tp = _took_part(
        select(Member.id)
        .join(Organization, Organization.id == Member.org_id)
        .where(Organization.path.like(scope_org.path + "%"))
    )
    start = local_midnight(date(year, 1, 1))
    attended = func.sum(
        case(
            (and_(tp.c.status.in_(ATTENDED), Activity.starts_at >= start), 1),
            else_=0,
        )
    )
    agg = (
        select(
            tp.c.member_id,
            attended.label("attended"),
            func.max(case((tp.c.status.in_(ATTENDED), Activity.starts_at))).label("last_at"),
            func.max(Activity.starts_at).label("last_part_at"),
        )
        .join(Activity, Activity.id == tp.c.activity_id)
        .where(
            Activity.status == "published",
            Activity.starts_at <= now,
        )
        .group_by(tp.c.member_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Member.id,
            Member.name,
            Member.status,
            Member.org_id,
            Organization.name.label("org_name"),
            Member.created_at,
            agg.c.attended,
            agg.c.last_at,
            agg.c.last_part_at,
            func.coalesce(MemberPoints.total, 0).label("points"),
        )
        .join(Organization, Organization.id == Member.org_id)
        .outerjoin(agg, agg.c.member_id == Member.id)
        .outerjoin(MemberPoints, MemberPoints.member_id == Member.id)
        .where(Member.is_active.is_(True), Organization.path.like(scope_org.path + "%"))
        .order_by(Organization.path, Member.id)
    ).all()
    excusals = _excusals(scope_org)
    grades = member_year_grades(scope_org.path, year)
    today = local_day(now)
    mobile = mobile_facts(scope_org, today)
    out = []
    for r in rows:
        facts = mobile.get(r.id, {})
        since = local_day(r.last_part_at or r.created_at)
        # a 参加活动 entry from a mobile member's host counts as taking part (rule 4)
        since = max(since, facts.get("participated_on") or since)
        skipped, excused_now = excused_days(excusals.get(r.id, []), since, today)
        months = months_without(None, local_midnight(since + timedelta(days=skipped)), now)
        # the six-month rule (art. 28 of the 党章) is about Party members who are not excused
        flagged = r.status in PARTY_STATUSES and not excused_now
        out.append(
            {
                "member_id": r.id,
                "name": r.name,
                "status": r.status,
                "status_label": STATUS_LABELS[r.status],
                "org_id": r.org_id,
                "org_name": r.org_name,
                "attended": int(r.attended or 0),
                "last_attended_at": r.last_at,
                "months_without_attendance": months,
                "absence_flag": max((f for f in ABSENCE_FLAGS if months >= f), default=None)
                if flagged
                else None,
                "excused": excused_now,
                "points": int(r.points),
                **away_flags(facts, r.status, since, today),
                "review_grade": grades.get(r.id, {}).get("grade"),
                "review_correction_deadline": grades.get(r.id, {}).get("correction_deadline"),
            }
        )
    return out


def last_took_part(member_ids: list[int], now: datetime) -> dict[int, date]:
    """Per member: the day they last took part (attended, or on approved leave), or the day
    they entered the system — the start of the six-month count."""
    tp = _took_part(select(Member.id).where(Member.id.in_(member_ids)))
    last = dict(
        db.session.execute(
            select(tp.c.member_id, func.max(Activity.starts_at))
            .join(Activity, Activity.id == tp.c.activity_id)
            .where(Activity.status == "published", Activity.starts_at <= now)
            .group_by(tp.c.member_id)
        ).all()
    )
    created = db.session.execute(
        select(Member.id, Member.created_at).where(Member.id.in_(member_ids))
    ).all()
    return {m: local_day(last.get(m) or at) for m, at in created}


def mobile_facts(scope_org: Organization, today: date) -> dict[int, dict[str, Any]]:
    """Per member of a subtree: the last host 参加活动 entry, the last recorded contact, and the
    mobile registration covering today (where they are, since when)."""
    members = (
        select(Member.id)
        .join(Organization, Organization.id == Member.org_id)
        .where(Organization.path.like(scope_org.path + "%"))
    )
    out: dict[int, dict[str, Any]] = {}
    for member_id, day in db.session.execute(
        select(MobileParticipation.member_id, func.max(MobileParticipation.held_on))
        .where(MobileParticipation.member_id.in_(members), MobileParticipation.held_on <= today)
        .group_by(MobileParticipation.member_id)
    ).all():
        out.setdefault(member_id, {})["participated_on"] = day
    for member_id, day in db.session.execute(
        select(MemberContact.member_id, func.max(MemberContact.contacted_on))
        .where(MemberContact.member_id.in_(members), MemberContact.contacted_on <= today)
        .group_by(MemberContact.member_id)
    ).all():
        out.setdefault(member_id, {})["contacted_on"] = day
    host = aliased(Organization)
    for m in db.session.execute(
        select(MobileMembership, host.name.label("host_org_name"))
        .outerjoin(host, host.id == MobileMembership.host_org_id)
        .where(
            MobileMembership.member_id.in_(members),
            MobileMembership.from_on <= today,
            or_(MobileMembership.to_on.is_(None), MobileMembership.to_on >= today),
        )
        .order_by(MobileMembership.from_on)
    ).all():
        facts = out.setdefault(m[0].member_id, {})
        facts["away_since"] = m[0].from_on
        facts["away_at"] = m.host_org_name or m[0].host_name
        facts["away_place"] = m[0].place
    return out


def whole_months(start: date, end: date) -> int:
    """Whole months from `start` to `end` (as the six-month rule counts them)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return max(0, months - (1 if end.day < start.day else 0))


def away_flags(facts: dict[str, Any], status: str, took_part: date, today: date) -> dict:
    """A member's mobile place, 应转接组织关系 (at one fixed place ≥ 6 months) and 失联 (no
    recorded contact, attendance or host entry for 6 months), beside the absence flag."""
    contact = max(took_part, facts.get("contacted_on") or took_part)
    party = status in PARTY_STATUSES
    since = facts.get("away_since")
    return {
        "away_at": facts.get("away_at"),
        "away_place": facts.get("away_place"),
        "away_since": since,
        "transfer_due": bool(party and since and whole_months(since, today) >= AWAY_MONTHS),
        "last_contact": facts.get("contacted_on"),
        "lost_contact": bool(party and whole_months(contact, today) >= LOST_MONTHS),
    }


def _excusals(scope_org: Organization) -> dict[int, list[tuple]]:
    """The excusals of a subtree's members: member → [(from_on, to_on)]."""
    rows = db.session.execute(
        select(MemberExcusal.member_id, MemberExcusal.from_on, MemberExcusal.to_on)
        .join(Member, Member.id == MemberExcusal.member_id)
        .join(Organization, Organization.id == Member.org_id)
        .where(Organization.path.like(scope_org.path + "%"))
    ).all()
    out: dict[int, list[tuple]] = {}
    for member_id, start, end in rows:
        out.setdefault(member_id, []).append((start, end))
    return out


def excused_days(spans: list[tuple], since: date, today: date) -> tuple[int, bool]:
    """Days of [since, today] covered by excusals (skipped by the six-month count), and
    whether the member is excused today."""
    covered: set[date] = set()
    now_excused = False
    for start, end in spans:
        first = max(start or since, since)
        last = min(end or today, today)
        now_excused = now_excused or (
            (start is None or start <= today) and (end is None or end >= today)
        )
        day = first
        while day <= last:
            covered.add(day)
            day += timedelta(days=1)
    return len(covered), now_excused


def member_report(principal: Principal, member_id: int, now: datetime, year: int) -> dict:
    """One member: attendance by month, last attendance, months without, points."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    if principal.member_id != member.id and not (
        principal.is_staff and principal.can_read_org(member.org)
    ):
        raise forbidden("无权查看该党员的报表")
    bounds = [local_midnight(d) for d in month_starts(year)]
    bucket = case(*((Activity.starts_at < bounds[i + 1], i + 1) for i in range(12)), else_=None)
    tp = _took_part()
    by_month = dict(
        db.session.execute(
            select(bucket, func.count())
            .select_from(tp)
            .join(Activity, Activity.id == tp.c.activity_id)
            .where(
                tp.c.member_id == member.id,
                tp.c.status.in_(ATTENDED),
                Activity.status == "published",
                Activity.starts_at >= bounds[0],
                Activity.starts_at < min(bounds[-1], now),
            )
            .group_by(bucket)
        ).all()
    )
    row = next((r for r in member_rows(member.org, now, year) if r["member_id"] == member.id), None)
    if row is None:  # an inactive member: compute the same figures without the list filter
        row = {"member_id": member.id, "name": member.name, "points": 0}
    return {
        **row,
        "year": year,
        "months": [{"month": m, "attended": int(by_month.get(m, 0))} for m in range(1, 13)],
    }


def members_for(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The member list report for the query's org and year."""
    no_jit()
    org = report_org(principal, args.get("org_id"))
    year = args.get("year") or local_year(now)
    rows = member_rows(org, now, year)
    return {"org_id": org.id, "org_name": org.name, "year": year, "rows": rows}
