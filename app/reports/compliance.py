"""三会一课 compliance rules (rule 2), shared by the reports and the 20th-of-month reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from app.activities.models import ACTIVITY_TYPE_LABELS
from app.extensions import db
from app.org.models import COMMITTEE_ROLES, Organization, OrgRole
from app.reports.stats import activity_filter, activity_stats, held_condition
from app.timeutil import local_midnight

MONTH, QUARTER, YEAR = "month", "quarter", "year"


@dataclass(frozen=True)
class Requirement:
    """A meeting kind a branch must hold at least `times` per period."""

    type: str
    period: str
    times: int = 1
    only_with_committee: bool = False
    only_with_groups: bool = False


REQUIREMENTS = (
    Requirement("general_meeting", QUARTER),  # 支部党员大会
    Requirement("committee_meeting", MONTH, only_with_committee=True),  # 支委会
    Requirement("group_meeting", MONTH, only_with_groups=True),  # 党小组会
    Requirement("party_lecture", QUARTER),  # 党课
    Requirement("theme_day", MONTH),  # 主题党日
    Requirement("life_meeting", YEAR),  # 组织生活会
    Requirement("democratic_review", YEAR),  # 民主评议党员
    Requirement("heart_talk", YEAR),  # 谈心谈话
)
MIN_COMMITTEE = 3
REQUIRED_TYPES = tuple(r.type for r in REQUIREMENTS)


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """First day of the period containing `day`, and the first day after it."""
    if period == MONTH:
        start = day.replace(day=1)
    elif period == QUARTER:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        start = date(day.year, 1, 1)
    months = {MONTH: 1, QUARTER: 3, YEAR: 12}[period]
    month = start.month - 1 + months
    return start, date(start.year + month // 12, month % 12 + 1, 1)


def closes_in_month(day: date, period: str) -> bool:
    """Whether the period containing `day` ends with `day`'s month (when a reminder is due)."""
    _, end = period_bounds(day, period)
    return period_bounds(day, MONTH)[1] == end


def branch_features(branch_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """(has a committee of ≥3, has groups) per branch, in two grouped queries."""
    committee = dict(
        db.session.execute(
            select(OrgRole.org_id, func.count(func.distinct(OrgRole.member_id)))
            .where(OrgRole.org_id.in_(branch_ids), OrgRole.role.in_(COMMITTEE_ROLES))
            .group_by(OrgRole.org_id)
        ).all()
    )
    groups = set(
        db.session.scalars(
            select(Organization.parent_id).where(
                Organization.parent_id.in_(branch_ids),
                Organization.type == "group",
                Organization.is_active.is_(True),
            )
        )
    )
    return {b: (committee.get(b, 0) >= MIN_COMMITTEE, b in groups) for b in branch_ids}


def applies(req: Requirement, features: tuple[bool, bool]) -> bool:
    """Whether a requirement binds a branch with these features."""
    has_committee, has_groups = features
    if req.only_with_committee and not has_committee:
        return False
    return not (req.only_with_groups and not has_groups)


def held_counts(
    branch_ids: list[int], start: date, end: date, now: datetime
) -> dict[tuple[int, str], int]:
    """Meetings held per (branch, type) with start in [start, end) and begun by `now`.

    Held means published (a cancelled one never counts), attended, and for 支部党员大会 and
    支委会 quorate (see app.reports.stats.held_condition). A group's meetings count for its
    branch.
    """
    stats = activity_stats(
        activity_filter(None, local_midnight(start), min(local_midnight(end), now), REQUIRED_TYPES),
        now,
    )
    host = aliased(Organization)
    branch = func.coalesce(case((host.type == "group", host.parent_id)), host.id)
    rows = db.session.execute(
        select(branch, stats.c.type, func.count())
        .select_from(stats)
        .join(host, host.id == stats.c.host_id)
        .where(held_condition(stats))
        .group_by(branch, stats.c.type)
    ).all()
    wanted = set(branch_ids)
    return {(b, t): n for b, t, n in rows if b in wanted}


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
        select(Organization.id, Organization.name).where(
            Organization.type == "branch", Organization.is_active.is_(True)
        )
    ).all()
    if not branches:
        return []
    ids = [b.id for b in branches]
    features = branch_features(ids)
    due = [r for r in REQUIREMENTS if closes_in_month(today, r.period)]
    held: dict[tuple[int, str], int] = {}
    for period in {r.period for r in due}:
        start, end = period_bounds(today, period)
        for (branch, kind), n in held_counts(ids, start, end, now).items():
            if any(r.type == kind and r.period == period for r in due):
                held[(branch, kind)] = n
    gaps = []
    for b in branches:
        missing = [
            r.type
            for r in due
            if applies(r, features[b.id]) and held.get((b.id, r.type), 0) < r.times
        ]
        if missing:
            gaps.append(Gap(b.id, b.name, missing))
    return gaps
