"""Reading sessions: the server measures the dwell from its own clock and awards once.

start opens a session (or returns the open one); complete closes it when the dwell is long
enough — otherwise it answers how long remains and the session stays open. A brief pays the
`morning_brief` rule; a lesson or article pays `read_item` plus `read_minutes` per effective
minute (the dwell, capped at the stated minutes). Keys are per member and item, so an item
scores once however often it is read; the session row lock makes concurrent completions of
one session close it once.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from app.auth import Principal
from app.db import UTCDateTime, core_execute
from app.errors import APIError
from app.extensions import db
from app.points import services as points
from app.study.access import studyable_item
from app.study.days import record_study
from app.study.models import SOURCE, ReadingSession, StudyItem
from app.study.services import required_seconds
from app.timeutil import local_day


def _open_key(member_id: int, item_id: int) -> str:
    return f"{member_id}:{item_id}"


def _open_session(member_id: int, item_id: int, lock: bool = False) -> ReadingSession | None:
    stmt = select(ReadingSession).where(ReadingSession.open_key == _open_key(member_id, item_id))
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


@functools.cache
def _insert_open_statement(dialect: str):
    """INSERT … ON CONFLICT (open_key) DO NOTHING RETURNING id, built once per dialect: a
    new session in one statement; the unique key decides a race (the loser gets no row)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ReadingSession.__table__
    return (
        insert(table)
        .values(
            member_id=bindparam("o_member_id", type_=Integer()),
            item_id=bindparam("o_item_id", type_=Integer()),
            status="open",
            open_key=bindparam("o_open_key", type_=String()),
            started_at=bindparam("o_started_at", type_=UTCDateTime()),
        )
        .on_conflict_do_nothing(index_elements=["open_key"])
        .returning(table.c.id)
    )


def _open(member_id: int, item_id: int, now: datetime) -> ReadingSession | None:
    """A new open session (shown from what was written, not reloaded), or None when one is
    open already."""
    params = {
        "o_member_id": member_id,
        "o_item_id": item_id,
        "o_open_key": _open_key(member_id, item_id),
        "o_started_at": now,
    }
    stmt = _insert_open_statement(db.session.get_bind().dialect.name)
    new_id = core_execute(db.session, stmt, params).scalar()
    if new_id is None:
        return None
    return ReadingSession(
        id=new_id,
        member_id=member_id,
        item_id=item_id,
        status="open",
        open_key=params["o_open_key"],
        started_at=now,
    )


def start(principal: Principal, item_id: int, now: datetime) -> tuple[dict[str, Any], bool]:
    """Open a session (True) or return the one already open today (False). A session left open
    on an earlier day is abandoned uncounted, so a dwell never spans days."""
    member, item = studyable_item(principal, item_id, now)
    created = _open(member.id, item.id, now)
    if created is not None:
        return _result(item, created, now), True
    session = _open_session(member.id, item.id, lock=True)
    if session is not None and local_day(session.started_at) == local_day(now):
        return _result(item, session, now), False
    if session is not None:
        session.status, session.open_key = "abandoned", None
        db.session.flush()
    created = _open(member.id, item.id, now)
    if created is not None:
        return _result(item, created, now), True
    winner = _open_session(member.id, item.id)  # a concurrent start opened it meanwhile
    if winner is None:
        raise APIError(409, "study.busy", "操作过于频繁，请稍后再试")
    return _result(item, winner, now), False


def complete(principal: Principal, item_id: int, now: datetime) -> dict[str, Any]:
    """Close the open session if the dwell suffices and award its points (once per item);
    too short → `counted: false` with `remaining_seconds`; no session → 409."""
    member, item = studyable_item(principal, item_id, now)
    session = _open_session(member.id, item.id, lock=True)
    if session is None:
        last = db.session.scalar(
            select(ReadingSession)
            .where(
                ReadingSession.member_id == member.id,
                ReadingSession.item_id == item.id,
                ReadingSession.status == "completed",
            )
            .order_by(ReadingSession.completed_at.desc(), ReadingSession.id.desc())
            .limit(1)
        )
        if last is None:
            raise APIError(409, "study.session_not_started", "请先开始阅读", {"item_id": item.id})
        return {**_result(item, last, now), "points_awarded": 0, "awards": []}
    dwell = max(0, int((now - session.started_at).total_seconds()))
    need = required_seconds(item)
    if dwell < need:
        return {**_result(item, session, now), "points_awarded": 0, "awards": []}
    study_seconds = min(dwell, item.minutes * 60)
    session.status, session.open_key = "completed", None
    session.completed_at, session.dwell_seconds = now, dwell
    session.study_seconds = study_seconds
    record_study(member.id, local_day(now), study_seconds, now)
    awards = _award(member.id, item, study_seconds, now, _read_before(session))
    session.points = sum(a["delta"] for a in awards)
    db.session.flush()
    return {**_result(item, session, now), "points_awarded": session.points, "awards": awards}


def _read_before(session: ReadingSession) -> bool:
    """Whether the member completed this item in an earlier session (any day)."""
    return (
        db.session.scalar(
            select(ReadingSession.id)
            .where(
                ReadingSession.member_id == session.member_id,
                ReadingSession.item_id == session.item_id,
                ReadingSession.status == "completed",
                ReadingSession.id != session.id,
            )
            .limit(1)
        )
        is not None
    )


def _award(
    member_id: int, item: StudyItem, study_seconds: int, now: datetime, read_before: bool
) -> list[dict]:
    if item.kind == "morning_brief":
        plan = [("morning_brief", f"brief:{member_id}:{item.id}", 1)]
    else:
        plan = [("read_item", f"read:{member_id}:{item.id}", 1)]
        # an item pays its minutes once, whatever the day: a completion whose minutes were
        # cut to nothing by the day's cap wrote no ledger row, so its key alone cannot say so
        if not read_before:
            plan.append(("read_minutes", f"readmin:{member_id}:{item.id}", study_seconds // 60))
    awards = []
    for action, key, quantity in plan:
        if quantity <= 0 or points.key_used(key):
            continue
        entry = points.award(
            member_id,
            action,
            source_type=SOURCE,
            source_id=item.id,
            idempotency_key=key,
            now=now,
            quantity=quantity,
            reason=f"学习：{item.title}"[:200],
        )
        if entry is not None:
            awards.append({"action": action, "delta": entry.delta})
    return awards


def _result(item: StudyItem, session: ReadingSession, now: datetime) -> dict[str, Any]:
    need = required_seconds(item)
    if session.status == "completed":
        elapsed, remaining = session.dwell_seconds or 0, 0
    else:
        elapsed = max(0, int((now - session.started_at).total_seconds()))
        remaining = max(0, math.ceil(need - (now - session.started_at).total_seconds()))
    return {
        # plain values, not the row: the request commits before it serialises, and a row
        # expired by that commit would be read again just to be shown
        "session": {
            "id": session.id,
            "status": session.status,
            "started_at": session.started_at,
            "completed_at": session.completed_at,
        },
        "item_id": item.id,
        "counted": session.status == "completed",
        "dwell_seconds": elapsed,
        "required_seconds": need,
        "remaining_seconds": remaining,
    }
