"""A member's standing: balance, today's progress per rule, period totals, streak, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.points.models import MemberPointPeriod, PointLedger, PointRule
from app.points.scope import period_keys
from app.points.services import (
    action_labels,
    balance,
    daily_cap,
    points_today,
)
from app.schemas import paginate
from app.timeutil import local_day


def progress_today(member_id: int, now: datetime) -> list[dict[str, Any]]:
    """Every active rule with today's points as current / daily maximum (None: no cap)."""
    today = local_day(now)
    earned = dict(
        db.session.execute(
            select(PointLedger.action, func.sum(PointLedger.delta))
            .where(
                PointLedger.member_id == member_id,
                PointLedger.day == today,
                PointLedger.rule_id.is_not(None),
            )
            .group_by(PointLedger.action)
        ).all()
    )
    rows = []
    for rule in db.session.scalars(
        select(PointRule).where(PointRule.active.is_(True)).order_by(PointRule.id)
    ):
        cap = daily_cap(rule)
        rows.append(
            {
                "action": rule.action,
                "label": rule.label,
                "points": rule.points,
                "current": int(earned.get(rule.action) or 0),
                "max": cap * rule.points if cap is not None else None,
            }
        )
    return rows


def period_points(member_id: int, now: datetime) -> dict[str, int]:
    """The member's points this week, month, year and in all."""
    keys = period_keys(local_day(now))
    found = dict(
        db.session.execute(
            select(MemberPointPeriod.period_kind, MemberPointPeriod.points).where(
                MemberPointPeriod.member_id == member_id,
                MemberPointPeriod.period_kind.in_([k for k, _ in keys]),
                MemberPointPeriod.period_key.in_([v for _, v in keys]),
            )
        ).all()
    )
    return {kind: int(found.get(kind) or 0) for kind, _ in keys}


def history(member_id: int, page: int, per_page: int) -> dict:
    """The member's ledger, newest first, one page."""
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


def me(member_id: int, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Everything the 我的积分 page shows in one answer."""
    from app.study.days import streak

    rules = progress_today(member_id, now)
    return {
        "balance": balance(member_id),
        "today": {
            "day": local_day(now),
            "points": points_today(member_id, now),
            "rules": rules,
        },
        "periods": period_points(member_id, now),
        "streak": streak(member_id, now),
        "history": history(member_id, args["page"], args["per_page"]),
        "now": now,
    }
