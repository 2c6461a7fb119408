"""Reports on a real PostgreSQL streaming replica. The shared server's configuration is not
touched: the test set-up makes a primary of its own (initdb in a temp dir, its own port,
replication allowed on loopback), a standby from it with pg_basebackup on another port, and
removes both afterwards. Replay is paused on the standby to make its data visibly older."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.db import replica_status
from app.extensions import db
from app.members.models import Member
from tests.conftest import TEST_SECRET, _migrate, make_test_app

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root, run the server as the postgres user
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], **kw) -> None:
    subprocess.run(_as_postgres(cmd), check=True, capture_output=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def replica_pair():
    """(primary URL, replica URL) of a primary and a streaming standby owned by this module."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"replica tests skipped: no PostgreSQL binaries in {PG_BIN} (set PG_BIN)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("replica tests skipped: running as root without runuser")
    base = Path(tempfile.mkdtemp(prefix="party-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary, standby = base / "primary", base / "standby"
    p1, p2 = _free_port(), _free_port()
    started: list[Path] = []
    try:
        _run([str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
        # initdb's pg_hba.conf already lets trust users replicate over 127.0.0.1
        settings = (
            f"port = {p1}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nfsync = off\nshared_buffers = 32MB\n"
            "hot_standby = on\n"
        )
        _run(["sh", "-c", f"cat >> {primary}/postgresql.conf"], input=settings.encode())
        _run([str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", str(base / "primary.log"),
              "-w", "start"])  # fmt: skip
        started.append(primary)
        _run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
              "party"])  # fmt: skip
        _run([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
              "-D", str(standby), "-R", "-X", "stream", "--no-sync",
              "--checkpoint=fast"])  # fmt: skip
        _run([str(PG_BIN / "pg_ctl"), "-D", str(standby), "-l", str(base / "standby.log"),
              "-o", f"-p {p2}", "-w", "start"])  # fmt: skip
        started.append(standby)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        for data in reversed(started):
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                                         "immediate", "stop"]), capture_output=True)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"replica tests skipped: could not start a primary and a standby ({exc}: "
                    f"{detail.decode(errors='replace')[-300:]})")  # fmt: skip
    primary_url = f"postgresql://postgres@127.0.0.1:{p1}/party"
    replica_url = f"postgresql://postgres@127.0.0.1:{p2}/party"
    try:
        _migrate(make_test_app(primary_url))
        yield primary_url, replica_url
    finally:
        for data in reversed(started):
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def app(replica_pair, fake_wechat):
    """The app with DATABASE_REPLICA_URL set, on the module's primary (emptied after)."""
    primary_url, replica_url = replica_pair
    application = make_test_app(
        primary_url,
        DATABASE_REPLICA_URL=replica_url,
        WECHAT_APPID=fake_wechat.appid,
        WECHAT_SECRET=fake_wechat.secret,
        WECHAT_API_BASE=fake_wechat.base_url,
    )
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            names = conn.execute(
                text(
                    "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalar()
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()
        application.extensions["replica_engine"].dispose()


def _replica_admin(replica_url: str, sql: str) -> None:
    engine = create_engine(replica_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _caught_up(client, headers, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fresh = client.get("/api/v1/reports/freshness", headers=headers).json
        if fresh["lag_bytes"] == 0:
            return fresh
        time.sleep(0.1)
    raise AssertionError(f"replica did not catch up: {fresh}")


def _names(client, headers, org_id) -> set[str]:
    r = client.get(f"/api/v1/reports/members?org_id={org_id}", headers=headers)
    assert r.status_code == 200, r.json
    return {row["name"] for row in r.json["rows"]}


def test_reports_read_the_replica_and_writes_stay_on_the_primary(app, client, park, replica_pair):
    _, replica_url = replica_pair
    staff, branch = park.headers.secretary_a, park.branch_a.id
    fresh = _caught_up(client, staff)
    assert fresh["source"] == "replica" and fresh["replica"] == "ok"
    assert fresh["lag_seconds"] == 0
    assert "张三" in _names(client, staff, branch)

    _replica_admin(replica_url, "SELECT pg_wal_replay_pause()")
    try:
        newcomer = Member(name="新来的党员", status="full", org_id=branch)
        db.session.add(newcomer)
        db.session.commit()
        time.sleep(0.3)
        # the report (and its export) comes from the paused replica: no newcomer yet
        assert "新来的党员" not in _names(client, staff, branch)
        csv = client.get(f"/api/v1/reports/members?org_id={branch}&format=csv", headers=staff)
        assert csv.status_code == 200 and "张三" in csv.text and "新来的党员" not in csv.text
        behind = client.get("/api/v1/reports/freshness", headers=staff).json
        assert behind["lag_bytes"] > 0 and behind["lag_seconds"] > 0
        assert client.get("/readyz").json["replica_lag_seconds"] > 0
        # everything else reads the primary: the member page sees the newcomer at once
        page = client.get(f"/api/v1/members/{newcomer.id}", headers=staff)
        assert page.status_code == 200 and page.json["name"] == "新来的党员"
        # a write under /reports goes to the primary (the replica would refuse it)
        stars = client.put(
            f"/api/v1/reports/stars/{branch}",
            json={"year": 2026, "stars": 8, "reason": "评定"},
            headers=park.headers.committee,
        )
        assert stars.status_code == 200, stars.json
    finally:
        _replica_admin(replica_url, "SELECT pg_wal_replay_resume()")
    _caught_up(client, staff)
    assert "新来的党员" in _names(client, staff, branch)


def test_a_replica_that_is_down_leaves_reports_on_the_primary(replica_pair, fake_wechat):
    primary_url, _ = replica_pair
    closed = f"postgresql://postgres@127.0.0.1:{_free_port()}/party"
    application = make_test_app(primary_url, DATABASE_REPLICA_URL=closed, SECRET_KEY=TEST_SECRET)
    with application.app_context():
        assert replica_status() == {"source": "replica", "replica": "down"}
        from app.db import use_replica

        assert use_replica(db.session) is False  # unreachable: stay on the primary
        assert db.session.get_bind() is db.engine
        db.session.remove()
        db.engine.dispose()


def test_without_a_replica_reports_read_the_primary():
    application = make_test_app("sqlite://")
    with application.app_context():
        assert replica_status() == {"source": "primary", "replica": "absent"}
