"""A year of organisation life for the demo park, up to `now` (issue 17).

The console should open on a park in its eleventh month, not on a failing one: every branch
holds its meetings on their days and hours (local time, app.lifegen.year_schedule) except two
branches with gaps a committee would recognise (a food company in its busy season skips three
months of meetings; the community branch went four months without a secretary, see GAPS);
members come 85–95 % of the time with some leave, late arrivals and make-ups; two members
have stopped coming (one close to the six-month line); most members study a few days a week
for points within the daily caps; last year's stars were fixed by the committee in January;
meetings are planned for the coming days. Rows are written in bulk; the point totals are kept
equal to the ledger by app.lifegen.PointsBook.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import click
from sqlalchemy import insert, select, update

from app.extensions import db
from app.lifegen import (
    PLACES,
    Outcome,
    PointsBook,
    draw_outcome,
    local_at,
    study_year,
    title,
    utc,
    year_schedule,
)
from app.lifegen import local_day as naive_local_day
from app.members.models import Member
from app.org.models import Organization

# branch index (creation order) → meeting kinds skipped, by months before the current one
GAPS = {
    # 恩阳食品: three months of the production peak without 主题党日 and the quarter's meetings
    3: {"theme_day": (2, 3, 4), "general_meeting": (2, 3, 4), "party_lecture": (2, 3, 4)},
    # 元窝社区: four months without a secretary (the last one moved away) until one was elected
    8: {"theme_day": (5, 6, 7, 8), "general_meeting": (5, 6, 7), "party_lecture": (5, 6, 7)},
}
# (branch index, member index, whole months since the last meeting attended): stopped coming
QUITTERS = ((2, 2, 5), (5, 2, 3))
BRIEF_TOPICS = (
    "党章中的党员八项义务",
    "党员的八项权利",
    "“三会一课”制度要点",
    "主题党日怎么开",
    "发展党员的25个步骤",
    "党费交纳的标准",
    "组织关系转接",
    "民主评议党员",
    "谈心谈话的要求",
    "党支部的基本任务",
    "两个覆盖：组织覆盖与工作覆盖",
    "廉洁自律准则",
    "新质生产力",
    "安全生产与党员先锋岗",
    "志愿服务与党员责任区",
)
LESSON_TOPICS = (
    "非公企业党建怎么抓",
    "党员先锋岗创建",
    "支部书记如何讲党课",
    "组织生活会批评与自我批评",
    "园区红色阵地建设",
    "数字化党务工作",
)


def aware(naive_utc: datetime | None) -> datetime | None:
    """Naive UTC (as app.lifegen computes) → aware UTC (as the models store)."""
    return naive_utc.replace(tzinfo=UTC) if naive_utc else None


def seed_year_of_life(park: Organization, now: datetime, seed: int, progress: bool) -> None:
    """Give the freshly created demo park its life since January of last year: meetings,
    attendance, study and points (the caller runs this once, when it creates the park)."""
    from app.points.models import PointRule

    now_naive = now.astimezone(UTC).replace(tzinfo=None)
    today = naive_local_day(now_naive)
    # from January of last year: both years the console offers are complete
    first = date(today.year - 1, 1, 1)
    rules = dict(db.session.execute(select(PointRule.action, PointRule.id)).all())
    book = PointsBook(rules)
    branches = list(
        db.session.scalars(
            select(Organization).where(Organization.parent_id == park.id).order_by(Organization.id)
        )
    )
    joined = aware(utc(datetime.combine(first - timedelta(days=35), datetime.min.time())))
    ids = [m.id for b in branches for m in _members(b)]
    db.session.execute(
        update(Member).where(Member.id.in_(ids)).values(created_at=joined, updated_at=joined)
    )
    briefs, lessons = _study_items(park, first, today)
    rows: dict[str, list[dict]] = {"attendance": [], "request": [], "study": []}
    with click.progressbar(
        branches, label="a year of organisation life", hidden=not progress
    ) as bar:
        for index, branch in enumerate(bar):
            rng = random.Random(f"{seed}/demo-life/{index}")
            members = _members(branch)
            stops = {
                members[m].id: ago for b, m, ago in QUITTERS if b == index and m < len(members)
            }
            _branch_year(rng, branch, index, members, stops, first, today, now_naive, book, rows)
            for position, member in enumerate(members):
                if member.id in stops:
                    continue
                # a few members never open the study pages; the secretary always does
                idle = position > 0 and rng.random() < 0.15
                engagement = 0.0 if idle else rng.uniform(0.25, 0.6)
                for mid, day, seconds, at in study_year(
                    rng, book, member.id, first, today, briefs, lessons, engagement
                ):
                    rows["study"].append(
                        {"member_id": mid, "day": day, "seconds": seconds, "updated_at": aware(at)}
                    )
    _write(rows, book, now)
    _rate_last_year(branches, today)


def _members(branch: Organization) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.org_id == branch.id, Member.is_active.is_(True))
            .order_by(Member.id)
        )
    )


def _months_between(start: date, end: date) -> int:
    """Whole months, as the member report counts them (app.reports.services.months_without)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def _skipped(index: int, kind: str, local_start: datetime, today: date) -> bool:
    months = (today.year - local_start.year) * 12 + today.month - local_start.month
    return months in GAPS.get(index, {}).get(kind, ())


def _branch_year(rng, branch, index, members, stops, first, today, now, book, rows) -> None:
    """Schedule the branch's year; record what happened at each meeting already held."""
    from app.activities.models import Activity

    secretary = members[0].id if members else None
    propensity = {m.id: min(0.99, max(0.75, rng.gauss(0.93, 0.05))) for m in members}
    full = {m.id for m in members if m.status == "full"}
    end = today + timedelta(days=8)  # the coming week is planned too
    schedule = [
        (kind, local_start)
        for kind, _host, local_start in year_schedule(
            rng, first, end, branch.theme_day or 15, False, []
        )
        if not _skipped(index, kind, local_start, today)
    ]
    # a member who stopped coming was last at the latest meeting `months` whole months ago
    last = {
        mid: max(
            (utc(ls) for _k, ls in schedule if _months_between(ls.date(), today) >= months),
            default=None,
        )
        for mid, months in stops.items()
    }
    held = []
    for kind, local_start in schedule:
        starts = utc(local_start)
        ends = starts + timedelta(minutes=90)
        past = starts + timedelta(minutes=30) <= now
        hours = rng.choice((2, 3, 4)) if kind == "volunteer" else None
        recorded = ends + timedelta(hours=2) if past and rng.random() < 0.7 else None
        published = starts - timedelta(days=3)
        activity = Activity(
            org_id=branch.id,
            type=kind,
            title=title(kind, local_start),
            location=rng.choice(PLACES),
            starts_at=aware(starts),
            ends_at=aware(ends),
            checkin_opens_before_minutes=30,
            checkin_closes_after_minutes=30,
            late_after_minutes=5,
            checkin_opens_at=aware(starts - timedelta(minutes=30)),
            checkin_closes_at=aware(starts + timedelta(minutes=30)),
            status="published",
            published_at=aware(published),
            summary="会议按议程进行，形成决议。" if recorded else None,
            volunteer_hours=float(hours) if hours and recorded else None,
            recorded_at=aware(recorded),
            created_by_member_id=secretary,
            created_at=aware(published),
            updated_at=aware(recorded or published),
        )
        db.session.add(activity)
        if not past:
            continue
        outcomes = {}
        for m in members:
            outcomes[m.id] = draw_outcome(rng, starts, ends, propensity[m.id], True)
            if m.id in last and last[m.id] is not None and starts >= last[m.id]:
                # there for the last time, then stopped coming: absent, no leave asked
                at = starts - timedelta(minutes=3)
                outcomes[m.id] = Outcome("present", at=at) if starts == last[m.id] else None
        if kind == "general_meeting":
            _make_held(outcomes, full, len(full) // 2 + 1, starts)
        else:
            _make_held(outcomes, set(outcomes), 1, starts)
        held.append((activity, outcomes, hours if recorded else None))
    # one flush for the branch's year (ids for the rows below), not one round trip per meeting
    db.session.flush()
    for activity, outcomes, hours in held:
        for mid, o in outcomes.items():
            if o is not None:
                _record(activity, mid, o, secretary, hours, book, rows)


def _make_held(outcomes: dict, voters: set[int], need: int, starts: datetime) -> None:
    """A branch that holds a meeting has people there: `need` of `voters` (more than half of
    the full members at a 党员大会, else one) come, whatever the dice said."""
    came = sum(1 for m in voters if outcomes[m] and outcomes[m].status in ("present", "late"))
    for mid in sorted(voters):
        if came >= need:
            return
        if outcomes[mid] is not None and outcomes[mid].status not in ("present", "late"):
            outcomes[mid] = Outcome("present", at=starts - timedelta(minutes=5))
            came += 1


def _record(activity, member_id, o, secretary, hours, book, rows) -> None:
    """The attendance row, leave request and points of one member at one past meeting."""
    if o.leave:
        asked, reason, approved = o.leave
        rows["request"].append(
            {
                "activity_id": activity.id,
                "member_id": member_id,
                "kind": "leave",
                "reason": reason,
                "status": "approved" if approved else "rejected",
                "decided_at": aware(asked + timedelta(hours=5)),
                "decided_by_member_id": secretary,
                "decision_note": "同意" if approved else "请按时参加",
                "created_at": aware(asked),
            }
        )
    if o.status not in ("present", "late", "makeup"):
        return
    makeup = o.status == "makeup"
    rows["attendance"].append(
        {
            "activity_id": activity.id,
            "member_id": member_id,
            "status": o.status,
            "method": "manual" if makeup else "qr",
            "checked_in_at": aware(o.at),
            "new_device": False,
            "recorded_by_member_id": secretary if makeup else None,
            "reason": "会后补签：现场签到设备故障" if makeup else None,
            "created_at": aware(o.at),
            "updated_at": aware(o.at),
        }
    )
    if makeup:
        return
    late = o.status == "late"
    book.add(member_id, "attendance_late" if late else "attendance_present", 1 if late else 2,
             f"参加活动：{activity.title}", "activity", activity.id,
             f"attendance:{activity.id}:{member_id}", o.at)  # fmt: skip
    if hours:
        book.add(member_id, "volunteer_hour", min(hours, 4), f"志愿服务：{activity.title}",
                 "activity", activity.id, f"volunteer:{activity.id}:{member_id}",
                 o.at + timedelta(hours=3))  # fmt: skip


def _study_items(park: Organization, first: date, today: date):
    """A 晨会5分钟 every workday before today and a 微课堂 on Tuesdays and Thursdays."""
    from app.study.models import StudyItem

    briefs: dict[date, int] = {}
    lessons: dict[date, tuple[int, int]] = {}
    day, n = first, 0
    made = []
    while day < today:
        if day.weekday() < 5:
            publish = aware(local_at(day, 7))
            topic = BRIEF_TOPICS[n % len(BRIEF_TOPICS)]
            brief = StudyItem(kind="morning_brief", title=f"晨会5分钟：{topic}", org_id=park.id,
                              publish_at=publish, minutes=5, summary=f"{day:%m月%d日}晨会学习",
                              body=f"## {topic}\n\n请用5分钟学习今天的内容。",
                              created_at=publish, updated_at=publish)  # fmt: skip
            lesson = None
            if day.weekday() in (1, 3):
                topic = LESSON_TOPICS[n % len(LESSON_TOPICS)]
                lesson = StudyItem(kind="micro_lesson", title=f"微课堂：{topic}", org_id=park.id,
                                   publish_at=publish, minutes=10, summary="", body=f"### {topic}",
                                   created_at=publish, updated_at=publish)  # fmt: skip
            made.append((day, brief, lesson))
            n += 1
        day += timedelta(days=1)
    db.session.add_all([item for _day, *items in made for item in items if item is not None])
    db.session.flush()  # once: the ids for the points below
    for day, brief, lesson in made:
        briefs[day] = brief.id
        if lesson is not None:
            lessons[day] = (lesson.id, 10)
    return briefs, lessons


def _write(rows: dict[str, list[dict]], book: PointsBook, now: datetime) -> None:
    """Bulk inserts; the maintained totals straight from the points book."""
    from app.activities.models import Attendance, AttendanceRequest
    from app.points.models import MemberPointPeriod, MemberPoints, PointLedger
    from app.points.scope import member_scope
    from app.study.models import StudyDay

    names = ("member_id", "rule_id", "action", "delta", "reason", "source_type", "source_id",
             "day", "idempotency_key", "created_at")  # fmt: skip
    ledger = [dict(zip(names, r[1:], strict=True)) for r in book.rows]
    for entry in ledger:
        entry["created_at"] = aware(entry["created_at"])
    scopes = {m: member_scope(db.session, m) for m in book.totals}
    periods = [
        {"member_id": m, "period_kind": kind, "period_key": key, "points": pts,
         "branch_id": scopes[m][0], "park_id": scopes[m][1], "updated_at": now}
        for (m, kind, key), pts in sorted(book.periods.items())
    ]  # fmt: skip
    totals = [
        {"member_id": m, "total": t, "updated_at": now} for m, t in sorted(book.totals.items())
    ]
    for model, values in (
        (Attendance, rows["attendance"]),
        (AttendanceRequest, rows["request"]),
        (StudyDay, rows["study"]),
        (PointLedger, ledger),
        (MemberPoints, totals),
        (MemberPointPeriod, periods),
    ):
        _insert_many(model.__table__, values)
    db.session.flush()


def _insert_many(table, values: list[dict]) -> None:
    """One Core executemany per table (the driver batches it): neither one statement per row
    nor the ORM's bulk path, which splits rows by their NULL columns."""
    if values:
        db.session.execute(insert(table), values)


def _rate_last_year(branches: list[Organization], today: date) -> None:
    """In mid-January the committee fixed last year's stars of every branch, as the computed
    stars, with a reason (written as app.reports.stars.set_stars writes it, audit included);
    before then last year is still being rated."""
    from app.accounts.models import User
    from app.audit import services as audit
    from app.identities import principal_for
    from app.reports.models import StarRating
    from app.reports.stars import star_board

    rated_at = aware(local_at(date(today.year, 1, 15), 10))
    committee = db.session.scalar(select(User).where(User.username == "committee"))
    if committee is None or not branches or aware(local_at(today, 0)) < rated_at:
        return
    principal = principal_for(f"u:{committee.id}")
    park = db.session.get(Organization, branches[0].parent_id)
    year = today.year - 1
    for row in star_board(park, year, rated_at)["rows"]:  # one board for the whole park
        stars, score = row["computed_stars"], row["score"]
        reason = f"年度考评：综合得分 {score:.2f}，按系统计算结果评定"
        db.session.add(
            StarRating(org_id=row["org_id"], year=year, stars=stars, computed_score=score,
                       reason=reason, set_by_user_id=committee.id, set_at=rated_at)
        )  # fmt: skip
        audit.record(principal, action="stars.set", entity_type="star_rating", entity_id=None,
                     org_id=row["org_id"], now=rated_at, field=f"stars:{year}", old=stars,
                     new=stars, reason=reason)  # fmt: skip
    db.session.flush()


def close_the_past(park: Organization, now: datetime) -> None:
    """Give the demo a closed past (issue 15): fix the attendee lists of every meeting whose
    window has closed, then freeze every month, quarter and year due for closing by `now`
    (PERIOD_CLOSE_DAYS after it ended), as the scheduler would have done over the year."""
    from app.activities.expected import fix_due_attendees
    from app.reports.periods import close_due_periods

    while fix_due_attendees(now):
        pass
    close_due_periods(now)
