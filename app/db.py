"""Declarative base, the UTC timestamp type, engine tuning and the read-replica routing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
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


def core_execute(session, statement, params: dict):
    """Run a prebuilt Core statement on the session's connection, flushing first as the ORM's
    autoflush would: the ORM's own execute adds entity machinery that a hot path's plain rows
    do not need (a third of a cache-hit statement's CPU)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, params)


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


# ------------------------------------------------ read replica (DATABASE_REPLICA_URL)

REPLICA_ENGINE = "replica_engine"  # app.extensions key: the replica's Engine, when configured


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, which sends the reads of a session marked by `use_replica`
    to the streaming replica. Writes — and every statement after the first write, so that a
    request reads its own writes — go to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The replica for a marked session's reads; the primary otherwise."""
        if bind is None and self.info.get("replica") and not self.info.get("wrote"):
            if self._flushing or (clause is not None and getattr(clause, "is_dml", False)):
                self.info["wrote"] = True  # from now on this session reads the primary
            else:
                replica = current_app.extensions.get(REPLICA_ENGINE)
                if replica is not None:
                    return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def use_replica(session) -> bool:
    """Send this request's further reads to the replica, when one is configured."""
    replica = current_app.extensions.get(REPLICA_ENGINE)
    if replica is None:
        return False
    try:  # a pooled connection, pinged: a replica that is down leaves reports on the primary
        replica.connect().close()
    except SQLAlchemyError:
        logging.getLogger(__name__).warning("replica unreachable: reports read the primary")
        return False
    current = session()  # the request's Session behind the scoped proxy
    current.info["replica"] = True
    return True


def init_replica(app, engine_options: dict) -> None:
    """Create the replica's engine from DATABASE_REPLICA_URL (PostgreSQL only)."""
    url = app.config.get("DATABASE_REPLICA_URL") or ""
    app.extensions[REPLICA_ENGINE] = None
    if not url:
        return
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql"):
        raise RuntimeError("DATABASE_REPLICA_URL must name a PostgreSQL streaming replica")
    app.extensions[REPLICA_ENGINE] = create_engine(url, **engine_options)

    @app.teardown_request
    def _back_to_primary(_exc=None):
        # the session may outlive the request (an app context pushed around several); the
        # extension is looked up on the app, since app.extensions builds on this module
        db = current_app.extensions["sqlalchemy"]
        if db.session.registry.has():
            db.session().info.pop("replica", None)
            db.session().info.pop("wrote", None)


def replica_status() -> dict:
    """How fresh the replica is: replay time, bytes behind the primary, seconds behind."""
    replica = current_app.extensions.get(REPLICA_ENGINE)
    if replica is None:
        return {"source": "primary", "replica": "absent"}
    try:
        with replica.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT pg_is_in_recovery() AS standby, pg_last_xact_replay_timestamp() AS at,"
                    " pg_last_wal_replay_lsn()::text AS lsn, now() AS now"
                )
            ).one()
    except SQLAlchemyError:
        return {"source": "replica", "replica": "down"}
    behind = None
    if row.lsn is not None:
        primary = current_app.extensions["sqlalchemy"].engine  # never the routed session
        with primary.connect() as conn:
            behind = conn.scalar(
                text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:lsn AS pg_lsn))"),
                {"lsn": row.lsn},
            )
    # Replay time only moves when the primary commits: an idle primary with a replica that
    # has replayed everything is 0 seconds behind, however old its last transaction is.
    caught_up = behind is not None and behind <= 0
    lag = 0.0 if caught_up or row.at is None else (row.now - row.at).total_seconds()
    return {
        "source": "replica",
        "replica": "ok" if row.standby else "not_standby",
        "replay_at": row.at.astimezone(UTC) if row.at else None,
        "lag_bytes": max(int(behind), 0) if behind is not None else None,
        "lag_seconds": round(max(lag, 0.0), 3),
    }
