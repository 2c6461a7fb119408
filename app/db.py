"""Declarative base, the UTC timestamp type and engine tuning shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata names constraints predictably for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, aware, in UTC (used as a callable column default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in Python, naive UTC in the database on every engine."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store as naive UTC; naive input is refused because its zone is unknown."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        """Re-attach UTC on the way out."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout, NORMAL sync and foreign keys on every SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of failing with "database is locked" when a reader upgrades to a writer.
        # A read-only side connection may ask for DEFERRED: WAL lets it read beside a writer.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def read_beside_writers(session) -> None:
    """Start this request's transaction DEFERRED on SQLite: a pure read takes no write lock,
    so report and screen reads neither wait for nor hold up check-ins. No-op elsewhere."""
    current = session()  # the request's Session behind the scoped proxy
    if current.get_bind().dialect.name == "sqlite" and not current.in_transaction():
        current.connection(execution_options={"sqlite_begin": "DEFERRED"})
