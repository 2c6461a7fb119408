"""Which reminders are due at `now` (rule 8). Each writes with its natural key, so running
`run_due` again — a retry, a misfire catch-up, a second scheduler — adds nothing.

Daily reminders are due from their hour onwards for the rest of that local day (the 07:30
morning brief on workdays, Monday to Friday; the statutory holiday calendar is not modelled);
activity
reminders from their moment until the activity starts (or the check-in window closes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, extract, func, or_, select, union_all

from app.activities.models import ATTENDED, Activity, Attendance, AttendanceRequest
from app.activities.services import expected_condition
from app.extensions import db
from app.members.models import Member
from app.notify.ledger_rules import ledger_rules
from app.notify.services import Reminder, quiet_until, write_reminder
from app.org.models import Organization, OrgRole
from app.reports.compliance import branches_with_gaps
from app.study.models import DailyQuiz, StudyDay, StudyItem
from app.timeutil import local_day, local_midnight, local_tz

ABSENCE_LEVELS = (5, 3)  # months without attendance that alert the secretary (rule 4)
SECRETARY_ROLES = ("secretary", "deputy_secretary")
CONVERSION_NOTICE_DAYS = 30  # the secretary hears of a 转正 this long before it is due


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=local_tz())


def _local(value: datetime) -> str:
    return value.astimezone(local_tz()).strftime("%m月%d日 %H:%M")


def _expected_ids(activity: Activity) -> list[int]:
    return list(
        db.session.scalars(
            select(Member.id)
            .join(Organization, Organization.id == Member.org_id)
            .where(expected_condition(activity))
        )
    )


def _activity_reminder(activity: Activity, kind: str, title: str, ids: list[int]) -> Reminder:
    return Reminder(
        kind=kind,
        cause=f"activity:{activity.id}",
        day=local_day(activity.starts_at),
        title=title,
        body=f"{activity.title}，{_local(activity.starts_at)}，{activity.location or ''}".rstrip(
            "，"
        ),
        member_ids=ids,
        data={
            "activity_id": activity.id,
            "starts_at": activity.starts_at.astimezone(local_tz()).isoformat(),
            "page": f"pages/activity/detail?id={activity.id}",
        },
    )


def _published(where) -> list[Activity]:
    return list(
        db.session.scalars(
            select(Activity).where(Activity.status == "published", where).order_by(Activity.id)
        )
    )


def activity_published(now: datetime) -> list[Reminder]:
    """Published activities that have not ended → every expected attendee."""
    return [
        _activity_reminder(a, "activity_published", "新活动通知", _expected_ids(a))
        for a in _published(and_(Activity.published_at <= now, Activity.ends_at > now))
    ]


def activity_before(now: datetime) -> list[Reminder]:
    """24 h and 1 h before the start, for activities published before that moment."""
    out = []
    for kind, ahead, title in (
        ("activity_24h", timedelta(hours=24), "活动明天开始"),
        ("activity_1h", timedelta(hours=1), "活动一小时后开始"),
    ):
        floor = timedelta(hours=1) if kind == "activity_24h" else timedelta(0)
        due = _published(and_(Activity.starts_at <= now + ahead, Activity.starts_at > now + floor))
        # only activities published by then: one published later already had its notice
        due = [a for a in due if a.published_at and a.published_at <= a.starts_at - ahead]
        out += [_activity_reminder(a, kind, title, _expected_ids(a)) for a in due]
    return out


def activity_not_checked_in(now: datetime) -> list[Reminder]:
    """10 minutes after the start → expected attendees with no attendance yet."""
    out = []
    for a in _published(
        and_(Activity.starts_at <= now - timedelta(minutes=10), Activity.checkin_closes_at > now)
    ):
        done = set(
            db.session.scalars(select(Attendance.member_id).where(Attendance.activity_id == a.id))
        )
        ids = [i for i in _expected_ids(a) if i not in done]
        out.append(_activity_reminder(a, "activity_not_checked_in", "活动已开始，您还未签到", ids))
    return out


def political_birthday(now: datetime) -> list[Reminder]:
    """From 08:00: members whose 入党 anniversary is today, with the years."""
    today = local_day(now)
    if now < _at(today, 8):
        return []
    days = [today.day]
    if today.month == 2 and today.day == 28 and not _leap(today.year):
        days.append(29)  # those who joined on 29 February celebrate on the 28th
    rows = db.session.execute(
        select(Member.id, Member.name, Member.joined_on).where(
            Member.is_active.is_(True),
            Member.status.in_(("full", "probationary")),
            Member.joined_on.is_not(None),
            extract("month", Member.joined_on) == today.month,
            extract("day", Member.joined_on).in_(days),
        )
    ).all()
    return [
        Reminder(
            kind="political_birthday",
            cause=f"birthday:{today.year}",
            day=today,
            title="政治生日快乐",
            body=f"{r.name}同志，今天是您入党{today.year - r.joined_on.year}周年的政治生日",
            member_ids=[r.id],
            data={"years": today.year - r.joined_on.year, "page": "pages/me/index"},
        )
        for r in rows
        if today.year > r.joined_on.year
    ]


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _secretaries(org_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(OrgRole.member_id).where(
                OrgRole.org_id == org_id,
                OrgRole.role.in_(SECRETARY_ROLES),
                OrgRole.member_id.is_not(None),
                OrgRole.until.is_(None),
            )
        )
    )


def compliance_gap(now: datetime) -> list[Reminder]:
    """On the 20th from 09:00: secretaries of branches missing this month's (quarter's) meetings."""
    today = local_day(now)
    if today.day != 20 or now < _at(today, 9):
        return []
    out = []
    for gap in branches_with_gaps(today, now):
        names = "、".join(gap.missing_labels)
        out.append(
            Reminder(
                kind="compliance_gap",
                cause=f"compliance:{gap.org_id}:{today:%Y-%m}",
                day=today,
                title="本月组织生活尚未完成",
                body=f"{gap.org_name}尚未召开：{names}",
                member_ids=_secretaries(gap.org_id),
                data={"org_id": gap.org_id, "missing": gap.missing, "page": "pages/branch/index"},
            )
        )
    return out


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def absence_alert(now: datetime) -> list[Reminder]:
    """From 09:00: tell secretaries about members 3 and 5 months without organisation life."""
    today = local_day(now)
    if now < _at(today, 9):
        return []
    # approved leave is not absence: leave (a row or an approved request) counts as taking part
    took_part = union_all(
        select(Attendance.member_id, Attendance.activity_id).where(
            Attendance.status.in_((*ATTENDED, "leave"))
        ),
        select(AttendanceRequest.member_id, AttendanceRequest.activity_id).where(
            AttendanceRequest.kind == "leave", AttendanceRequest.status == "approved"
        ),
    ).subquery()
    last = (
        select(took_part.c.member_id, func.max(Activity.starts_at).label("last_at"))
        .join(Activity, Activity.id == took_part.c.activity_id)
        .where(Activity.status == "published", Activity.starts_at <= now)
        .group_by(took_part.c.member_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Member.id, Member.name, Member.org_id, Member.created_at, last.c.last_at)
        .outerjoin(last, last.c.member_id == Member.id)
        .where(
            Member.is_active.is_(True),
            Member.status.in_(("full", "probationary")),
            or_(last.c.last_at.is_(None), last.c.last_at <= now - timedelta(days=89)),
        )
    ).all()
    out = []
    for r in rows:
        since = local_day(r.last_at or r.created_at)
        months = _months_between(since, today)
        level = next((lv for lv in ABSENCE_LEVELS if months >= lv), None)
        if level is None:
            continue
        out.append(
            Reminder(
                kind="absence_alert",
                cause=f"absence:{r.id}:{since.isoformat()}:{level}",
                day=since,
                title=f"党员连续{level}个月未参加组织生活",
                body=f"{r.name}自{since:%Y年%m月%d日}起未参加组织生活，满6个月将按自行脱党处理",
                member_ids=_secretaries(r.org_id) or _secretaries_above(r.org_id),
                data={"member_id": r.id, "months": months, "page": "pages/branch/members"},
            )
        )
    return out


def _secretaries_above(org_id: int) -> list[int]:
    org = db.session.get(Organization, org_id)
    return _secretaries(org.parent_id) if org and org.parent_id else []


def morning_brief(now: datetime) -> list[Reminder]:
    """From 07:30 on workdays: today's 晨会5分钟 → every member its scope covers."""
    today = local_day(now)
    if today.weekday() >= 5 or now < _at(today, 7, 30):
        return []
    items = db.session.scalars(
        select(StudyItem)
        .where(
            StudyItem.kind == "morning_brief",
            StudyItem.is_active.is_(True),
            StudyItem.publish_at >= local_midnight(today),
            StudyItem.publish_at <= now,
        )
        .order_by(StudyItem.id)
    ).all()
    out = []
    for item in items:
        ids = db.session.scalars(
            select(Member.id)
            .join(Organization, Organization.id == Member.org_id)
            .where(Member.is_active.is_(True), Organization.path.like(item.org.path + "%"))
        ).all()
        out.append(
            Reminder(
                kind="morning_brief",
                cause=f"study:{item.id}",
                day=today,
                title="晨会5分钟",
                body=item.title,
                member_ids=ids,
                data={"item_id": item.id, "page": f"pages/study/detail?id={item.id}"},
            )
        )
    return out


def study_evening(now: datetime) -> list[Reminder]:
    """From 20:00: members who have not studied today (no reading time, no daily quiz)."""
    today = local_day(now)
    if now < _at(today, 20):
        return []
    studied = select(StudyDay.member_id).where(StudyDay.day == today, StudyDay.seconds > 0)
    quizzed = select(DailyQuiz.member_id).where(
        DailyQuiz.day == today, DailyQuiz.submitted_at.is_not(None)
    )
    ids = db.session.scalars(
        select(Member.id).where(
            Member.is_active.is_(True),
            Member.status.in_(("full", "probationary", "activist")),
            Member.id.not_in(studied),
            Member.id.not_in(quizzed),
        )
    ).all()
    return [
        Reminder(
            kind="study_evening",
            cause="daily",
            day=today,
            title="今天还没有学习哦",
            body="花5分钟读一读今天的学习内容",
            member_ids=ids,
            data={"page": "pages/study/index"},
        )
    ]


def conversion_due(now: datetime) -> list[Reminder]:
    """From 09:00: tell the branch's secretaries a month ahead that a probationary member's
    year of probation ends (转正 is to be discussed), once per member and due day. An
    extended probation (recruitment's `extend`) ends on its new day: the reminder moves
    there (its cause names the day, so the old day's never fires for it)."""
    from app.members.services import full_due_on
    from app.recruitment.models import Applicant

    today = local_day(now)
    if now < _at(today, 9):
        return []
    rows = db.session.scalars(
        select(Member).where(
            Member.is_active.is_(True),
            Member.status == "probationary",
            Member.probation_started_on.is_not(None),
            Member.probation_started_on <= today - timedelta(days=365 - CONVERSION_NOTICE_DAYS),
        )
    ).all()
    extended = dict(
        db.session.execute(
            select(Applicant.member_id, Applicant.extended_until).where(
                Applicant.member_id.in_([m.id for m in rows]),
                Applicant.stage == "probationary",
                Applicant.extended_until.is_not(None),
            )
        ).all()
        if rows
        else []
    )
    out = []
    for m in rows:
        due = extended.get(m.id) or full_due_on(m)
        if due is None or not (today <= due <= today + timedelta(days=CONVERSION_NOTICE_DAYS)):
            continue
        org = m.org.parent if m.org.type == "group" and m.org.parent else m.org
        out.append(
            Reminder(
                kind="conversion_due",
                cause=f"conversion:{m.id}:{due.isoformat()}",
                day=due - timedelta(days=CONVERSION_NOTICE_DAYS),  # the same key every day
                title="预备党员预备期即将期满",
                body=f"{m.name}的预备期将于{due:%Y年%m月%d日}期满，请及时讨论其转正问题",
                member_ids=_secretaries(org.id) or _secretaries_above(org.id),
                data={"member_id": m.id, "due_on": due.isoformat(), "page": "pages/branch/members"},
            )
        )
    return out


def recruitment_due(now: datetime) -> list[Reminder]:
    """发展党员 deadlines: the one-month talk, half-year assessments, the approval."""
    from app.recruitment.tracking import recruitment_due as due

    return due(now)


RULES: list[Callable[[datetime], list[Reminder]]] = [
    activity_published,
    activity_before,
    activity_not_checked_in,
    morning_brief,
    study_evening,
    political_birthday,
    compliance_gap,
    absence_alert,
    conversion_due,
    recruitment_due,
]
RULES.extend(ledger_rules())  # dues, notices, visits (issue 19), kept in their own packages


# Daily reminders are not written in quiet hours: a scheduler first started at 23:00 would
# otherwise put the day's brief and "not studied yet" into every inbox at night, stale by
# morning. Activity reminders still are (their push waits for the morning).
DAILY_RULES = frozenset(
    (morning_brief, study_evening, political_birthday, compliance_gap, absence_alert)
)


def run_due(now: datetime) -> dict[str, int]:
    """Write every reminder due at `now`; returns rows added per kind (0 on a re-run)."""
    added: dict[str, int] = {}
    quiet = quiet_until(now) != now
    for rule in RULES:
        if quiet and rule in DAILY_RULES:
            continue
        for reminder in rule(now):
            added[reminder.kind] = added.get(reminder.kind, 0) + write_reminder(reminder, now)
    return added
