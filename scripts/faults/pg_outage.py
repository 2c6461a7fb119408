"""Fault run: PostgreSQL stopped (immediate) in the middle of a check-in load, then started.

Checks that requests fail fast with the 503 envelope instead of hanging, that the app
recovers without a restart (pool_pre_ping), and that every check-in answered 201/200 is in
the database afterwards, none twice, each with one points award.

It stops the machine's PostgreSQL server for a few seconds: run it alone
(`scripts/faults.sh`), never beside the test suite. It uses its own database, party_faults.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
ADMIN = os.environ.get("FAULTS_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_URL = ADMIN.rsplit("/", 1)[0] + "/party_faults"
MEMBERS = int(os.environ.get("FAULTS_MEMBERS", "1000"))
THREADS = 8
OUTAGE_AT, OUTAGE_SECONDS, DEADLINE = 1.0, 5.0, 120.0


def cluster() -> str:
    """The PostgreSQL version directory, for pg_ctlcluster."""
    return sorted(os.listdir("/etc/postgresql"))[-1]


def pg(action: str) -> None:
    """Stop (immediate) or start the server."""
    args = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", action]
    if action == "stop":
        args += ["-m", "immediate"]
    subprocess.run(args, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict) -> tuple[int, str, list[tuple[int, str]]]:
    """A fresh migrated database with one open activity and N members; their tokens."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS party_faults WITH (FORCE)")
        conn.execute("CREATE DATABASE party_faults")
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    from flask_jwt_extended import create_access_token

    from app.activities import tokens
    from app.activities.models import Activity
    from app.extensions import db
    from app.members.models import Member
    from app.org.models import Organization
    from app.timeutil import utcnow
    from wsgi import make_app

    app = make_app()
    with app.app_context():
        park = Organization(name="故障演练园区", type="general_committee", depth=0)
        db.session.add(park)
        db.session.flush()
        park.path = f"/{park.id}/"
        branch = Organization(name="演练支部", type="branch", parent_id=park.id, depth=1)
        db.session.add(branch)
        db.session.flush()
        branch.path = f"{park.path}{branch.id}/"
        members = [Member(name=f"党员{i}", status="full", org_id=branch.id) for i in range(MEMBERS)]
        db.session.add_all(members)
        now = utcnow()
        start = now + timedelta(minutes=5)
        activity = Activity(
            org_id=branch.id,
            type="theme_day",
            title="故障演练主题党日",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            checkin_opens_before_minutes=30,
            checkin_closes_after_minutes=30,
            late_after_minutes=5,
            checkin_opens_at=start - timedelta(minutes=30),
            checkin_closes_at=start + timedelta(minutes=30),
            status="published",
            published_at=now,
        )
        db.session.add(activity)
        db.session.commit()
        token = tokens.checkin_token(activity.id, tokens.window_of(now))
        bearer = [(m.id, create_access_token(identity=f"m:{m.id}")) for m in members]
        activity_id = activity.id
    return activity_id, token, bearer


def main() -> int:
    """Run the outage and print what happened; exit 1 when a promise was broken."""
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "ENV_NAME": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_ENABLED": "false",
        "QR_ROTATE_SECONDS": "3600",  # one token for the whole run
        "LOG_LEVEL": "ERROR",
    }
    activity_id, token, bearer = prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    results: list[dict] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    pending = list(bearer)

    def worker() -> None:
        session = requests.Session()
        while time.monotonic() - t0 < DEADLINE:
            with lock:
                if not pending:
                    return
                member_id, access = pending.pop(0)
            started = time.monotonic()
            try:
                r = session.post(
                    f"{base}/api/v1/checkins",
                    json={"token": token},
                    headers={"Authorization": f"Bearer {access}"},
                    timeout=15,
                )
                status = r.status_code
                code = (r.json().get("error") or {}).get("code") if status >= 400 else None
            except requests.RequestException as exc:
                status, code = 0, type(exc).__name__
            took = time.monotonic() - started
            with lock:
                results.append(
                    {
                        "member": member_id,
                        "status": status,
                        "code": code,
                        "t": round(started - t0, 3),
                        "took": round(took, 3),
                    }
                )
                if status not in (200, 201):
                    pending.append((member_id, access))  # retry later, as a phone would
            time.sleep(0.02)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(OUTAGE_AT)
    pg("stop")
    down_at = time.monotonic() - t0  # the server is gone from here …
    time.sleep(OUTAGE_SECONDS)
    up_from = time.monotonic() - t0
    pg("start")
    up_at = time.monotonic() - t0  # … and accepts connections again from here
    for t in threads:
        t.join()
    server.terminate()
    server.wait(10)

    with psycopg.connect(DB_URL) as conn:
        rows = conn.execute(
            "SELECT member_id, count(*) FROM attendances WHERE activity_id = %s GROUP BY member_id",
            (activity_id,),
        ).fetchall()
        awards = conn.execute(
            "SELECT count(*) FROM point_ledger WHERE source_type = 'activity' AND source_id = %s",
            (activity_id,),
        ).fetchone()[0]
    stored = {m: n for m, n in rows}
    answered = {r["member"] for r in results if r["status"] in (200, 201)}
    during = [r for r in results if down_at <= r["t"] and r["t"] + r["took"] <= up_from]
    # from the moment the start command runs: pool_pre_ping reconnects without an app restart
    after = [r for r in results if r["t"] >= up_from and r["status"] in (200, 201)]
    summary = {
        "members": MEMBERS,
        "requests": len(results),
        "statuses": dict(Counter(f"{r['status']} {r['code'] or ''}".strip() for r in results)),
        "server_down_seconds": round(up_at - down_at, 2),
        "during_outage_max_latency_s": max((r["took"] for r in during), default=None),
        "during_outage_statuses": dict(Counter(r["status"] for r in during)),
        "first_success_after_restart_s": round(min(r["t"] for r in after) - up_from, 2)
        if after
        else None,
        "answered_2xx": len(answered),
        "stored_rows": len(stored),
        "duplicated_rows": sum(1 for n in stored.values() if n > 1),
        "points_awards": awards,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    broken = []
    if answered - set(stored):
        broken.append("a check-in answered 2xx is missing from the database")
    if summary["duplicated_rows"] or awards != len(stored):
        broken.append("a check-in or award was stored twice")
    if any(r["status"] not in (0, 503) for r in during):
        broken.append("while the server was down a request got something other than 503")
    if (summary["during_outage_max_latency_s"] or 0) > 8:
        broken.append("requests hung during the outage")
    if not after:
        broken.append("nothing succeeded after the restart: the app did not recover")
    if len(answered) != MEMBERS:
        broken.append("not every member got checked in after the restart")
    for problem in broken:
        print("BROKEN:", problem)
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS party_faults WITH (FORCE)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
