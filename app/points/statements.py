"""The points award's SQL, built once per process with bound parameters.

Constructing these statements per award (their CTEs, upserts and column proxies) cost
several times more CPU than running them: SQLAlchemy's compiled cache skips only the SQL
string, not the construction. Each is built on first use and reused; the parameters are
`e_*` (the ledger entry), `p_*` and `k_*` (period totals), `b_*` (the SQLite balance).
"""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import Integer, String, bindparam, literal, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite

from app.db import UTCDateTime
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger
from app.points.scope import period_keys

PERIOD_KINDS = ("week", "month", "year", "all")


def period_rows():
    """The day's four (kind, key) periods as bound parameters `k_<kind>`: a fixed shape, so
    the statement is built once and its SQL compiled once (a VALUES with data is neither)."""
    return union_all(
        *(
            select(
                literal(kind, String()).label("kind"),
                bindparam(f"k_{kind}", type_=String()).label("key"),
            )
            for kind in PERIOD_KINDS
        )
    ).subquery("periods")


def period_params(day: date) -> dict[str, str]:
    """The `k_*` parameters of :func:`period_rows` for a day."""
    keys = dict(period_keys(day))
    return {f"k_{kind}": keys[kind] for kind in PERIOD_KINDS}


PERIOD_COLUMNS = [
    "member_id",
    "period_kind",
    "period_key",
    "points",
    "branch_id",
    "park_id",
    "updated_at",
]


def period_upsert(insert):
    """ON CONFLICT: add to the member's period totals, and move them to the current scope."""
    return insert.on_conflict_do_update(
        index_elements=["member_id", "period_kind", "period_key"],
        set_={
            "points": MemberPointPeriod.__table__.c.points + insert.excluded.points,
            "branch_id": insert.excluded.branch_id,
            "park_id": insert.excluded.park_id,
            "updated_at": insert.excluded.updated_at,
        },
    )


@functools.cache
def periods_statement(dialect: str):
    """The period totals' upsert, built once per process (parameters `p_*` and `k_*`)."""
    kinds = period_rows()
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # INSERT … SELECT; the WHERE lets SQLite tell the upsert's ON CONFLICT from a join's ON
    stmt = insert(MemberPointPeriod.__table__).from_select(
        PERIOD_COLUMNS,
        select(
            bindparam("p_member_id", type_=Integer()),
            kinds.c.kind,
            kinds.c.key,
            bindparam("p_delta", type_=Integer()),
            bindparam("p_branch_id", type_=Integer()),
            bindparam("p_park_id", type_=Integer()),
            bindparam("p_now", type_=UTCDateTime()),
        )
        .select_from(kinds)
        .where(true()),
    )
    return period_upsert(stmt)


LEDGER = PointLedger.__table__
ENTRY_COLUMNS = (
    "member_id",
    "rule_id",
    "action",
    "delta",
    "reason",
    "source_type",
    "source_id",
    "day",
    "idempotency_key",
    "created_at",
)


@functools.cache
def award_statement():
    """Ledger row, balance and the four period totals in one writing CTE (PostgreSQL), built
    once per process: constructing it per award cost several times more CPU than running it."""
    ledger = (
        postgresql.insert(LEDGER)
        .values({c: bindparam(f"e_{c}", type_=LEDGER.c[c].type) for c in ENTRY_COLUMNS})
        .on_conflict_do_nothing()
        .returning(LEDGER.c.id, LEDGER.c.delta)
        .cte("entry")
    )
    now = bindparam("p_now", type_=UTCDateTime())
    # the upserts only run when the ledger row was new: their SELECT reads the CTE
    balance = postgresql.insert(MemberPoints.__table__).from_select(
        ["member_id", "total", "updated_at"],
        select(bindparam("e_member_id", type_=Integer()), ledger.c.delta, now),
    )
    balance = balance.on_conflict_do_update(
        index_elements=["member_id"],
        set_={
            "total": MemberPoints.__table__.c.total + balance.excluded.total,
            "updated_at": balance.excluded.updated_at,
        },
    ).cte("balance")
    kinds = period_rows()
    periods = postgresql.insert(MemberPointPeriod.__table__).from_select(
        PERIOD_COLUMNS,
        select(
            bindparam("e_member_id", type_=Integer()),
            kinds.c.kind,
            kinds.c.key,
            ledger.c.delta,
            bindparam("p_branch_id", type_=Integer()),
            bindparam("p_park_id", type_=Integer()),
            now,
        ).select_from(ledger.join(kinds, true())),
    )
    periods = period_upsert(periods).cte("periods")
    return select(ledger.c.id).add_cte(balance).add_cte(periods)


@functools.cache
def award_statements_sqlite():
    """SQLite has no writing CTEs: the ledger row, then the balance (the period totals are
    :func:`_periods_statement`); built once per process."""
    insert_entry = (
        sqlite.insert(LEDGER)
        .values({c: bindparam(f"e_{c}", type_=LEDGER.c[c].type) for c in ENTRY_COLUMNS})
        .on_conflict_do_nothing()
        .returning(LEDGER.c.id)
    )
    balance = MemberPoints.__table__
    points = bindparam("b_points", type_=Integer())
    now = bindparam("b_now", type_=UTCDateTime())
    add = sqlite.insert(balance).values(
        member_id=bindparam("b_member_id", type_=Integer()), total=points, updated_at=now
    )
    add = add.on_conflict_do_update(
        index_elements=["member_id"], set_={"total": balance.c.total + points, "updated_at": now}
    )
    return insert_entry, add
