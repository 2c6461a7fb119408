"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_pragmas_are_on(app, backend):
    if backend != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0


def test_downgrade_to_base_and_back(app, backend):
    if backend != "sqlite":
        return  # PostgreSQL shares one migrated database across the session
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "members" in inspect(db.engine).get_table_names()


def test_a_read_beside_writers_takes_no_write_lock_on_sqlite(app, backend, park):
    """A report read holds a DEFERRED transaction, so a check-in's write goes through at once."""
    if backend != "sqlite":
        return
    from app.db import read_beside_writers

    member_id = park.member_a.id
    db.session.rollback()  # the fixtures' reads left a transaction open
    read_beside_writers(db.session)
    assert db.session.execute(text("SELECT count(*) FROM members")).scalar() > 0
    with db.engine.connect() as other:
        # on the raw connection: a statement through SQLAlchemy would BEGIN first
        other.connection.driver_connection.execute("PRAGMA busy_timeout=200")
        other.execute(text("UPDATE members SET gender = 'male' WHERE id = :id"), {"id": member_id})
        other.commit()  # with an IMMEDIATE read open, this would wait and fail: database is locked
    db.session.rollback()


def test_ordinary_transactions_take_the_write_lock_up_front_on_sqlite(app, backend, park):
    """The default stays BEGIN IMMEDIATE: writers queue instead of failing mid-transaction."""
    if backend != "sqlite":
        return
    from sqlalchemy.exc import OperationalError

    db.session.rollback()  # the fixtures' reads left a transaction open
    db.session.execute(text("SELECT 1"))  # an ordinary request's transaction has begun
    with db.engine.connect() as other:
        other.connection.driver_connection.execute("PRAGMA busy_timeout=100")
        try:
            other.execute(text("UPDATE members SET gender = 'male'"))
            other.commit()
            locked = False
        except OperationalError:
            locked = True
    db.session.rollback()
    assert locked
