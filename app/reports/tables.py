"""How each report flattens into rows and columns for CSV and Excel."""

from __future__ import annotations

from typing import Any

from app.auth import Principal
from app.reports.exports import TOTAL, Column, Sheet
from app.reviews import services as reviews

STATUS = {"met": "已完成", "missed": "未完成", "open": "进行中", "future": "未到期"}
MARK = {"met": "✓", "missed": "缺", "open": "进行中", "future": ""}


def name(report: dict[str, Any], what: str, period: str) -> str:
    """The download's file name: org, report and period, in Chinese (made Windows-safe when
    sent)."""
    return f"{report['org_name']}-{what}-{period}"


COUNTS = [
    Column("应到", "expected", 8),
    Column("签到", "present", 8),
    Column("迟到", "late", 8),
    Column("补签", "makeup", 8),
    Column("请假", "leave", 8),
    Column("缺席", "absent", 8),
    Column("未签到", "pending", 8),
    Column("出勤率", "rate", 10, "0.0%"),
]


def attendance(report: dict[str, Any], by: str) -> tuple[str, str, list[Column], list[dict]]:
    """Filename, title, columns and rows of the attendance report."""
    period = f"{report['from']} 至 {report['to']}"
    title = f"{report['org_name']} 出勤统计（{period}）"
    if by == "activity":
        columns = [
            Column("开始时间", "starts_at", 18, "yyyy-mm-dd hh:mm"),
            Column("活动", "title", 30),
            Column("类型", "type_label", 14),
            Column("组织", "org_name", 24),
            *COUNTS,
            Column("达到法定人数", "quorate", 12),
        ]
    else:
        columns = [
            Column("组织", "org_name", 28),
            Column("活动数", "activities", 8),
            *COUNTS,
            Column("党员大会", "general_meetings", 10),
            Column("达到法定人数", "quorate_meetings", 12),
        ]
    rows = [*report["rows"], {"org_name": "合计", "title": "合计", TOTAL: True, **report["totals"]}]
    return name(report, "出勤统计", f"{report['from']}至{report['to']}"), title, columns, rows


def compliance(report: dict[str, Any]) -> tuple:
    """The branch × month grid the console shows (one cell per branch and month: ✓, the
    meetings missing, or 进行中), and the long list — branch, month, meeting kind — on a
    second sheet (XLSX)."""
    months = sorted({m["month"] for b in report["branches"] for m in b["months"]})
    grid = []
    for b in report["branches"]:
        row: dict[str, Any] = {"org_name": b["org_name"]}
        missed = 0
        for m in b["months"]:
            row[f"m{m['month']}"] = _grid_cell(m["items"])
            missed += sum(1 for i in m["items"] if i["status"] == "missed")
        row["missed"] = missed
        grid.append(row)
    columns = [
        Column("支部", "org_name", 28),
        *[Column(f"{m}月", f"m{m}", 10) for m in months],
        Column("缺项合计", "missed", 10),
    ]
    long_rows = [
        {
            "org_name": b["org_name"],
            "month": m["month"],
            "type_label": item["type_label"],
            "period": {"month": "月", "quarter": "季度", "year": "年度"}[item["period"]],
            "held": item["held"],
            "required": item["required"],
            "status": STATUS[item["status"]],
        }
        for b in report["branches"]
        for m in b["months"]
        for item in m["items"]
    ]
    long_columns = [
        Column("支部", "org_name", 28),
        Column("月份", "month", 6),
        Column("会议", "type_label", 14),
        Column("周期", "period", 6),
        Column("已开", "held", 6),
        Column("应开", "required", 6),
        Column("状态", "status", 8),
    ]
    title = f"{report['org_name']} {report['year']}年三会一课完成情况"
    details = Sheet(f"{title}（明细）", long_columns, long_rows, name="明细")
    return (
        name(report, "三会一课完成情况", f"{report['year']}年"),
        title,
        columns,
        grid,
        [details],
    )


def _grid_cell(items: list[dict[str, Any]]) -> str:
    """One month of one branch as the heat map says it."""
    missing = [i["type_label"] for i in items if i["status"] == "missed"]
    if missing:
        return "缺：" + "、".join(missing)
    if any(i["status"] == "open" for i in items):
        return MARK["open"]
    if items and all(i["status"] == "met" for i in items):
        return MARK["met"]
    return ""


def members(report: dict[str, Any]) -> tuple[str, str, list[Column], list[dict]]:
    """One line per member."""
    flag = {3: "满3个月", 5: "满5个月", 6: "满6个月（视为自行脱党）", None: ""}
    rows = [
        {
            **r,
            "flag": flag[r["absence_flag"]],
            "away": "、".join(
                t
                for t in (
                    r.get("away_at") and f"流动在{r['away_at']}",
                    r.get("transfer_due") and "应转接组织关系",
                    r.get("lost_contact") and "失联",
                )
                if t
            ),
        }
        for r in report["rows"]
    ]
    columns = [
        Column("姓名", "name", 10),
        Column("身份", "status_label", 12),
        Column("组织", "org_name", 24),
        Column("本年参加", "attended", 10),
        Column("最近参加", "last_attended_at", 18, "yyyy-mm-dd hh:mm"),
        Column("连续未参加(月)", "months_without_attendance", 14),
        Column("预警", "flag", 10),
        Column("积分", "points", 8),
        Column("民主评议", "review_grade", 10),
        Column("学习时长(小时)", "study_hours", 14, "0.0"),
        Column("连续未交党费(月)", "dues_unpaid_months", 16),
        Column("流动与联系", "away", 24),
    ]
    title = f"{report['org_name']} {report['year']}年党员组织生活情况"
    return name(report, "党员组织生活情况", f"{report['year']}年"), title, columns, rows


def study(report: dict[str, Any]) -> tuple[str, str, list[Column], list[dict]]:
    """One line per branch."""
    columns = [
        Column("支部", "org_name", 28),
        Column("党员数", "members", 8),
        Column("参与学习人数", "participants", 12),
        Column("参与率", "participation_rate", 10, "0.0%"),
        Column("人均积分", "average_points", 10, "0.00"),
        Column("答题正确率", "quiz_accuracy", 12, "0.0%"),
    ]
    title = f"{report['org_name']} 学习情况（{report['from']} 至 {report['to']}）"
    period = f"{report['from']}至{report['to']}"
    return name(report, "学习情况", period), title, columns, report["rows"]


def stars(report: dict[str, Any]) -> tuple[str, str, list[Column], list[dict]]:
    """One line per branch."""
    review = {"none": "未开展", "open": "进行中", "closed": "未评完"}
    rows = [
        {
            **r,
            "final_label": "是" if r["final"] else "否",
            "review_label": "已完成" if r["review_completed"] else review[r["review_status"]],
        }
        for r in report["rows"]
    ]
    columns = [
        Column("支部", "org_name", 28),
        Column("三会一课完成率", "compliance", 14, "0.0%"),
        Column("民主评议", "review_label", 10),
        Column("优秀比例", "review_excellent_share", 10, "0.0%"),
        Column("不合格比例", "review_failing_share", 10, "0.0%"),
        Column("出勤率", "attendance", 10, "0.0%"),
        Column("学习参与率", "study", 12, "0.0%"),
        Column("综合得分", "score", 10, "0.00"),
        Column("计算星级", "computed_stars", 10),
        Column("评定星级", "stars", 10),
        Column("等次", "band", 8),
        Column("已由党委评定", "final_label", 12),
        Column("评定理由", "reason", 30),
    ]
    title = f"{report['org_name']} {report['year']}年党支部星级评定"
    return name(report, "党支部星级评定", f"{report['year']}年"), title, columns, rows


def review_results(principal: Principal, round_id: int):
    """The results as a download (filename, title, columns, rows): one line per reviewed
    member — self-assessment given, each grade's peer count, the branch's grade, 限期改正."""
    row = reviews.managed_round(principal, round_id)
    rows = []
    for r in reviews.results(principal, round_id):
        line = {
            "name": r["name"],
            "self": "已提交" if r["self_assessment"] else "未提交",
            "grade": r["grade"] or "未评定",
            "deadline": r["correction_deadline"].isoformat() if r["correction_deadline"] else "",
            "outcome": r["outcome"] or "",
            "outcome_on": r["outcome_on"].isoformat() if r["outcome_on"] else "",
        }
        line.update({f"peer{i}": p["count"] for i, p in enumerate(r["peer"])})
        rows.append(line)
    columns = [
        Column("姓名", "name", 10),
        Column("自我评价", "self", 10),
        *[Column(f"互评：{g}", f"peer{i}", 10) for i, g in enumerate(row.grades)],
        Column("评定等次", "grade", 10),
        Column("限期改正截止", "deadline", 14),
        Column("改正情况", "outcome", 30),
        Column("改正结论日期", "outcome_on", 14),
    ]
    title = f"{row.org.name} {row.year}年民主评议党员结果"
    return f"review-{row.year}-{row.org_id}", title, columns, rows
