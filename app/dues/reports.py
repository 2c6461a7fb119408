"""Dues as people read them: my dues, a branch's month sheet and 未交名单, the collection
report per branch and month, and their CSV/XLSX tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from app.auth import Principal
from app.dues.models import CATEGORY_LABELS, DuesBase, DuesHandover, DuesPayment
from app.dues.rules import add_months, month_start, months_between, yuan
from app.dues.services import ledger
from app.dues.sheet import STATUS_LABELS, UNPAID, branch_of, compute, paying_members, streak
from app.errors import forbidden
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.org.services import get_org
from app.reports.exports import Column
from app.timeutil import local_day

HISTORY_MONTHS = 24  # how far back "my dues" looks for unpaid months


def _staff_org(principal: Principal, org_id: int | None) -> Organization:
    if org_id is None:
        tops = sorted(principal.grants, key=lambda g: len(g.org_path))
        if principal.is_admin or not tops:
            top = db.session.scalar(
                select(Organization)
                .where(Organization.parent_id.is_(None))
                .order_by(Organization.id)
            )
            if top is None or not principal.is_staff:
                raise forbidden("无权查看党费报表")
            return top
        return get_org(tops[0].org_id)
    org = get_org(org_id)
    if not principal.is_staff or not principal.can_read_org(org):
        raise forbidden("无权查看该组织的党费")
    return org


def my_dues(principal: Principal, now: datetime) -> dict[str, Any]:
    """The member's base, this month's amount, unpaid months and ledger."""
    member = principal.member
    this_month = month_start(local_day(now))
    first = db.session.scalar(
        select(func.min(DuesBase.effective_from)).where(DuesBase.member_id == member.id)
    )
    start = max(first or this_month, add_months(this_month, -HISTORY_MONTHS + 1))
    months = months_between(start, this_month)
    figures = compute([member.id], months)
    rows = [figures[(member.id, m)] for m in months]
    unpaid = [r for r in rows if r.status == UNPAID]
    current = rows[-1]
    return {
        "member_id": member.id,
        "name": member.name,
        "category": current.category,
        "category_label": CATEGORY_LABELS.get(current.category or "", ""),
        "base_fen": current.base_fen,
        "this_month": current,
        "owed_fen": sum(r.due_fen for r in unpaid),
        "owed_months": [r.month for r in unpaid],
        "months": list(reversed(rows)),
        "ledger": ledger(principal, member.id),
    }


def month_sheet(principal: Principal, org_id: int | None, month: date, now: datetime):
    """Every paying member of the org's subtree for a month, with due, paid and status."""
    org = _staff_org(principal, org_id)
    month = month_start(month)
    members = paying_members(org)
    figures = compute([m.id for m in members], [month])
    history = months_between(add_months(month, -5), month)
    streaks = compute([m.id for m in members], history)
    rows = []
    for m in members:
        f = figures[(m.id, month)]
        run, _since = streak(streaks, m.id, history)
        rows.append(
            {
                "member_id": m.id,
                "name": m.name,
                "org_id": m.org_id,
                "org_name": m.org.name,
                "category": f.category,
                "category_label": CATEGORY_LABELS.get(f.category or "", ""),
                "base_fen": f.base_fen,
                "due_fen": f.due_fen,
                "paid_fen": f.paid_fen,
                "status": f.status,
                "status_label": STATUS_LABELS[f.status],
                "reduced": f.reduced,
                "unpaid_streak": run,
            }
        )
    unpaid = [r for r in rows if r["status"] == UNPAID]
    return {
        "org_id": org.id,
        "org_name": org.name,
        "month": f"{month:%Y-%m}",
        "members": len(rows),
        "paid": sum(1 for r in rows if r["status"] == "paid"),
        "unpaid": len(unpaid),
        "due_fen": sum(r["due_fen"] for r in rows),
        "paid_fen": sum(r["paid_fen"] for r in rows),
        "unpaid_fen": sum(r["due_fen"] for r in unpaid),
        "rows": rows,
    }


def unpaid_list(principal: Principal, org_id: int | None, month: date, now: datetime):
    """The 未交名单: the month sheet's unpaid rows only."""
    sheet = month_sheet(principal, org_id, month, now)
    sheet["rows"] = [r for r in sheet["rows"] if r["status"] == UNPAID]
    return sheet


def collection(principal: Principal, org_id: int | None, year: int, now: datetime):
    """Per branch and month of a year: due, collected, unpaid members, handed over."""
    org = _staff_org(principal, org_id)
    today = local_day(now)
    months = [date(year, m, 1) for m in range(1, 13) if date(year, m, 1) <= today]
    members = paying_members(org)
    figures = compute([m.id for m in members], months)
    orgs = {
        o.id: o
        for o in db.session.scalars(
            select(Organization).where(Organization.path.like(org.path + "%"))
        )
    }
    handed = dict(
        db.session.execute(
            select(DuesHandover.org_id, func.sum(DuesHandover.amount_fen))
            .where(
                DuesHandover.org_id.in_(list(orgs)),
                DuesHandover.month >= date(year, 1, 1),
                DuesHandover.month <= date(year, 12, 1),
            )
            .group_by(DuesHandover.org_id)
        ).all()
    )
    collected = dict(
        db.session.execute(
            select(DuesPayment.org_id, func.sum(DuesPayment.amount_fen))
            .where(
                DuesPayment.org_id.in_(list(orgs)),
                DuesPayment.month >= date(year, 1, 1),
                DuesPayment.month <= date(year, 12, 1),
            )
            .group_by(DuesPayment.org_id)
        ).all()
    )
    branches: dict[int, dict[str, Any]] = {}
    for m in members:
        branch = branch_of(orgs[m.org_id], orgs)
        row = branches.setdefault(
            branch.id,
            {
                "org_id": branch.id,
                "org_name": branch.name,
                "members": 0,
                "arrears_fen": 0,
                "months": {mo: {"due_fen": 0, "paid_fen": 0, "unpaid": 0} for mo in months},
            },
        )
        row["members"] += 1
        for mo in months:
            f = figures[(m.id, mo)]
            cell = row["months"][mo]
            cell["due_fen"] += f.due_fen
            cell["paid_fen"] += f.paid_fen
            cell["unpaid"] += f.status == UNPAID
            if f.status == UNPAID and mo != months[-1]:  # the running month is not yet arrears
                row["arrears_fen"] += f.due_fen
    out = []
    for row in branches.values():
        cells = row.pop("months")
        ids = [oid for oid, o in orgs.items() if o.path.startswith(orgs[row["org_id"]].path)]
        out.append(
            {
                **row,
                "due_fen": sum(c["due_fen"] for c in cells.values()),
                "paid_fen": sum(c["paid_fen"] for c in cells.values()),
                "collected_fen": int(sum(collected.get(i, 0) or 0 for i in ids)),
                "handed_over_fen": int(sum(handed.get(i, 0) or 0 for i in ids)),
                "by_month": [{"month": f"{mo:%Y-%m}", **c} for mo, c in cells.items()],
            }
        )
    out.sort(key=lambda r: orgs[r["org_id"]].path)
    totals = {
        k: sum(r[k] for r in out)
        for k in (
            "members",
            "due_fen",
            "paid_fen",
            "collected_fen",
            "arrears_fen",
            "handed_over_fen",
        )
    }
    return {"org_id": org.id, "org_name": org.name, "year": year, "rows": out, "totals": totals}


def member_name(member_id: int) -> str:
    """A member's name (for titles)."""
    return db.session.scalar(select(Member.name).where(Member.id == member_id)) or ""


# --- exports ---------------------------------------------------------------------------------


def _yuan_rows(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    return [
        {
            **r,
            **{
                k.replace("_fen", "_yuan"): yuan(r[k]) if r.get(k) is not None else "" for k in keys
            },
        }
        for r in rows
    ]


def sheet_table(report: dict[str, Any], unpaid_only: bool):
    """Filename, title, columns and rows of the month sheet or the 未交名单."""
    rows = _yuan_rows(report["rows"], ("base_fen", "due_fen", "paid_fen"))
    columns = [
        Column("姓名", "name", 10),
        Column("组织", "org_name", 24),
        Column("类别", "category_label", 14),
        Column("基数(元)", "base_yuan", 12),
        Column("应交(元)", "due_yuan", 10),
        Column("已交(元)", "paid_yuan", 10),
        Column("状态", "status_label", 10),
        Column("连续未交(月)", "unpaid_streak", 12),
    ]
    what = "未交名单" if unpaid_only else "党费收缴表"
    title = f"{report['org_name']} {report['month']} {what}"
    return f"dues-{'unpaid' if unpaid_only else 'sheet'}-{report['month']}", title, columns, rows


def collection_table(report: dict[str, Any]):
    """One line per branch with the year's totals."""
    keys = ("due_fen", "paid_fen", "collected_fen", "arrears_fen", "handed_over_fen")
    rows = _yuan_rows([*report["rows"], {"org_name": "合计", **report["totals"]}], keys)
    columns = [
        Column("支部", "org_name", 28),
        Column("交费党员", "members", 10),
        Column("应交(元)", "due_yuan", 12),
        Column("实交(元)", "paid_yuan", 12),
        Column("入账合计(元)", "collected_yuan", 14),
        Column("欠交(元)", "arrears_yuan", 12),
        Column("上缴(元)", "handed_over_yuan", 12),
    ]
    title = f"{report['org_name']} {report['year']}年党费收缴情况"
    return f"dues-{report['year']}", title, columns, rows


def owed_now(member_id: int, now: datetime) -> dict[str, Any]:
    """What a member owes today (unpaid months of the last HISTORY_MONTHS), for badges."""
    this_month = month_start(local_day(now))
    months = months_between(add_months(this_month, -HISTORY_MONTHS + 1), this_month)
    figures = compute([member_id], months)
    unpaid = [f for f in figures.values() if f.status == UNPAID]
    return {"owed_fen": sum(f.due_fen for f in unpaid), "owed_months": len(unpaid)}


DUES_FLAGS = (3, 5, 6)  # like rule 4: warnings at 3 and 5 months; art. 9 names six


def with_dues_streaks(report: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Add each member's consecutive unpaid months (closed months) to the members report,
    beside rule 4's absence flag: 党章 art. 9 names six months without dues as well."""
    last = add_months(month_start(local_day(now)), -1)
    months = months_between(add_months(last, -5), last)
    ids = [r["member_id"] for r in report["rows"]]
    figures = compute(ids, months)
    for row in report["rows"]:
        run, _since = streak(figures, row["member_id"], months)
        row["dues_unpaid_months"] = run
        row["dues_flag"] = max((f for f in DUES_FLAGS if run >= f), default=None)
    return report
