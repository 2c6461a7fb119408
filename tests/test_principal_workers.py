"""The cached principal under several worker processes: a revoke, a deactivation or a role
withdrawn is refused on the very next request, whichever worker answers it.

A real gunicorn with 3 sync workers serves the test's database on a free port; requests are
sent in concurrent batches so that every worker answers (and caches) before the change.
Runs on SQLite and PostgreSQL, with and without Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app.extensions import db
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
BATCH = 24  # concurrent requests per round: more than the workers, so all of them answer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["no-redis", "redis"])
def app_config(request):
    """The test's app and the server share Redis (and a namespace of their own) or not."""
    if request.param == "no-redis":
        return {}
    return {"REDIS_URL": "redis://127.0.0.1:6379/15", "CACHE_KEY_PREFIX": f"t{uuid.uuid4().hex}:"}


@pytest.fixture
def server(app, database_url, tmp_path):
    """gunicorn, 3 workers, on this test's database and the test app's Redis settings."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_SECRET,
        "ENV_NAME": "testing",
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": app.config["REDIS_URL"],
        "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"],
    }
    db.session.commit()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 — closed after the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(
                "gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:]
            )
        time.sleep(0.2)
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def _round(base: str, path: str, headers: dict) -> list[int]:
    """BATCH concurrent GETs, each on its own connection; their status codes."""
    db.session.commit()  # the test's own session must not hold SQLite's write lock meanwhile

    def one(_):
        return requests.get(base + path, headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(BATCH) as pool:
        return list(pool.map(one, range(BATCH)))


def _login(base: str, username: str) -> dict:
    db.session.commit()
    r = requests.post(
        base + "/api/v1/auth/login",
        json={"username": username, "password": "password123"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_changes_bite_on_the_next_request_in_every_worker(server, park):
    from app.org.models import OrgRole

    # logout: the revoked token
    tokens = _login(server, "committee")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert _round(server, "/api/v1/me", headers) == [200] * BATCH  # every worker cached it
    db.session.commit()
    r = requests.post(server + "/api/v1/auth/logout", headers=headers, timeout=10)
    assert r.status_code == 204, r.text
    assert _round(server, "/api/v1/me", headers) == [401] * BATCH

    # deactivation, committed by another process (the console, a script), and back
    headers = park.headers.member_a
    assert _round(server, "/api/mp/v1/home", headers) == [200] * BATCH
    park.member_a.is_active = False
    db.session.commit()
    assert _round(server, "/api/v1/me", headers) == [401] * BATCH
    park.member_a.is_active = True
    db.session.commit()
    assert _round(server, "/api/v1/me", headers) == [200] * BATCH

    # a withdrawn role: staff routes refuse at once
    headers = park.headers.secretary_a
    assert _round(server, "/api/v1/audit-log", headers) == [200] * BATCH
    role = db.session.query(OrgRole).filter_by(member_id=park.secretary_a.id).one()
    db.session.delete(role)
    db.session.commit()
    assert _round(server, "/api/v1/audit-log", headers) == [403] * BATCH
