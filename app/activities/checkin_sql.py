"""The check-in's SQL, built once per process with bound parameters `v_*`.

Constructing the insert per request (its CTE and column proxies) cost more CPU than running
it: SQLAlchemy's compiled cache skips only the SQL string, not the construction.
"""

from __future__ import annotations

import functools

from sqlalchemy import Integer, bindparam, exists, func, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from app.activities.models import Attendance
from app.members.models import Member

TABLE = Attendance.__table__
COLUMNS = tuple(TABLE.c)


@functools.cache
def existing_statement():
    """One member's attendance row at one activity (`v_activity_id`, `v_member_id`)."""
    return select(*COLUMNS).where(
        TABLE.c.activity_id == bindparam("v_activity_id", type_=Integer()),
        TABLE.c.member_id == bindparam("v_member_id", type_=Integer()),
    )


_MEMBERS = Member.__table__


# what a check-in inserts, in this order; each value is a bind parameter `v_<column>`
_INSERTED = (
    "activity_id",
    "member_id",
    "status",
    "method",
    "checked_in_at",
    "lat",
    "lng",
    "distance_m",
    "device_id",
    "new_device",
    "recorded_by_user_id",
    "recorded_by_member_id",
    "reason",
    "created_at",
    "updated_at",
)


def _v(name: str):
    return bindparam(f"v_{name}", type_=TABLE.c[name].type)


def _row_source():
    """INSERT … SELECT from the member's row: nothing is inserted for a member deactivated
    since the principal was resolved (the row is read inside the insert). The device differs
    from the member's usual one only when both are known."""
    new_device = func.coalesce(
        _MEMBERS.c.usual_device != bindparam("v_device", type_=_MEMBERS.c.usual_device.type),
        False,
    )
    columns = [new_device if n == "new_device" else _v(n) for n in _INSERTED]
    return list(_INSERTED), select(*columns).where(
        _MEMBERS.c.id == _v("member_id"), _MEMBERS.c.is_active.is_(True)
    )


def _usual_device(new_id):
    """The first device a member checks in with becomes the usual one."""
    return (
        update(_MEMBERS)
        .where(
            _MEMBERS.c.id == _v("member_id"),
            _MEMBERS.c.usual_device.is_(None),
            exists(select(new_id)),
        )
        .values(usual_device=bindparam("v_device"), updated_at=_v("created_at"))
    )


@functools.cache
def insert_statement(dialect: str, with_device: bool):
    """The check-in's insert, built once per process: constructing it per request (its CTE
    and column proxies) cost more CPU than running it."""
    if dialect == "postgresql":
        new = (
            postgresql.insert(TABLE)
            .from_select(*_row_source())
            .on_conflict_do_nothing()
            .returning(*COLUMNS)
            .cte("new_row")
        )
        same = (TABLE.c.activity_id == _v("activity_id")) & (TABLE.c.member_id == _v("member_id"))
        stmt = union_all(
            select(*new.c, literal(True).label("created")),
            select(*COLUMNS, literal(False).label("created")).where(
                same, ~exists(select(new.c.id))
            ),
        )
        if with_device:
            stmt = stmt.add_cte(_usual_device(new.c.id).cte("usual_device"))
        return stmt
    insert = sqlite.insert(TABLE).from_select(*_row_source()).on_conflict_do_nothing()
    if not with_device:
        return insert.returning(*COLUMNS)
    return (
        insert.returning(*COLUMNS),
        update(_MEMBERS)
        .where(_MEMBERS.c.id == _v("member_id"), _MEMBERS.c.usual_device.is_(None))
        .values(usual_device=bindparam("v_device"), updated_at=_v("created_at")),
    )
