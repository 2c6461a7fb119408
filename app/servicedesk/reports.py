"""Requests received, resolved and overdue per kind and per month, the seeds' one-line summary
("收集合理化建议23条，职工群众急难愁盼问题18个，已解决办理5个"), and the tables for CSV/XLSX.

A month counts the requests received in it (created), resolved in it (answered as resolved)
and falling overdue in it (the day after the due date, unanswered by then)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from app.auth import Principal, path_filter
from app.errors import not_found
from app.extensions import db
from app.org.models import Organization
from app.reports.exports import TOTAL, Column
from app.servicedesk.models import KIND_LABELS, KINDS, Request
from app.servicedesk.services import overdue
from app.timeutil import local_day, local_midnight

FIGURES = ("received", "resolved", "overdue")
FIGURE_LABELS = {"received": "受理", "resolved": "已解决", "overdue": "超期"}


def _scope(principal: Principal, org_id: int | None) -> tuple[Any, str]:
    if org_id is None:
        return path_filter(Organization.path, principal.read_paths()), "管辖范围"
    org = db.session.get(Organization, org_id)
    if org is None:
        raise not_found("组织")
    principal.require_read(org)
    return Organization.path.like(org.path + "%"), org.name


def report(principal: Principal, org_id: int | None, year: int, now: datetime) -> dict[str, Any]:
    """Per kind × month: received, resolved, overdue; totals; the summary line."""
    where, name = _scope(principal, org_id)
    start, end = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    # plain columns, not ORM rows: a park-year of requests is counted without building objects
    rows = db.session.execute(
        select(
            Request.kind, Request.status, Request.created_at, Request.answered_at, Request.due_on
        )
        .join(Organization, Organization.id == Request.org_id)
        .where(
            where,
            or_(
                and_(Request.created_at >= start, Request.created_at < end),
                and_(Request.answered_at >= start, Request.answered_at < end),
                and_(Request.due_on >= date(year - 1, 12, 31), Request.due_on < date(year, 12, 31)),
            ),
        )
    )
    today = local_day(now)
    grid = {k: {f: [0] * 12 for f in FIGURES} for k in KINDS}
    for kind, status, created_at, answered_at, due_on in rows:
        cell = grid[kind]
        created = local_day(created_at)
        if created.year == year:
            cell["received"][created.month - 1] += 1
        if status == "resolved" and answered_at is not None:
            answered = local_day(answered_at)
            if answered.year == year:
                cell["resolved"][answered.month - 1] += 1
        if overdue(due_on, answered_at, today):
            late = due_on + timedelta(days=1)
            if late.year == year:
                cell["overdue"][late.month - 1] += 1
    kinds = [
        {
            "kind": k,
            "label": KIND_LABELS[k],
            **{f: sum(grid[k][f]) for f in FIGURES},
            "months": [{"month": m + 1, **{f: grid[k][f][m] for f in FIGURES}} for m in range(12)],
        }
        for k in KINDS
    ]
    totals = {f: sum(k[f] for k in kinds) for f in FIGURES}
    return {
        "org_name": name,
        "year": year,
        "kinds": kinds,
        "totals": totals,
        "summary": summary_line({k["kind"]: k for k in kinds}),
    }


def summary_line(by_kind: dict[str, dict[str, int]]) -> str:
    """The seeds' sentence: suggestions collected, problems raised and solved, appointments."""
    s, a, p = by_kind["suggestion"], by_kind["appeal"], by_kind["appointment"]
    return (
        f"收集合理化建议{s['received']}条，职工群众急难愁盼问题{a['received']}个，"
        f"已解决办理{a['resolved']}个；发展服务团服务预约{p['received']}次，已办结{p['resolved']}次"
    )


def report_table(result: dict[str, Any]):
    """One line per kind and figure, a column per month, with a totals line per figure."""
    rows = []
    for k in result["kinds"]:
        for f in FIGURES:
            row = {"kind": k["label"], "figure": FIGURE_LABELS[f], "total": k[f]}
            row.update({f"m{m['month']}": m[f] for m in k["months"]})
            rows.append(row)
    for f in FIGURES:
        row = {"kind": "合计", "figure": FIGURE_LABELS[f], "total": result["totals"][f], TOTAL: 1}
        row.update(
            {f"m{m + 1}": sum(k["months"][m][f] for k in result["kinds"]) for m in range(12)}
        )
        rows.append(row)
    columns = [
        Column("类别", "kind", 10),
        Column("指标", "figure", 8),
        *[Column(f"{m}月", f"m{m}", 6) for m in range(1, 13)],
        Column("全年", "total", 8),
    ]
    title = f"{result['org_name']} {result['year']}年诉求建言统计"
    return f"requests-{result['year']}", title, columns, rows


def list_table(rows: list[dict[str, Any]]):
    """The inbox as a ledger (submitters of anonymous requests stay 匿名)."""
    columns = [
        Column("编号", "id", 8),
        Column("类别", "kind_label", 10),
        Column("服务团", "team_label", 10),
        Column("标题", "title", 30),
        Column("企业", "enterprise_name", 24),
        Column("提交人", "submitter_name", 10),
        Column("状态", "status_label", 10),
        Column("办理人", "handler_name", 10),
        Column("办结期限", "due_on", 12),
        Column("超期", "overdue", 6),
        Column("提交时间", "created_at", 18),
        Column("答复", "answer", 40),
    ]
    return "requests", "诉求建言台账", columns, rows
