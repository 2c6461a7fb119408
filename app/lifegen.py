"""A year of Party organisation life, drawn at random but as rule 2 asks: shared by the demo
park (app.demo_life) and the benchmark city (scripts/bench/generate.py).

Pure code, no database: what meetings a branch holds and when (local wall time), how each
expected member took part, what a member studied on a day, and a points book that keeps
the maintained totals equal to the ledger by construction. Timestamps are naive UTC;
local days are Asia/Shanghai (UTC+8, no daylight saving since 1991).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

SHANGHAI = timedelta(hours=8)

PLACES = ("党员活动室", "园区党群服务中心", "公司会议室", "职工之家", "红色教育基地")
TYPES_TITLE = {
    "theme_day": "主题党日：{m}月学习与服务",
    "committee_meeting": "{m}月支委会",
    "group_meeting": "{m}月党小组会",
    "general_meeting": "第{q}季度支部党员大会",
    "party_lecture": "第{q}季度党课",
    "life_meeting": "年度组织生活会",
    "democratic_review": "民主评议党员",
    "heart_talk": "谈心谈话",
    "volunteer": "志愿服务：社区帮扶",
    "training": "党员教育培训",
}
LEAVE_REASONS = ("出差在外", "生病就医", "家中有事", "值班生产", "外出培训")
REQUIRED_MEETINGS = frozenset(
    ("committee_meeting", "group_meeting", "theme_day", "general_meeting", "party_lecture")
)


def utc(local: datetime) -> datetime:
    """Naive local (Shanghai) wall time → naive UTC, as the database stores it."""
    return local - SHANGHAI


def local_day(utc_naive: datetime) -> date:
    """The Shanghai day of a naive UTC instant."""
    return (utc_naive + SHANGHAI).date()


def local_at(day: date, hour: int, minute: int = 0) -> datetime:
    """Naive UTC of a local wall time on a local day."""
    return utc(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute))


def period_keys(day: date) -> tuple[tuple[str, str], ...]:
    """As app.points.scope.period_keys: ISO week, month, year, all."""
    iso_year, iso_week, _ = day.isocalendar()
    return (
        ("week", f"{iso_year}-W{iso_week:02d}"),
        ("month", f"{day.year}-{day.month:02d}"),
        ("year", f"{day.year}"),
        ("all", "all"),
    )


def title(kind: str, local_start: datetime) -> str:
    """The meeting's title, named after the month or quarter it belongs to."""
    month = local_start.month
    return TYPES_TITLE[kind].format(m=month, q=(month - 1) // 3 + 1)


def year_schedule(
    rng: random.Random,
    start_day: date,
    end_day: date,
    theme_day: int,
    has_committee: bool,
    groups: list,
) -> list[tuple[str, object, datetime]]:
    """(kind, host group or None, local start) of a branch's year, as rule 2 asks: 主题党日
    and 支委会 monthly, 党小组会 monthly per group, 党员大会 and 党课 quarterly, 组织生活会 and
    民主评议 in December, one 谈心谈话, a little volunteer service and training."""
    out = []
    months = []
    y, m = start_day.year, start_day.month
    while date(y, m, 1) <= end_day:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    def at(y, m, day, hour, minute=0):
        return datetime(y, m, min(day, 28), hour, minute)  # noqa: DTZ001 — local wall time

    heart_month = rng.randint(1, 12)
    for y, m in months:
        out.append(("theme_day", None, at(y, m, theme_day, rng.choice((9, 14, 15)))))
        if has_committee:
            out.append(("committee_meeting", None, at(y, m, rng.randint(2, 10), 16)))
        for g in groups:
            out.append(("group_meeting", g, at(y, m, rng.randint(11, 20), 17)))
        if m % 3 == 2:
            out.append(("general_meeting", None, at(y, m, rng.randint(10, 25), 14, 30)))
            out.append(("party_lecture", None, at(y, m, rng.randint(10, 25), 9, 30)))
        if m == 12:
            out.append(("life_meeting", None, at(y, m, rng.randint(5, 20), 14)))
            out.append(("democratic_review", None, at(y, m, rng.randint(21, 28), 14)))
        if m == heart_month:
            out.append(("heart_talk", None, at(y, m, rng.randint(1, 28), 10)))
        if rng.random() < 0.2:
            out.append(("volunteer", None, at(y, m, rng.randint(1, 28), 9)))
        if rng.random() < 0.1:
            out.append(("training", None, at(y, m, rng.randint(1, 28), 14)))
    lo = datetime.combine(start_day, datetime.min.time())
    hi = datetime.combine(end_day, datetime.min.time())
    return [(k, h, w) for k, h, w in out if lo <= w < hi]


@dataclass(frozen=True)
class Outcome:
    """How one expected member took part in a past meeting."""

    status: str  # present, late, makeup, leave (approved), absent
    at: datetime | None = None  # check-in (or make-up) instant, naive UTC
    leave: tuple[datetime, str, bool] | None = None  # leave asked: (when, reason, approved)


def draw_outcome(
    rng: random.Random, starts: datetime, ends: datetime, propensity: float, can_makeup: bool
) -> Outcome:
    """One member at one meeting: leave asked beforehand (4 %, mostly approved), absent with
    probability 1 − propensity (2 % of them signed in afterwards by the secretary: 补签),
    else present, 8 % of them late."""
    leave = None
    if rng.random() < 0.04:
        approved = rng.random() < 0.9
        asked = starts - timedelta(days=2, minutes=rng.randint(0, 600))
        leave = (asked, rng.choice(LEAVE_REASONS), approved)
        if approved:
            return Outcome("leave", leave=leave)
    if rng.random() > propensity:
        if rng.random() < 0.02 and can_makeup:
            return Outcome("makeup", at=ends + timedelta(days=1), leave=leave)
        return Outcome("absent", leave=leave)
    late = rng.random() < 0.08
    at = starts + (
        timedelta(minutes=rng.randint(6, 25), seconds=rng.randint(0, 59))
        if late
        else -timedelta(minutes=rng.randint(0, 25), seconds=rng.randint(0, 59))
    )
    return Outcome("late" if late else "present", at=at, leave=leave)


@dataclass
class PointsBook:
    """Ledger rows (tuples in app.points ledger column order) with the member totals and the
    week/month/year/all totals kept alongside: equal to the ledger sums by construction."""

    rules: dict[str, int]
    next_id: Callable[[], int] | None = None
    rows: list[tuple] = field(default_factory=list)
    totals: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    periods: dict[tuple[int, str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self,
        member_id: int,
        action: str,
        delta: int,
        reason: str,
        source_type: str,
        source_id: int | None,
        key: str,
        at: datetime,
    ) -> None:
        """Append one entry: (id, member, rule, action, delta, reason, source, id, day, key, at)."""
        day = local_day(at)
        row_id = self.next_id() if self.next_id else None
        self.rows.append(
            (
                row_id,
                member_id,
                self.rules.get(action),
                action,
                delta,
                reason[:200],
                source_type,
                source_id,
                day,
                key,
                at,
            )
        )
        self.totals[member_id] += delta
        for kind, pkey in period_keys(day):
            self.periods[(member_id, kind, pkey)] += delta


def study_year(
    rng: random.Random,
    book: PointsBook,
    member_id: int,
    start_day: date,
    today: date,
    briefs: dict[date, int],
    lessons: dict[date, tuple[int, int]],
    engagement: float,
) -> list[tuple[int, date, int, datetime]]:
    """A member's study days through yesterday, with the points rule 7 pays (each within its
    daily cap): sign-in, the day's brief, up to 5 correct quiz answers, the latest lesson
    once. Returns study_days rows (member, day, seconds, updated at)."""
    out = []
    day = start_day
    last_lesson: tuple[int, int] | None = None
    while day < today:
        lesson = lessons.get(day)
        if lesson:
            last_lesson = lesson
        if rng.random() < engagement:
            at = local_at(day, 7) + timedelta(minutes=rng.randint(0, 840))
            book.add(
                member_id,
                "daily_signin",
                1,
                "每日登录",
                "signin",
                None,
                f"signin:{member_id}:{day.isoformat()}",
                at,
            )
            seconds = 0
            item = briefs.get(day)
            if item and rng.random() < 0.7:
                seconds += rng.randint(60, 300)
                book.add(
                    member_id,
                    "morning_brief",
                    1,
                    "学习：晨会5分钟",
                    "study_item",
                    item,
                    f"brief:{member_id}:{item}",
                    at + timedelta(seconds=seconds),
                )
            if rng.random() < 0.4:
                book.add(
                    member_id,
                    "quiz_correct",
                    rng.randint(1, 5),
                    "每日答题",
                    "daily_quiz",
                    None,
                    f"quiz:{member_id}:{day.isoformat()}",
                    at + timedelta(minutes=10),
                )
            if last_lesson and rng.random() < 0.25:
                item, minutes = last_lesson
                end = at + timedelta(minutes=20)
                book.add(
                    member_id,
                    "read_item",
                    1,
                    "学习：微课堂",
                    "study_item",
                    item,
                    f"read:{member_id}:{item}",
                    end,
                )
                mins = rng.randint(6, minutes)
                book.add(
                    member_id,
                    "read_minutes",
                    min(6, mins),
                    "学习：微课堂",
                    "study_item",
                    item,
                    f"readmin:{member_id}:{item}",
                    end,
                )
                seconds += mins * 60
                last_lesson = None  # the same item never scores twice
            if seconds:
                out.append((member_id, day, seconds, at))
        day += timedelta(days=1)
    return out
