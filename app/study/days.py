"""Study per member and Shanghai day: recorded time (for the 32 hours a year) and streaks."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

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


@functools.cache
def _streak_statement():
    """The member's study days of the look-back, newest first; built once per process."""
    today = bindparam("s_today", type_=StudyDay.__table__.c.day.type)
    since = bindparam("s_since", type_=StudyDay.__table__.c.day.type)
    return (
        select(StudyDay.__table__.c.day)
        .where(
            StudyDay.__table__.c.member_id == bindparam("s_member_id", type_=Integer()),
            StudyDay.__table__.c.day <= today,
            StudyDay.__table__.c.day > since,
        )
        .order_by(StudyDay.__table__.c.day.desc())
    )


def streak(member_id: int, now: datetime) -> dict:
    """Consecutive Shanghai days with study up to today (or up to yesterday, while today's
    study is still to come), and whether today counts already."""
    today = local_day(now)
    params = {
        "s_member_id": member_id,
        "s_today": today,
        "s_since": today - timedelta(days=STREAK_LOOKBACK_DAYS),
    }
    days = list(core_execute(db.session, _streak_statement(), params).scalars())
    studied_today = bool(days) and days[0] == today
    expected = today if studied_today else today - timedelta(days=1)
    count = 0
    for day in days:
        if day != expected:
            break
        count += 1
        expected -= timedelta(days=1)
    return {"days": count, "studied_today": studied_today}


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
