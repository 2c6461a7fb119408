"""报到: the receiving branch confirms the member reported, and a passed 报到期限 is reminded
once (the receiving secretaries and the member, per transfer and deadline)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden
from app.extensions import db
from app.notify.services import Reminder
from app.org.holders import secretaries_on
from app.timeutil import local_day
from app.transfers import services
from app.transfers.models import REPORTING, STATUS_LABELS, Transfer


def confirm_report(
    principal: Principal, transfer_id: int, data: dict[str, Any], now: datetime
) -> Transfer:
    """The receiving branch records that the member reported (报到): on `reported_on`
    (default today; not in the future, not before the transfer was decided). Once; audited."""
    t = services.get_transfer(principal, transfer_id, lock=True)
    if t.to_org is None or not principal.can_manage_org(t.to_org):
        raise forbidden("只有接收方支部书记可以确认报到")
    if t.status not in REPORTING:
        raise APIError(
            409, "transfer.not_approved", f"该转接{STATUS_LABELS[t.status]}，不能确认报到"
        )
    if t.reported_on is not None:
        raise APIError(
            409,
            "transfer.already_reported",
            f"已于{t.reported_on:%Y年%m月%d日}确认报到",
            {"reported_on": t.reported_on.isoformat()},
        )
    day = data.get("reported_on") or local_day(now)
    earliest = local_day(t.decided_at) if t.decided_at else local_day(t.created_at)
    if day > local_day(now) or day < earliest:
        raise APIError(
            422,
            "transfer.reported_on_invalid",
            "报到日期不能晚于今天，也不能早于批准日期",
            {"reported_on": [f"应在{earliest.isoformat()}至今天之间"]},
        )
    t.reported_on, t.reported_by = day, audit.actor_name(principal)[:64]
    db.session.flush()
    services.audit_transfer(
        principal, t, "transfer.report", now, field="reported_on", new=day.isoformat()
    )
    return t


def report_overdue(now: datetime) -> list[Reminder]:
    """Once a 报到期限 has passed unconfirmed: the receiving branch's secretaries and the
    member (once moved) are reminded, once per transfer and deadline (a new deadline is a new
    cause). Deadlines of the last 60 days only: an older one is a matter for the report."""
    today = local_day(now)
    rows = db.session.scalars(
        select(Transfer)
        .where(
            Transfer.status.in_(REPORTING),
            Transfer.to_org_id.is_not(None),
            Transfer.reported_on.is_(None),
            Transfer.report_by < today,
            Transfer.report_by >= today - timedelta(days=60),
        )
        .order_by(Transfer.id)
    ).all()
    out = []
    for t in rows:
        cause = f"transfer:{t.id}:report:{t.report_by.isoformat()}"  # type: ignore[union-attr]
        by = f"{t.report_by:%m月%d日}"
        data = {"transfer_id": t.id, "report_by": t.report_by.isoformat()}  # type: ignore[union-attr]
        secretaries = secretaries_on(t.to_org_id, today)
        out.append(
            Reminder(
                kind="transfer_report_overdue",
                cause=cause,
                day=today,
                title="党员未按期报到",
                body=f"{t.member_name}转入{t.to_org.name}的报到期限{by}已过，尚未确认报到",  # type: ignore[union-attr]
                member_ids=[m for m in secretaries if m != t.member_id],
                data={**data, "page": "/console#transfers"},
            )
        )
        if t.member_id is not None:
            out.append(
                Reminder(
                    kind="transfer_report_overdue",
                    cause=cause + ":member",
                    day=today,
                    title="请尽快到新支部报到",
                    body=f"您转入{t.to_org.name}的报到期限{by}已过，请尽快与支部书记联系报到",  # type: ignore[union-attr]
                    member_ids=[t.member_id],
                    data={**data, "page": "/m/transfers"},
                )
            )
    return out


RULES = [report_overdue]
