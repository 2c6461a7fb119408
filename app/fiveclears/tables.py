"""The coverage report flattened for CSV and Excel."""

from __future__ import annotations

from typing import Any

from app.reports.exports import Column


def coverage_table(report: dict[str, Any]):
    """One line per enterprise."""
    rows = [{**r, "met_label": "已落实" if r["met"] else "待落实"} for r in report["rows"]]
    columns = [
        Column("企业", "name", 30),
        Column("规上", "above_scale", 6),
        Column("高新", "high_tech", 6),
        Column("职工", "staff_count", 8),
        Column("党员", "party_members", 8),
        Column("正式党员", "full_members", 10),
        Column("覆盖组织", "covering_org_name", 24),
        Column("党建指导员", "instructors", 16),
        Column("覆盖方式", "mode_label", 12),
        Column("落实情况", "met_label", 10),
        Column("最近核查", "last_checked_on", 12),
    ]
    return "coverage-modes", f"{report['org_name']} 企业党组织覆盖情况", columns, rows
