"""A member's standing: balance, today's progress per rule, period totals, streak, history."""

from __future__ import annotations

import functools
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import Integer, String, bindparam, case, func, literal, select, union_all

from app.db import core_execute
from app.extensions import db
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger
from app.points.rules import rules
from app.points.scope import period_keys
from app.points.services import ACTION_LABELS, action_labels
from app.schemas import paginate
from app.timeutil import local_day


def history(member_id: int, page: int, per_page: int) -> dict:
    """The member's ledger entries (ORM rows), newest first, one page (the committee's view)."""
    stmt = (
        select(PointLedger)
        .where(PointLedger.member_id == member_id)
        .order_by(PointLedger.created_at.desc(), PointLedger.id.desc())
    )
    result = paginate(stmt, page, per_page)
    labels = action_labels()
    for entry in result["items"]:
        entry.label = labels.get(entry.action, entry.action)
    return result


@functools.cache
def _totals_statement():
    """Balance, the four period rows and today's ledger by action, as one UNION ALL built
    once per process (parameters `t_*`)."""
    member_id = bindparam("t_member_id", type_=Integer())
    balance = select(literal("#balance"), MemberPoints.total).where(
        MemberPoints.member_id == member_id
    )
    periods = select(
        literal("#period:") + MemberPointPeriod.period_kind, MemberPointPeriod.points
    ).where(
        MemberPointPeriod.member_id == member_id,
        MemberPointPeriod.period_kind.in_(list(_KINDS)),
        MemberPointPeriod.period_key.in_([bindparam(f"t_{k}", type_=String()) for k in _KINDS]),
    )
    # corrections (no rule) count in today's points but in no rule's progress
    label = case((PointLedger.rule_id.is_(None), literal("#correction")), else_=PointLedger.action)
    todays = (
        select(label, func.sum(PointLedger.delta))
        .where(
            PointLedger.member_id == member_id,
            PointLedger.day == bindparam("t_day", type_=PointLedger.__table__.c.day.type),
        )
        .group_by(label)
    )
    return union_all(balance, periods, todays)


_KINDS = ("week", "month", "year", "all")


def _totals(member_id: int, now: datetime) -> tuple[int, dict[str, int], dict[str, int], int]:
    """(balance, period totals, today's points per rule action, today's points) in one
    statement: a UNION ALL of the balance row, the four period rows and today's ledger."""
    today = local_day(now)
    keys = period_keys(today)
    params = {"t_member_id": member_id, "t_day": today, **{f"t_{k}": v for k, v in keys}}
    rows = core_execute(db.session, _totals_statement(), params).all()
    found = {key: int(value or 0) for key, value in rows}
    period_totals = {kind: found.get(f"#period:{kind}", 0) for kind, _ in keys}
    earned = {k: v for k, v in found.items() if not k.startswith("#")}
    points_today = sum(earned.values()) + found.get("#correction", 0)
    return found.get("#balance", 0), period_totals, earned, points_today


@functools.cache
def _history_statement():
    """One page of the member's ledger with the full count (parameters `h_*`); built once."""
    table = PointLedger.__table__
    return (
        select(table, func.count().over().label("full_count"))
        .where(table.c.member_id == bindparam("h_member_id", type_=Integer()))
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(bindparam("h_limit", type_=Integer()))
        .offset(bindparam("h_offset", type_=Integer()))
    )


def _history_page(member_id: int, page: int, per_page: int) -> dict:
    """One page of the ledger, newest first, and the total in the same statement."""
    per_page = min(per_page, current_app.config["PER_PAGE_MAX"])
    table = PointLedger.__table__
    params = {"h_member_id": member_id, "h_limit": per_page, "h_offset": (page - 1) * per_page}
    rows = core_execute(db.session, _history_statement(), params).mappings().all()
    if rows:
        total = rows[0]["full_count"]
    elif page == 1:
        total = 0
    else:  # past the last page: the window saw no row, count apart
        total = db.session.scalar(
            select(func.count()).select_from(table).where(table.c.member_id == member_id)
        )
    labels = {**{r.action: r.label for r in rules().values()}, **ACTION_LABELS}
    items = [SimpleNamespace(**row, label=labels.get(row["action"], row["action"])) for row in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": int(total)}


def me(member_id: int, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The points part of the 我的积分 page (the totals and one page of history; the study
    streak is added by app.study.days.my_standing, which knows study days)."""
    balance_total, period_totals, earned, points_today = _totals(member_id, now)
    progress = [
        {
            "action": rule.action,
            "label": rule.label,
            "points": rule.points,
            "current": earned.get(rule.action, 0),
            "max": rule.cap * rule.points if rule.cap is not None else None,
        }
        for rule in sorted(rules().values(), key=lambda r: r.id)
        if rule.active
    ]
    return {
        "balance": balance_total,
        "today": {"day": local_day(now), "points": points_today, "rules": progress},
        "periods": period_totals,
        "history": _history_page(member_id, args["page"], args["per_page"]),
        "now": now,
    }
