"""The visit reports flattened for CSV and Excel."""

from __future__ import annotations

from typing import Any

from app.reports.exports import Column


def per_instructor_table(report: dict[str, Any]):
    """One line per instructor, a column per month."""
    rows = [{**r, **{f"m{i + 1}": n for i, n in enumerate(r["months"])}} for r in report["rows"]]
    columns = [
        Column("指导员", "name", 12),
        Column("联系企业", "enterprises", 10),
        *[Column(f"{m}月", f"m{m}", 6) for m in range(1, 13)],
        Column("合计", "total", 8),
    ]
    title = f"{report['org_name']} {report['year']}年党建指导员走访统计"
    return f"visits-{report['year']}", title, columns, rows


def overdue_table(report: dict[str, Any]):
    """One line per enterprise without a recent visit."""
    columns = [
        Column("企业", "name", 30),
        Column("最近走访", "last_visited_on", 12),
        Column("已过天数", "days_since", 10),
        Column("党建指导员", "instructors", 16),
    ]
    title = f"{report['org_name']} {report['days']}天未走访企业"
    return f"visits-overdue-{report['days']}", title, columns, report["rows"]
