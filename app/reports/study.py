"""Study participation per branch and period, points, quiz accuracy, top lessons, and each
member's study hours against the 32 hours a year of rule 2 — all GROUP BY in the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.activities.models import ATTENDED, Activity, Attendance
from app.db import UTCDateTime
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.points.models import PointLedger
from app.reports.frozen import frozen_study_hours
from app.reports.models import MONTH_COLUMNS, ClosedPeriod, FrozenStudy
from app.study.models import DailyQuiz, ReadingSession, StudyDay, StudyItem
from app.timeutil import local_midnight

YEARLY_HOURS = 32  # 党员教育管理工作条例 (2019) art. 20: collective study per member and year
# attended activities of these types count as collective study time
STUDY_ACTIVITY_TYPES = ("party_lecture", "training", "theme_day")
TOP_LESSONS = 10
STUDY_HOURS_PER_DAY = 8  # an activity without declared hours counts at most this per day


def member_branch():
    """SQL over Member joined to its Organization `org`: the member's branch id."""
    org = aliased(Organization, name="member_org")
    return org, func.coalesce(case((org.type == "group", org.parent_id)), org.id)


def _members_per_branch(scope_path: str) -> dict[int, tuple[str, int]]:
    org, branch = member_branch()
    branch_org = aliased(Organization)
    rows = db.session.execute(
        select(branch, branch_org.name, func.count(Member.id))
        .select_from(Member)
        .join(org, org.id == Member.org_id)
        .join(branch_org, branch_org.id == branch)
        .where(Member.is_active.is_(True), org.path.like(scope_path + "%"))
        .group_by(branch, branch_org.name, branch_org.path)
        .order_by(branch_org.path)
    ).all()
    return {b: (name, n) for b, name, n in rows}


def _week_bucket(column, start: date, end: date):
    # at least one bucket: a period still to come is one empty week, not an empty CASE
    weeks = [start + timedelta(days=7 * i) for i in range(max(0, (end - start).days) // 7 + 1)]
    return case(*((column < w + timedelta(days=7), w) for w in weeks), else_=None)


def study_report(scope_org: Organization, start: date, end: date, by: str) -> dict[str, Any]:
    """Per branch: participation per day or week, average points, quiz accuracy; top lessons."""
    path = scope_org.path
    members = _members_per_branch(path)
    org, branch = member_branch()
    in_scope = and_(Member.is_active.is_(True), org.path.like(path + "%"))

    # a member took part on a day when they read for a while or submitted the daily quiz
    # filter to the subtree inside each part: a branch must not read the whole city's days
    subtree = _subtree_members(scope_org)
    active_days = union_all(
        select(StudyDay.member_id, StudyDay.day).where(
            StudyDay.day >= start,
            StudyDay.day < end,
            StudyDay.seconds > 0,
            StudyDay.member_id.in_(subtree),
        ),
        select(DailyQuiz.member_id, DailyQuiz.day).where(
            DailyQuiz.day >= start,
            DailyQuiz.day < end,
            DailyQuiz.submitted_at.is_not(None),
            DailyQuiz.member_id.in_(subtree),
        ),
    ).subquery("active_days")
    bucket = active_days.c.day if by == "day" else _week_bucket(active_days.c.day, start, end)
    participation = db.session.execute(
        select(branch, bucket, func.count(func.distinct(active_days.c.member_id)))
        .select_from(active_days)
        .join(Member, Member.id == active_days.c.member_id)
        .join(org, org.id == Member.org_id)
        .where(in_scope)
        .group_by(branch, bucket)
    ).all()
    overall = dict(
        db.session.execute(
            select(branch, func.count(func.distinct(active_days.c.member_id)))
            .select_from(active_days)
            .join(Member, Member.id == active_days.c.member_id)
            .join(org, org.id == Member.org_id)
            .where(in_scope)
            .group_by(branch)
        ).all()
    )
    points = dict(
        db.session.execute(
            select(branch, func.coalesce(func.sum(PointLedger.delta), 0))
            .select_from(PointLedger)
            .join(Member, Member.id == PointLedger.member_id)
            .join(org, org.id == Member.org_id)
            .where(in_scope, PointLedger.day >= start, PointLedger.day < end)
            .group_by(branch)
        ).all()
    )
    quiz = {
        b: (int(correct or 0), int(asked or 0))
        for b, correct, asked in db.session.execute(
            select(
                branch,
                func.sum(DailyQuiz.correct),
                func.sum(func.json_array_length(DailyQuiz.question_ids)),
            )
            .select_from(DailyQuiz)
            .join(Member, Member.id == DailyQuiz.member_id)
            .join(org, org.id == Member.org_id)
            .where(
                in_scope,
                DailyQuiz.day >= start,
                DailyQuiz.day < end,
                DailyQuiz.submitted_at.is_not(None),
            )
            .group_by(branch)
        ).all()
    }
    series: dict[int, list[dict[str, Any]]] = {}
    for b, when, count in participation:
        if when is None or b not in members:
            continue
        series.setdefault(b, []).append(
            {"start": when, "members": count, "rate": round(count / members[b][1], 4)}
        )
    rows = []
    for b, (name, count) in members.items():
        correct, asked = quiz.get(b, (0, 0))
        rows.append(
            {
                "org_id": b,
                "org_name": name,
                "members": count,
                "participants": int(overall.get(b, 0)),
                "participation_rate": round(overall.get(b, 0) / count, 4) if count else None,
                "average_points": round(int(points.get(b, 0)) / count, 2) if count else None,
                "quiz_accuracy": round(correct / asked, 4) if asked else None,
                "series": sorted(series.get(b, []), key=lambda p: p["start"]),
            }
        )
    return {
        "org_id": scope_org.id,
        "org_name": scope_org.name,
        "from": start,
        "to": end - timedelta(days=1),
        "by": by,
        "rows": rows,
        "top_lessons": top_lessons(path, start, end),
    }


def top_lessons(path: str, start: date, end: date) -> list[dict[str, Any]]:
    """The most completed lessons and articles of the period among the subtree's members."""
    org, _ = member_branch()
    rows = db.session.execute(
        select(StudyItem.id, StudyItem.title, StudyItem.kind, func.count(ReadingSession.id))
        .join(ReadingSession, ReadingSession.item_id == StudyItem.id)
        .join(Member, Member.id == ReadingSession.member_id)
        .join(org, org.id == Member.org_id)
        .where(
            org.path.like(path + "%"),
            ReadingSession.status == "completed",
            ReadingSession.points > 0,  # counted completions only (an effective dwell)
            ReadingSession.completed_at >= local_midnight(start),
            ReadingSession.completed_at < local_midnight(end),
            StudyItem.kind != "morning_brief",
        )
        .group_by(StudyItem.id, StudyItem.title, StudyItem.kind)
        .order_by(func.count(ReadingSession.id).desc(), StudyItem.id)
        .limit(TOP_LESSONS)
    ).all()
    return [{"item_id": i, "title": t, "kind": k, "completions": n} for i, t, k, n in rows]


def study_seconds(year: int, now: datetime, members=None, frozen: bool = True):
    """A subquery (member_id, seconds): reading time plus attended study activities in `year`,
    for the members selected by `members` (a select of ids; None: everyone). The months whose
    seconds are frozen (FrozenStudy) are read from there unless `frozen` is false (what
    freezing a year computes)."""
    months = frozen_study_months(year) if frozen else set()
    open_days = _open_ranges(year, months)
    parts = _live_parts(open_days, now, members) if open_days else []
    if months:
        total = sum(getattr(FrozenStudy, MONTH_COLUMNS[m - 1]) for m in sorted(months))
        parts.insert(
            0,
            select(FrozenStudy.member_id, total.label("seconds")).where(
                FrozenStudy.year == year,
                FrozenStudy.member_id.in_(members) if members is not None else True,
            ),
        )
    sources = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("study_sources")
    return (
        select(sources.c.member_id, func.sum(sources.c.seconds).label("seconds"))
        .group_by(sources.c.member_id)
        .subquery("study_seconds")
    )


def frozen_study_months(year: int) -> set[int]:
    """The months of `year` whose members' study seconds are frozen."""
    starts = db.session.scalars(
        select(ClosedPeriod.start).where(
            ClosedPeriod.kind == "month",
            ClosedPeriod.study_frozen.is_(True),
            ClosedPeriod.start >= date(year, 1, 1),
            ClosedPeriod.start < date(year + 1, 1, 1),
        )
    )
    return {s.month for s in starts}


def _open_ranges(year: int, frozen_months: set[int]) -> list[tuple[date, date]]:
    """[first, end) day ranges of `year` outside the frozen months, merged."""
    out: list[tuple[date, date]] = []
    for m in range(1, 13):
        if m in frozen_months:
            continue
        first, end = date(year, m, 1), date(year + (m == 12), m % 12 + 1, 1)
        if out and out[-1][1] == first:
            out[-1] = (out[-1][0], end)
        else:
            out.append((first, end))
    return out


def _live_parts(ranges: list[tuple[date, date]], now: datetime, members=None) -> list:
    """Two selects (member_id, seconds): reading days and attended study activities inside
    the day ranges (activities by their start, up to `now`), one row per member each."""
    duration = func.coalesce(func.sum(declared_seconds()), 0)
    read_days = or_(*(and_(StudyDay.day >= a, StudyDay.day < b) for a, b in ranges))
    started = or_(
        *(
            and_(
                Activity.starts_at >= local_midnight(a),
                Activity.starts_at < literal(min(local_midnight(b), now), UTCDateTime()),
            )
            for a, b in ranges
        )
    )
    return [
        select(StudyDay.member_id, func.sum(StudyDay.seconds).label("seconds"))
        .where(read_days, StudyDay.member_id.in_(members) if members is not None else True)
        .group_by(StudyDay.member_id),
        select(Attendance.member_id, duration.label("seconds"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(
            Attendance.status.in_(ATTENDED),
            Activity.status == "published",
            Activity.type.in_(STUDY_ACTIVITY_TYPES),
            started,
            Attendance.member_id.in_(members) if members is not None else True,
        )
        .group_by(Attendance.member_id),
    ]


def freeze_study_month(first: date, now: datetime, scopes: list[Organization] | None) -> int:
    """Write each member's study seconds of the month beginning `first` into FrozenStudy
    (the members under `scopes`; None: everyone). Returns how many members studied."""
    end = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    members = None
    if scopes is not None:
        org = aliased(Organization)
        members = (
            select(Member.id)
            .join(org, org.id == Member.org_id)
            .where(or_(*(org.path.like(t.path + "%") for t in scopes)))
        )
    part = union_all(*_live_parts([(first, end)], now, members)).subquery("month_sources")
    rows = db.session.execute(
        select(part.c.member_id, func.sum(part.c.seconds))
        .group_by(part.c.member_id)
        .having(func.sum(part.c.seconds) > 0)
    ).all()
    column = MONTH_COLUMNS[first.month - 1]
    # a member's month frozen again starts from 0: their study may since have been removed
    db.session.execute(
        update(FrozenStudy)
        .where(
            FrozenStudy.year == first.year,
            FrozenStudy.member_id.in_(members) if members is not None else True,
        )
        .values({column: 0})
    )
    if rows:
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(FrozenStudy)
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_id", "year"], set_={column: stmt.excluded[column]}
        )
        db.session.execute(
            stmt,
            [{"member_id": m, "year": first.year, column: round(float(s))} for m, s in rows],
        )
    return len(rows)


def declared_seconds():
    """SQL: an activity's study time — its declared study hours, else its duration capped
    at STUDY_HOURS_PER_DAY for each started day it spans (a Mon 09:00 → Wed 17:00 training
    is 3 × 8 = 24 hours, not the 56 on the wall clock)."""
    wall = _seconds_between(Activity.starts_at, Activity.ends_at)
    days = cast((wall + 86399) / 86400, Integer)
    cap = days * (STUDY_HOURS_PER_DAY * 3600)
    default = case((wall <= 0, 0), (wall > cap, cap), else_=wall)
    return func.coalesce(Activity.study_hours * 3600, default)


def _seconds_between(start_col, end_col):
    """Seconds from one UTC timestamp column to another, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(end_col) - func.julianday(start_col)) * 86400
    return func.extract("epoch", end_col - start_col)


def _subtree_members(scope_org: Organization):
    org = aliased(Organization)
    return (
        select(Member.id)
        .join(org, org.id == Member.org_id)
        .where(org.path.like(scope_org.path + "%"))
    )


def hours_by_branch(
    scope_org: Organization, year: int, now: datetime, frozen: bool = True
) -> dict[int, dict]:
    """Per branch: members, average study hours this year, and how many reached 32 hours
    (closed months as frozen unless `frozen` is false)."""
    seconds = study_seconds(year, now, _subtree_members(scope_org), frozen)
    org, branch = member_branch()
    hours = func.coalesce(seconds.c.seconds, 0) / 3600.0
    rows = db.session.execute(
        select(
            branch,
            func.count(Member.id),
            func.avg(hours),
            func.sum(case((hours >= YEARLY_HOURS, 1), else_=0)),
        )
        .select_from(Member)
        .join(org, org.id == Member.org_id)
        .outerjoin(seconds, seconds.c.member_id == Member.id)
        .where(Member.is_active.is_(True), org.path.like(scope_org.path + "%"))
        .group_by(branch)
    ).all()
    return {
        b: {
            "members": n,
            "average_hours": round(float(avg or 0), 2),
            "members_meeting_target": int(met or 0),
            "target_hours": YEARLY_HOURS,
        }
        for b, n, avg, met in rows
    }


def member_hours(member_id: int, year: int, now: datetime) -> float:
    """One member's study hours in `year` (reading plus attended study activities)."""
    seconds = study_seconds(year, now, select(literal(member_id)))
    value = db.session.scalar(select(seconds.c.seconds).where(seconds.c.member_id == member_id))
    return round(float(value or 0) / 3600, 2)


def hours_by_member(scope_org: Organization, year: int, now: datetime) -> dict[int, float]:
    """Study hours this year of every member of a subtree who studied (others: 0)."""
    seconds = study_seconds(year, now, _subtree_members(scope_org))
    org, _ = member_branch()
    rows = db.session.execute(
        select(Member.id, seconds.c.seconds)
        .join(org, org.id == Member.org_id)
        .join(seconds, seconds.c.member_id == Member.id)
        .where(org.path.like(scope_org.path + "%"))
    ).all()
    return {m: round(float(s or 0) / 3600, 2) for m, s in rows}


def with_study_hours(report: dict[str, Any], kind: str, now: datetime) -> dict[str, Any]:
    """Add study hours (against 32 a year) to a compliance, members or member report."""
    org = db.session.get(Organization, report["org_id"])
    if kind == "compliance":
        ids = [b["org_id"] for b in report["branches"]]
        frozen = frozen_study_hours(report["year"], ids) if ids else {}
        hours = {b: h for b, h in frozen.items() if h}
        if len(frozen) < len(ids):  # a year not closed yet (or a branch newer than the freeze)
            hours = hours_by_branch(org, report["year"], now) | hours
        empty = {"members": 0, "average_hours": 0.0, "members_meeting_target": 0}
        for branch in report["branches"]:
            branch["study_hours"] = hours.get(branch["org_id"], empty) | {
                "target_hours": YEARLY_HOURS
            }
    elif kind == "members":
        hours = hours_by_member(org, report["year"], now)
        for row in report["rows"]:
            row["study_hours"] = hours.get(row["member_id"], 0.0)
    return report


def study_for(principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The study report for the query's org (in scope) and period (at most a year)."""
    from app.errors import APIError
    from app.reports.services import period, report_org

    org = report_org(principal, args.get("org_id"))
    start, end = period({"from": args.get("from_"), "to": args.get("to")}, now)
    if (end - start).days > 366:
        raise APIError(400, "report.period_too_long", "学习统计区间最长1年", {"to": ["区间过长"]})
    return study_report(org, start, end, args.get("by", "week"))
