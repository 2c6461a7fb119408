"""Reports: transfers in and out per branch and period, and where the mobile members are,
with their flat tables for CSV and Excel (app.reports.exports)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from app.auth import Principal
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.reports.compliance import period_bounds
from app.reports.exports import Column
from app.reports.services import report_org
from app.timeutil import local_day
from app.transfers.mobile import _facts, decorate
from app.transfers.models import KIND_LABELS, MobileMembership, Transfer

PERIOD_LABELS = {"month": "月", "quarter": "季度", "year": "年"}


def _label(start: date, period: str) -> str:
    if period == "month":
        return f"{start.year}年{start.month}月"
    if period == "quarter":
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年"


def transfer_report(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """Per branch of the subtree: completed transfers in and out whose effective day falls in
    the period (month, quarter or year containing `on`, default today), and the list."""
    org = report_org(principal, args.get("org_id"))
    period = args.get("period", "month")
    start, after = period_bounds(args.get("on") or local_day(now), period)
    src, dst = aliased(Organization), aliased(Organization)
    subtree = org.path + "%"
    rows = db.session.execute(
        select(Transfer, src.path.label("src_path"), dst.path.label("dst_path"))
        .outerjoin(src, src.id == Transfer.from_org_id)
        .outerjoin(dst, dst.id == Transfer.to_org_id)
        .where(
            Transfer.status == "completed",
            Transfer.effective_on >= start,
            Transfer.effective_on < after,
            or_(src.path.like(subtree), dst.path.like(subtree)),
        )
        .order_by(Transfer.effective_on, Transfer.id)
    ).all()
    branches = db.session.execute(
        select(Organization.id, Organization.name, Organization.path)
        .where(Organization.path.like(subtree), Organization.type == "branch")
        .order_by(Organization.path)
    ).all()
    per = []
    for b in branches:
        ins = sum(1 for r in rows if r.dst_path and r.dst_path.startswith(b.path))
        outs = sum(1 for r in rows if r.src_path and r.src_path.startswith(b.path))
        per.append({"org_id": b.id, "org_name": b.name, "in": ins, "out": outs, "net": ins - outs})
    listed = [
        {
            "id": t.id,
            "member_name": t.member_name,
            "kind_label": KIND_LABELS[t.kind],
            "from_org_name": t.from_org.name if t.from_org else t.external_org_name,
            "to_org_name": t.to_org.name if t.to_org else t.external_org_name,
            "letter_no": t.letter_no,
            "effective_on": t.effective_on,
        }
        for t, _, _ in rows
    ]
    return {
        "org_id": org.id,
        "org_name": org.name,
        "period": period,
        "start": start,
        "end": after,
        "label": _label(start, period),
        "rows": per,
        "transfers": listed,
        "total_in": sum(1 for r in rows if r.dst_path and r.dst_path.startswith(org.path)),
        "total_out": sum(1 for r in rows if r.src_path and r.src_path.startswith(org.path)),
    }


def transfer_tables(report: dict[str, Any]):
    """Per-branch counts (the export's one sheet)."""
    columns = [
        Column("支部", "org_name", 28),
        Column("转入", "in", 8),
        Column("转出", "out", 8),
        Column("净增", "net", 8),
    ]
    title = f"{report['org_name']} {report['label']}组织关系转接统计"
    return f"transfers-{report['start']:%Y-%m}-{report['period']}", title, columns, report["rows"]


def mobile_report(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """Mobile members of the subtree away today: where, since when, and their flags."""
    org = report_org(principal, args.get("org_id"))
    today = local_day(now)
    home, host = aliased(Organization), aliased(Organization)
    rows = db.session.scalars(
        select(MobileMembership)
        .join(Member, Member.id == MobileMembership.member_id)
        .join(home, home.id == Member.org_id)
        .outerjoin(host, host.id == MobileMembership.host_org_id)
        .where(
            or_(home.path.like(org.path + "%"), host.path.like(org.path + "%")),
            and_(
                MobileMembership.from_on <= today,
                or_(MobileMembership.to_on.is_(None), MobileMembership.to_on >= today),
            ),
        )
        .order_by(home.path, MobileMembership.from_on)
    ).all()
    facts = _facts(list({r.member_id for r in rows}), now)
    items = []
    for r in rows:
        decorate(r, now, facts.get(r.member_id, {}))
        items.append(
            {
                "id": r.id,
                "member_id": r.member_id,
                "member_name": r.member_name,
                "home_org_name": r.home_org_name,
                "host_label": r.host_label,
                "outside": r.outside,
                "place": r.place,
                "from_on": r.from_on,
                "to_on": r.to_on,
                "months_away": r.months_away,
                "transfer_due": r.transfer_due,
                "lost_contact": r.lost_contact,
                "last_contact": r.last_contact,
                "last_participation": r.last_participation,
                "flags": "、".join(
                    t for t in (r.transfer_due and "应转接组织关系", r.lost_contact and "失联") if t
                ),
            }
        )
    return {"org_id": org.id, "org_name": org.name, "on": today, "rows": items}


def mobile_tables(report: dict[str, Any]):
    """One line per mobile member away today."""
    columns = [
        Column("姓名", "member_name", 10),
        Column("所在支部", "home_org_name", 24),
        Column("流入地党组织", "host_label", 24),
        Column("外出地点", "place", 16),
        Column("外出起", "from_on", 12),
        Column("外出止", "to_on", 12),
        Column("外出(月)", "months_away", 8),
        Column("最近参加活动", "last_participation", 12),
        Column("最近联系", "last_contact", 12),
        Column("提示", "flags", 20),
    ]
    title = f"{report['org_name']} 流动党员（{report['on']:%Y-%m-%d}）"
    return f"mobile-members-{report['on']:%Y%m%d}", title, columns, report["rows"]
