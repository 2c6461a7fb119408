"""The committee's reports: attendance, 三会一课 compliance, members. Each is a few GROUP BY
queries in the database; Python only shapes the aggregated rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import aliased

from app.activities.attendance import rate
from app.activities.models import (
    ACTIVITY_TYPE_LABELS,
)
from app.auth import Principal
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.org.models import Organization
from app.org.services import get_org
from app.reports.compliance import compliance_report
from app.reports.frozen import closed_keys, frozen_figures
from app.reports.stats import activity_filter, activity_stats, quorate_condition
from app.timeutil import local_day, local_midnight, local_tz


@dataclass
class Scope:
    """The org a report is about and the period, as local dates and UTC bounds."""

    org: Organization
    start: date
    end: date  # exclusive

    @property
    def start_at(self) -> datetime:
        """The UTC instant the period starts."""
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """The UTC instant the period ends."""
        return local_midnight(self.end)

    def label(self) -> str:
        """`2026-01-01 至 2026-12-31` for titles."""
        return f"{self.start:%Y-%m-%d} 至 {self.end - timedelta(days=1):%Y-%m-%d}"


def report_org(principal: Principal, org_id: int | None) -> Organization:
    """The org a staff report covers: the one asked for (in scope), else the caller's top."""
    if not principal.is_staff:
        raise forbidden("报表仅限组织管理人员查看")
    if org_id is not None:
        org = get_org(org_id)
        principal.require_read(org)
        return org
    if principal.is_admin:
        top = db.session.scalar(
            select(Organization)
            .where(Organization.parent_id.is_(None), Organization.is_active.is_(True))
            .order_by(Organization.id)
        )
        if top is None:
            raise not_found("组织")
        return top
    grant = min(principal.grants, key=lambda g: g.org_path.count("/"))
    return get_org(grant.org_id)


def period(args: dict[str, Any], now: datetime) -> tuple[date, date]:
    """[from, to] from the query (inclusive `to`), defaulting to this year so far."""
    today = local_day(now)
    start = args.get("from") or date(today.year, 1, 1)
    end = (args.get("to") or today) + timedelta(days=1)
    if end <= start:
        raise APIError(
            400, "report.bad_period", "结束日期不能早于开始日期", {"to": ["早于开始日期"]}
        )
    if (end - start).days > 366 * 3:
        raise APIError(400, "report.period_too_long", "统计区间最长3年", {"to": ["区间过长"]})
    return start, end


def _branch_expr(host):
    """SQL: the branch an activity host counts for (a group → its branch)."""
    return func.coalesce(case((host.type == "group", host.parent_id)), host.id)


# --- attendance ---------------------------------------------------------------------------------


def _frozen_attendance(scope: Scope) -> list[dict[str, Any]] | None:
    """The branch rows of a closed month, quarter or year exactly matching the scope."""
    from app.reports.compliance import period_bounds

    kind = next(
        (
            k
            for k in ("month", "quarter", "year")
            if period_bounds(scope.start, k) == (scope.start, scope.end)
        ),
        None,
    )
    if kind is None or (kind, scope.start) not in closed_keys(scope.start.year):
        return None
    branches = db.session.execute(
        select(Organization.id, Organization.path).where(
            Organization.path.like(scope.org.path + "%"), Organization.type == "branch"
        )
    ).all()
    figures = frozen_figures(kind, scope.start, [b.id for b in branches])
    order = {b.id: b.path for b in branches}
    rows = [f["attendance"] for f in figures.values() if f.get("attendance")]
    return sorted(rows, key=lambda r: order.get(r["org_id"], ""))


def attendance_report(
    scope: Scope, now: datetime, by_activity: bool = False, live: bool = False
) -> dict[str, Any]:
    """Per branch (or per activity): expected, present, late, leave, absent, make-up, rate.

    The branch rows of a closed month, quarter or year are read from its frozen figures
    (unless `live`: what freezing itself computes).
    """
    frozen = None if by_activity or live else _frozen_attendance(scope)
    if frozen is not None:
        return {
            "org_id": scope.org.id,
            "org_name": scope.org.name,
            "from": scope.start,
            "to": scope.end - timedelta(days=1),
            "rows": frozen,
            "totals": _totals(frozen),
            "frozen": True,
        }
    stats = activity_stats(
        activity_filter(scope.org.path, scope.start_at, scope.end_at), now, scope.org.path
    )
    host = aliased(Organization)
    branch_org = aliased(Organization)
    branch = _branch_expr(host)
    rows_out = []
    if by_activity:
        rows = db.session.execute(
            select(stats, branch.label("branch_id"))
            .join(host, host.id == stats.c.host_id)
            .order_by(stats.c.starts_at, stats.c.activity_id)
        ).all()
        names = _org_names({r.branch_id for r in rows})
        for r in rows:
            rows_out.append(
                {
                    "activity_id": r.activity_id,
                    "title": r.title,
                    "type": r.type,
                    "type_label": ACTIVITY_TYPE_LABELS[r.type],
                    "starts_at": r.starts_at,
                    "org_id": r.branch_id,
                    "org_name": names.get(r.branch_id, ""),
                    **_counts(r),
                    "quorate": (r.voters_present * 2 > r.voters)
                    if r.type == "general_meeting"
                    else None,
                }
            )
    else:
        sums = [
            func.sum(getattr(stats.c, c)).label(c)
            for c in ("expected", "present", "late", "makeup", "leave", "absent", "pending")
        ]
        rows = db.session.execute(
            select(
                branch.label("branch_id"),
                branch_org.name,
                func.count().label("activities"),
                *sums,
                func.sum(case((quorate_condition(stats), 1), else_=0)).label("quorate"),
                func.sum(case((stats.c.type == "general_meeting", 1), else_=0)).label("general"),
            )
            .select_from(stats)
            .join(host, host.id == stats.c.host_id)
            .join(branch_org, branch_org.id == branch)
            .group_by(branch, branch_org.name, branch_org.path)
            .order_by(branch_org.path)
        ).all()
        for r in rows:
            rows_out.append(
                {
                    "org_id": r.branch_id,
                    "org_name": r.name,
                    "activities": r.activities,
                    **_counts(r),
                    "general_meetings": int(r.general or 0),
                    "quorate_meetings": int(r.quorate or 0),
                }
            )
    totals = _totals(rows_out)
    return {
        "org_id": scope.org.id,
        "org_name": scope.org.name,
        "from": scope.start,
        "to": scope.end - timedelta(days=1),
        "rows": rows_out,
        "totals": totals,
    }


def _with_every_branch(org: Organization, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every active branch of the subtree, in tree order, with zeros where none met (a branch
    without activities is what the committee most needs to see, as on the console)."""
    seen = {r["org_id"] for r in rows}
    branches = db.session.execute(
        select(Organization.id, Organization.name, Organization.path).where(
            Organization.type == "branch",
            Organization.is_active.is_(True),
            Organization.path.like(org.path + "%"),
        )
    ).all()
    ids = select(Organization.id, Organization.path).where(Organization.id.in_(seen))
    paths = dict(db.session.execute(ids).all()) if seen else {}
    zero = dict.fromkeys(
        ("activities", "expected", "present", "late", "makeup", "leave", "absent", "pending",
         "general_meetings", "quorate_meetings"),
        0,
    )  # fmt: skip
    rows = [{**r, "_path": paths.get(r["org_id"], "")} for r in rows]
    for b in branches:
        if b.id not in seen:
            rows.append({"org_id": b.id, "org_name": b.name, **zero, "rate": None, "_path": b.path})
    rows.sort(key=lambda r: r["_path"])
    return [{k: v for k, v in r.items() if k != "_path"} for r in rows]


def _counts(r) -> dict[str, Any]:
    counts = {
        k: int(getattr(r, k) or 0)
        for k in ("expected", "present", "late", "makeup", "leave", "absent", "pending")
    }
    attended = counts["present"] + counts["late"] + counts["makeup"]
    # those still able to check in are not counted either way yet
    return {
        **counts,
        "rate": rate(attended, counts["expected"] - counts["pending"], counts["leave"]),
    }


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("expected", "present", "late", "makeup", "leave", "absent", "pending")
    sums = {k: sum(r[k] for r in rows) for k in keys}
    attended = sums["present"] + sums["late"] + sums["makeup"]
    return {**sums, "rate": rate(attended, sums["expected"] - sums["pending"], sums["leave"])}


def _org_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return dict(rows.all())


# --- compliance ---------------------------------------------------------------------------------


def month_starts(year: int) -> list[date]:
    """The first day of each month of `year`, and 1 January of the next."""
    return [date(year, m, 1) for m in range(1, 13)] + [date(year + 1, 1, 1)]


def local_year(now: datetime) -> int:
    """The current year in the display zone."""
    return now.astimezone(local_tz()).year


def in_scope_or_403(principal: Principal, org: Organization) -> None:
    """Secretaries see their own subtree only."""
    if not principal.can_read_org(org) or not principal.is_staff:
        raise forbidden("无权查看该组织的报表")


# --- what the views call: resolve scope and period from the query, then build -----------------


def no_jit() -> None:
    """PostgreSQL: no JIT compilation for this report's transaction.

    A city-wide report is a few seconds of hash joins over millions of rows; PostgreSQL
    judges that costly enough to JIT-compile, and compiling took longer (3–4 s on the
    benchmark machine) than it could ever save. SET LOCAL ends with the transaction.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def attendance_for(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The attendance report for the query's org (in scope) and period."""
    no_jit()
    org = report_org(principal, args.get("org_id"))
    start, end = period({"from": args.get("from_"), "to": args.get("to")}, now)
    by_activity = args.get("by") == "activity"
    report = attendance_report(Scope(org, start, end), now, by_activity)
    if args.get("format") in ("csv", "xlsx") and not by_activity:
        # the download lists every branch, as the console does, those without activities too
        report["rows"] = _with_every_branch(org, report["rows"])
    return report


def compliance_for(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The compliance matrix for the query's org, year and optional quarter."""
    no_jit()
    org = report_org(principal, args.get("org_id"))
    year = args.get("year") or local_year(now)
    return compliance_report(org, year, now, args.get("quarter"))
