"""A member's progress on a study item: the state from their sessions, points and answers.

:func:`progress_columns` reads it as four scalar subqueries, so home adds them to its one
counters statement and an item's page reads them in one prebuilt statement
(:func:`progress_of`) instead of three ORM queries.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, bindparam, exists, func, select

from app.db import core_execute
from app.extensions import db
from app.points.models import PointLedger
from app.study.models import SOURCE, LessonAttempt, ReadingSession


def progress_entry(
    required: int,
    started: datetime | None,
    completed: datetime | None,
    points: int | None,
    answered: bool,
    now: datetime,
) -> dict[str, Any]:
    """The member's progress on one item from what was read of their sessions and points."""
    remaining = None
    if started is not None:
        remaining = max(0, math.ceil(required - (now - started).total_seconds()))
    return {
        "state": "done" if completed is not None else "reading" if started else "new",
        "started_at": started,
        "remaining_seconds": remaining,
        "completed_at": completed,
        "points": int(points or 0),
        "answered": answered,
    }


def progress_columns(member_id, item_id) -> tuple:
    """Scalar subqueries for the member's progress on one item, for home's counters statement:
    the open session's start, the first completion, the points it paid, a lesson answered."""
    sessions = ReadingSession.__table__.c
    ledger = PointLedger.__table__.c
    started = (
        select(sessions.started_at)
        .where(
            sessions.member_id == member_id,
            sessions.item_id == item_id,
            sessions.status == "open",
        )
        .limit(1)
        .scalar_subquery()
    )
    completed = (
        select(func.min(sessions.completed_at))
        .where(
            sessions.member_id == member_id,
            sessions.item_id == item_id,
            sessions.status == "completed",
        )
        .scalar_subquery()
    )
    points = (
        select(func.sum(ledger.delta))
        .where(
            ledger.member_id == member_id,
            ledger.source_type == SOURCE,
            ledger.source_id == item_id,
        )
        .scalar_subquery()
    )
    answered = exists(
        select(LessonAttempt.__table__.c.id).where(
            LessonAttempt.__table__.c.member_id == member_id,
            LessonAttempt.__table__.c.item_id == item_id,
        )
    ).cast(Boolean())
    return started, completed, points, answered


@functools.cache
def _progress_statement():
    """The four columns for one member and item (`p_member_id`, `p_item_id`), built once."""
    return select(
        *progress_columns(
            bindparam("p_member_id", type_=Integer()), bindparam("p_item_id", type_=Integer())
        )
    )


def progress_of(member_id: int, item_id: int, required: int, now: datetime) -> dict[str, Any]:
    """The member's progress on one item in one statement."""
    params = {"p_member_id": member_id, "p_item_id": item_id}
    started, completed, points, answered = core_execute(
        db.session, _progress_statement(), params
    ).one()
    return progress_entry(required, started, completed, points, bool(answered), now)
