"""Study per member and Shanghai day: recorded time (for the 32 hours a year) and streaks."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.db import core_execute
from app.extensions import db
from app.points import standing
from app.study.models import StudyDay
from app.timeutil import local_day

STREAK_LOOKBACK_DAYS = 400


def record_study(member_id: int, day: date, seconds: int, now: datetime) -> None:
    """Mark the day as studied and add `seconds` of reading time (one upsert, race-free)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(StudyDay).values(
        member_id=member_id, day=day, seconds=max(0, seconds), updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["member_id", "day"],
        set_={
            "seconds": StudyDay.seconds + stmt.excluded.seconds,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    db.session.execute(stmt)


class days_between(FunctionElement):
    """`a - b` in whole days between two DATE expressions, on either engine."""

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"({a} - {b})"  # PostgreSQL: date - date is an integer


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({a}) - julianday({b}) AS INTEGER)"


def streak_columns(member_id, today, yesterday, since) -> tuple:
    """Two scalar subqueries from which :func:`streak_from` tells the streak, so a screen can
    read it in the statement it already runs (home's counters).

    The member's study days of the look-back, newest first, numbered k = 0, 1, …: a day is in
    the run ending on E exactly when E - day = k (days are unique, so once a day is missed
    every later one falls short). The first column counts the run ending today, the second
    the run ending yesterday."""
    days = StudyDay.__table__
    k = (func.row_number().over(order_by=days.c.day.desc()) - 1).label("k")
    ranked = (
        select(days.c.day, k)
        .where(days.c.member_id == member_id, days.c.day <= today, days.c.day > since)
        .subquery()
    )

    def run_ending(end):
        return (
            select(func.count())
            .select_from(ranked)
            .where(days_between(end, ranked.c.day) == ranked.c.k)
            .scalar_subquery()
        )

    return run_ending(today), run_ending(yesterday)


def streak_params(prefix: str, member_id: int, now: datetime) -> dict[str, Any]:
    """The parameters of streak_columns built with bind parameters named `<prefix>…`."""
    today = local_day(now)
    return {
        f"{prefix}member_id": member_id,
        f"{prefix}today": today,
        f"{prefix}yesterday": today - timedelta(days=1),
        f"{prefix}since": today - timedelta(days=STREAK_LOOKBACK_DAYS),
    }


def streak_bindparams(prefix: str) -> tuple:
    """Bind parameters for streak_columns, named as streak_params names them."""
    day = StudyDay.__table__.c.day.type
    return (
        bindparam(f"{prefix}member_id", type_=Integer()),
        bindparam(f"{prefix}today", type_=day),
        bindparam(f"{prefix}yesterday", type_=day),
        bindparam(f"{prefix}since", type_=day),
    )


def streak_from(ending_today: int | None, ending_yesterday: int | None) -> dict:
    """Consecutive Shanghai days with study up to today (or up to yesterday, while today's
    study is still to come), and whether today counts already."""
    if ending_today:
        return {"days": int(ending_today), "studied_today": True}
    return {"days": int(ending_yesterday or 0), "studied_today": False}


@functools.cache
def _streak_statement():
    """The streak's two columns alone, built once per process."""
    return select(*streak_columns(*streak_bindparams("s_")))


def streak(member_id: int, now: datetime) -> dict:
    """The member's study streak at `now` (one statement; see streak_columns)."""
    params = streak_params("s_", member_id, now)
    return streak_from(*core_execute(db.session, _streak_statement(), params).one())


def study_seconds(member_ids: Iterable[int], start: date, end: date) -> dict[int, int]:
    """Recorded reading seconds per member over [start, end] (reports: 32 hours a year)."""
    ids = list(member_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(StudyDay.member_id, func.sum(StudyDay.seconds))
        .where(StudyDay.member_id.in_(ids), StudyDay.day >= start, StudyDay.day <= end)
        .group_by(StudyDay.member_id)
    ).all()
    return {member_id: int(total or 0) for member_id, total in rows}


def studied_on(member_ids: Iterable[int], day: date) -> set[int]:
    """Which of the members studied on `day` (reminders: nudge the others at 20:00)."""
    ids = list(member_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(StudyDay.member_id).where(StudyDay.member_id.in_(ids), StudyDay.day == day)
        )
    )


def my_standing(member_id: int, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Everything the 我的积分 page shows in one answer (4 statements with the version read:
    the totals, the streak, one page of history): points' standing plus the study streak."""
    return {**standing.me(member_id, args, now), "streak": streak(member_id, now)}
