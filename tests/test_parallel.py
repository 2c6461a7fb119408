"""The suite in parallel (issue 17): every worker has its own PostgreSQL database, and a run
that was killed leaves nothing the next run does not clean up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import (
    PG_URL,
    _drop_stale_pg_databases,
    _pg_admin,
    _pg_prefix,
    _pg_test_url,
)

pytestmark = pytest.mark.postgres


def _databases() -> set[str]:
    import psycopg

    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


@pytest.fixture
def pg_admin():
    if not PG_URL:
        pytest.skip("PostgreSQL tests skipped: set TEST_DATABASE_URL")


def test_each_test_process_names_its_own_database(pg_admin):
    assert _pg_test_url().endswith(f"/{_pg_prefix()}{os.getpid()}")


def test_a_dead_runs_database_is_dropped_and_a_live_ones_kept(pg_admin):
    # a process that has ended: its pid names the database a killed run would leave behind
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{_pg_prefix()}{int(gone.stdout)}"
    live = f"{_pg_prefix()}{os.getppid()}"  # our parent lives (pytest's launcher or a shell)
    existed = live in _databases()
    _pg_admin(f'DROP DATABASE IF EXISTS "{dead}"', f'CREATE DATABASE "{dead}"')
    if not existed:
        _pg_admin(f'CREATE DATABASE "{live}"')
    try:
        dropped = _drop_stale_pg_databases()
        assert dead in dropped and dead not in _databases()
        assert live not in dropped and live in _databases()
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{dead}"')
        if not existed:
            _pg_admin(f'DROP DATABASE IF EXISTS "{live}"')
