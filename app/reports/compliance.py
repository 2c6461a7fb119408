"""三会一课 compliance (rule 2) on each branch's own calendar, shared by the compliance report,
the stars and the 20th-of-month reminder.

A requirement binds a branch for a period only if the branch existed on the period's first
day (`founded_on`); 支委会 only in months whose first day found a committee of ≥3 seated
(roles' `since`/`until`); 党小组会 per group that existed on the month's first day. A
组织生活会 held outside Q4 counts but is flagged; a 主题党日 on another day than the branch's
fixed day counts but is flagged; 谈心谈话 is met when every Party member of the branch (as of
the year's end, or today) attended at least one talk that year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, case, extract, false, func, or_, select
from sqlalchemy.orm import aliased

from app.activities.expected import valid_on
from app.activities.models import ACTIVITY_TYPE_LABELS, ATTENDED, Activity, Attendance
from app.extensions import db
from app.members.models import PARTY_STATUSES, MemberHistory
from app.org.models import COMMITTEE_ROLES, Organization, OrgRole
from app.reports.frozen import closed_keys, frozen_items, gc_paused
from app.reports.stats import activity_filter, activity_stats, held_condition
from app.timeutil import local_day, local_midnight

MONTH, QUARTER, YEAR = "month", "quarter", "year"
MONTHS = {MONTH: 1, QUARTER: 3, YEAR: 12}


@dataclass(frozen=True)
class Requirement:
    """A meeting kind a branch must hold at least `times` per period."""

    type: str
    period: str
    times: int = 1


REQUIREMENTS = (
    Requirement("general_meeting", QUARTER),  # 支部党员大会
    Requirement("committee_meeting", MONTH),  # 支委会 (with a committee)
    Requirement("group_meeting", MONTH),  # 党小组会 (per group)
    Requirement("party_lecture", QUARTER),  # 党课
    Requirement("theme_day", MONTH),  # 主题党日
    Requirement("life_meeting", YEAR),  # 组织生活会 (flagged outside Q4)
    Requirement("democratic_review", YEAR),  # 民主评议党员
    Requirement("heart_talk", YEAR),  # 谈心谈话 (per member)
)
MIN_COMMITTEE = 3
REQUIRED_TYPES = tuple(r.type for r in REQUIREMENTS)
STATUS_LABELS = {"met": "已完成", "missed": "未完成", "open": "进行中", "future": "未到期"}


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """First day of the period containing `day`, and the first day after it."""
    if period == MONTH:
        start = day.replace(day=1)
    elif period == QUARTER:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        start = date(day.year, 1, 1)
    month = start.month - 1 + MONTHS[period]
    return start, date(start.year + month // 12, month % 12 + 1, 1)


def closes_in_month(day: date, period: str) -> bool:
    """Whether the period containing `day` ends with `day`'s month (when a reminder is due)."""
    _, end = period_bounds(day, period)
    return period_bounds(day, MONTH)[1] == end


# --- what each branch's calendar looks like -------------------------------------------------


@dataclass
class Calendar:
    """What binds one branch in a year: founding day, committee months, groups by month."""

    founded_on: date | None
    theme_day: int | None
    committee_months: set[int]
    groups: dict[int, tuple[str, date | None]]  # group id → (name, founded_on)

    def exists_on(self, day: date) -> bool:
        """Whether the branch existed on `day`."""
        return self.founded_on is None or self.founded_on <= day

    def groups_on(self, day: date) -> dict[int, str]:
        """The groups that existed on `day`."""
        return {g: n for g, (n, f) in self.groups.items() if f is None or f <= day}


def calendars(branches: list, year: int, ids: Select | None = None) -> dict[int, Calendar]:
    """Per branch: founding day, months with a committee of ≥3 on the 1st, active groups
    (`ids`: the branches' ids as a subquery, for a city)."""
    if ids is None:
        ids = [b.id for b in branches]
    firsts = [date(year, m, 1) for m in range(1, 13)]
    seats = db.session.execute(
        select(OrgRole.org_id, OrgRole.member_id, OrgRole.since, OrgRole.until).where(
            OrgRole.org_id.in_(ids),
            OrgRole.role.in_(list(COMMITTEE_ROLES)),
            OrgRole.member_id.is_not(None),
        )
    ).all()
    seated: dict[int, list] = defaultdict(list)
    for s in seats:
        seated[s.org_id].append(s)
    groups: dict[int, dict] = defaultdict(dict)
    for g in db.session.execute(
        select(Organization.id, Organization.parent_id, Organization.name, Organization.founded_on)
        .where(
            Organization.parent_id.in_(ids),
            Organization.type == "group",
            Organization.is_active.is_(True),
        )
        .order_by(Organization.path)
    ):
        groups[g.parent_id][g.id] = (g.name, g.founded_on)
    out = {}
    for b in branches:
        months = committee_months(seated[b.id], firsts)
        out[b.id] = Calendar(b.founded_on, b.theme_day, months, groups[b.id])
    return out


def committee_months(seats: list, firsts: list[date]) -> set[int]:
    """The months (1–12) whose first day `firsts[m - 1]` has at least MIN_COMMITTEE distinct
    members seated (`seats`: rows with member_id, since, until)."""
    if len(seats) < MIN_COMMITTEE:
        return set()  # never a committee this year (most of a city's branches)
    if all(
        (s.since is None or s.since <= firsts[0]) and (s.until is None or s.until > firsts[-1])
        for s in seats
    ):
        # every seat held on every 1st (most branches with a committee): one count, not twelve
        full = len({s.member_id for s in seats}) >= MIN_COMMITTEE
        return set(range(1, len(firsts) + 1)) if full else set()
    months = set()
    for m, first in enumerate(firsts, start=1):
        on = {
            s.member_id
            for s in seats
            if (s.since is None or s.since <= first) and (s.until is None or s.until > first)
        }
        if len(on) >= MIN_COMMITTEE:
            months.add(m)
    return months


# --- what was held ----------------------------------------------------------------------------


Window = tuple[frozenset[str], date, date]  # meeting kinds held on a day in [first, after)


def open_windows(keys: set[tuple[str, date]], types_by_key: dict) -> list[Window]:
    """What the live figures of the periods `keys` count: per period, the kinds whose
    requirement it is (谈心谈话 is counted from its attendance, not as meetings held)."""
    out = []
    for key in sorted(keys):
        kinds = frozenset(types_by_key[key]) - {"heart_talk"}
        if kinds:
            out.append((kinds, *period_bounds(key[1], key[0])))
    return out


def held_meetings(
    scope_path: str | None, year: int, now: datetime, windows: list[Window] | None = None
):
    """Held meetings of the year, grouped by (branch, host, type, month, day-of-month for
    主题党日 else 0). Held: published, begun, attended, and quorate (see held_condition).

    `windows`: only meetings of those kinds held in those days — the open periods; a closed
    period is read frozen, so the live part costs what is still open, not the whole year.
    """
    start, end = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    where = activity_filter(scope_path, start, min(end, now), REQUIRED_TYPES)
    if windows is not None:
        where = and_(
            where,
            or_(
                false(),
                *(
                    and_(
                        Activity.type.in_(sorted(kinds)),
                        Activity.held_on >= first,
                        Activity.held_on < after,
                    )
                    for kinds, first, after in windows
                ),
            ),
        )
    stats = activity_stats(where, now, scope_path)
    host = aliased(Organization)
    branch = func.coalesce(case((host.type == "group", host.parent_id)), host.id)
    month = extract("month", stats.c.held_on)
    day = case((stats.c.type == "theme_day", extract("day", stats.c.held_on)), else_=0)
    return db.session.execute(
        select(branch, stats.c.host_id, stats.c.type, month, day, func.count())
        .select_from(stats)
        .join(host, host.id == stats.c.host_id)
        .where(held_condition(stats))
        .group_by(branch, stats.c.host_id, stats.c.type, month, day)
    ).all()


def talk_coverage(
    branch_ids: list[int], year: int, now: datetime, scope_path: str | None = None
) -> dict[int, tuple[int, int]]:
    """谈心谈话: per branch, (Party members covered by a talk this year, Party members) —
    members as of the year's last day, or today while the year runs. One GROUP BY."""
    as_of = min(date(year, 12, 31), local_day(now))
    org = aliased(Organization)
    branch = func.coalesce(case((org.type == "group", org.parent_id)), org.id)
    members = (
        select(branch.label("branch_id"), MemberHistory.member_id)
        .join(org, org.id == MemberHistory.org_id)
        .where(
            valid_on(MemberHistory.valid_from, MemberHistory.valid_to, as_of),
            MemberHistory.status.in_(PARTY_STATUSES),
            org.path.like(scope_path + "%") if scope_path is not None else True,
        )
        .subquery("party_members")
    )
    talked = (
        select(Attendance.member_id)
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(
            Activity.type == "heart_talk",
            Activity.status == "published",
            Activity.held_on >= date(year, 1, 1),
            Activity.held_on <= as_of,
            Attendance.status.in_(list(ATTENDED)),
        )
        .distinct()
        .subquery("talked")
    )
    rows = db.session.execute(
        select(members.c.branch_id, func.count(talked.c.member_id), func.count())
        .select_from(members)
        .outerjoin(talked, talked.c.member_id == members.c.member_id)
        .group_by(members.c.branch_id)
    ).all()
    out = dict.fromkeys(branch_ids, (0, 0))
    wanted = set(branch_ids)
    out.update({b: (int(c), int(n)) for b, c, n in rows if b in wanted})
    return out


# --- the matrix -------------------------------------------------------------------------------


def _status(held: int, required: int, first: date, after: date, today: date) -> str:
    if first > today:
        return "future"
    if held >= required:
        return "met"
    return "missed" if after <= today else "open"


def branch_items(
    cal: Calendar,
    held: dict,
    talks: tuple[int, int],
    year: int,
    month: int,
    today: date,
) -> list[dict]:
    """The requirements whose period closes in `month`, for one branch, with their status."""
    items = []
    for req in REQUIREMENTS:
        first, after = period_bounds(date(year, month, 1), req.period)
        if period_bounds(date(year, month, 1), MONTH)[1] != after:
            continue  # shown in the month its period closes
        if not cal.exists_on(first):
            continue  # the branch did not exist yet
        months = range(first.month, first.month + MONTHS[req.period])
        count = sum(held.get((req.type, mm), 0) for mm in months)
        item = {"type": req.type, "period": req.period, "required": req.times, "flags": []}
        if req.type == "committee_meeting" and month not in cal.committee_months:
            continue  # no committee seated on the month's first day
        if req.type == "group_meeting":
            groups = cal.groups_on(first)
            if not groups:
                continue
            met = [g for g in groups if held.get(("group_meeting", month, g), 0) > 0]
            count, item["required"] = len(met), len(groups)
            item["missing_groups"] = [n for g, n in groups.items() if g not in met]
        elif req.type == "heart_talk":
            count, item["required"] = talks
        elif req.type == "life_meeting":
            if count and not any(held.get((req.type, mm), 0) for mm in (10, 11, 12)):
                item["flags"].append("not_in_q4")
        elif req.type == "theme_day":
            item["fixed_day"] = cal.theme_day
            on_day = held.get(("theme_day_fixed", month), 0)
            if count and cal.theme_day and not on_day:
                item["flags"].append("other_day")
        item["held"] = count
        item["type_label"] = ACTIVITY_TYPE_LABELS[req.type]
        item["status"] = _status(count, item["required"], first, after, today)
        items.append(item)
    return items


def held_index(rows, theme_days: dict[int, int | None]) -> dict[int, dict]:
    """Per branch: {(type, month): n, ("group_meeting", month, group): n,
    ("theme_day_fixed", month): n}."""
    out: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for branch, host, kind, month, day, n in rows:
        month = int(month)
        idx = out[branch]
        idx[(kind, month)] += n
        if kind == "group_meeting":
            idx[(kind, month, host)] += n
        if kind == "theme_day" and theme_days.get(branch) and int(day) == theme_days[branch]:
            idx[("theme_day_fixed", month)] += n
    return out


def gap_labels(month: int, items: list[dict]) -> list[str]:
    """`10月：主题党日` for each missed item (with the groups that did not meet)."""
    out = []
    for i in items:
        if i["status"] != "missed":
            continue
        label = f"{month}月：{i['type_label']}"
        if i.get("missing_groups"):
            label += f"（{'、'.join(i['missing_groups'])}）"
        out.append(label)
    return out


@dataclass
class Gap:
    """A branch and the meeting kinds it still owes in the current period."""

    org_id: int
    org_name: str
    missing: list[str]

    @property
    def missing_labels(self) -> list[str]:
        """The missing kinds in Chinese."""
        return [ACTIVITY_TYPE_LABELS[t] for t in self.missing]


def branches_with_gaps(today: date, now: datetime) -> list[Gap]:
    """Branches that have not yet held a meeting kind whose period closes this month."""
    branches = db.session.execute(
        select(
            Organization.id, Organization.name, Organization.founded_on, Organization.theme_day
        ).where(Organization.type == "branch", Organization.is_active.is_(True))
    ).all()
    if not branches:
        return []
    ids = [b.id for b in branches]
    cals = calendars(branches, today.year)
    closing: dict[tuple[str, date], set[str]] = {}
    for r in REQUIREMENTS:
        if closes_in_month(today, r.period):
            closing.setdefault((r.period, period_bounds(today, r.period)[0]), set()).add(r.type)
    held = held_index(
        held_meetings(None, today.year, now, open_windows(set(closing), closing)),
        {b.id: b.theme_day for b in branches},
    )
    talks = talk_coverage(ids, today.year, now) if today.month == 12 else {}
    gaps = []
    for b in branches:
        items = branch_items(
            cals[b.id], held.get(b.id, {}), talks.get(b.id, (0, 0)), today.year, today.month, today
        )
        missing = [i["type"] for i in items if i["status"] == "open"]
        if missing:
            gaps.append(Gap(b.id, b.name, missing))
    return gaps


def compliance_report(
    scope_org: Organization,
    year: int,
    now: datetime,
    quarter: int | None = None,
    live: bool = False,
) -> dict:
    """Branches × months: held vs required per meeting kind on each branch's calendar, the
    gaps named. Items of a closed period are read from its frozen figures (unless `live`:
    what freezing itself computes)."""
    in_scope = (
        Organization.type == "branch",
        Organization.is_active.is_(True),
        Organization.path.like(scope_org.path + "%"),
    )
    branches = db.session.execute(
        select(Organization.id, Organization.name, Organization.founded_on, Organization.theme_day)
        .where(*in_scope)
        .order_by(Organization.path)
    ).all()
    ids = [b.id for b in branches]
    # the branches as a subquery, not 3,000 bound ids: compiling those cost more than the reads
    scope_ids = select(Organization.id).where(*in_scope)
    months = list(range(1, 13) if quarter is None else range(3 * quarter - 2, 3 * quarter + 1))
    # per month, the periods shown in it and their requirements' types: alike for every branch
    plan: dict[int, list[tuple[tuple[str, date], set[str]]]] = {}
    for m in months:
        types_by_key: dict[tuple[str, date], set[str]] = {}
        for r in REQUIREMENTS:
            if closes_in_month(date(year, m, 1), r.period):
                key = (r.period, period_bounds(date(year, m, 1), r.period)[0])
                types_by_key.setdefault(key, set()).add(r.type)
        plan[m] = list(types_by_key.items())
    types_by_key: dict[tuple[str, date], set[str]] = {}
    for shown in plan.values():
        for key, types in shown:
            types_by_key.setdefault(key, set()).update(types)
    needed = set(types_by_key)
    closed = set() if live else closed_keys(year)
    live_needed = bool(ids) and not needed <= closed
    today = local_day(now)
    cals = calendars(branches, year, scope_ids) if ids else {}
    held = {}
    talks = {}
    if live_needed:
        windows = open_windows(needed - closed, types_by_key)
        held = held_index(
            held_meetings(scope_org.path, year, now, windows),
            {b.id: b.theme_day for b in branches},
        )
        if any(types_by_key[key] & {"heart_talk"} for key in needed - closed):
            talks = talk_coverage(ids, year, now, scope_org.path)
    order = {r.type: n for n, r in enumerate(REQUIREMENTS)}
    out = []
    with gc_paused():
        frozen = frozen_items(year, scope_ids) if ids and not live else {}
        for b in branches:
            month_rows, gaps = [], []
            for m in months:
                items = []
                live_items = None
                for key, types in plan[m]:
                    if key in closed:
                        for i in frozen.get((b.id, *key), ()):
                            if i["type"] in types:
                                i["frozen"] = True  # decoded for this call only: no copy
                                items.append(i)
                        continue
                    if not live_needed:
                        continue
                    if live_items is None:
                        live_items = branch_items(
                            cals[b.id], held.get(b.id, {}), talks.get(b.id, (0, 0)), year, m, today
                        )
                    items += [{**i, "frozen": False} for i in live_items if i["type"] in types]
                items.sort(key=lambda i: order[i["type"]])  # frozen lists come in any order
                month_rows.append(
                    {"month": m, "closed": (MONTH, date(year, m, 1)) in closed, "items": items}
                )
                gaps += gap_labels(m, items)
            cal = cals.get(b.id)
            out.append(
                {
                    "org_id": b.id,
                    "org_name": b.name,
                    "founded_on": b.founded_on,
                    "theme_day": b.theme_day,
                    "has_committee": bool(cal and cal.committee_months),
                    "has_groups": bool(cal and cal.groups),
                    "months": month_rows,
                    "gaps": gaps,
                }
            )
    return {
        "org_id": scope_org.id,
        "org_name": scope_org.name,
        "year": year,
        "quarter": quarter,
        "closed_periods": sorted(
            ({"kind": k, "start": s} for k, s in closed), key=lambda p: (p["start"], p["kind"])
        ),
        "branches": out,
    }
