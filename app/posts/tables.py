"""The posts report flattened for CSV and Excel."""

from __future__ import annotations

from typing import Any

from app.reports.exports import Column


def report_table(report: dict[str, Any]):
    """One line per branch."""
    columns = [
        Column("支部", "org_name", 28),
        Column("岗位数", "posts", 8),
        Column("先锋岗", "pioneer", 8),
        Column("责任区", "responsibility_area", 8),
        Column("示范岗", "model", 8),
        Column("突击队", "shock_team", 8),
        Column("党员", "members", 8),
        Column("在岗党员", "holders", 10),
        Column("在岗比例", "share", 10, "0.0%"),
    ]
    return "posts", f"{report['org_name']} 党员先锋岗设岗情况", columns, report["rows"]
