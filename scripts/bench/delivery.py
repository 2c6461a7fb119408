"""Delivery benchmark (issue 22): drain N due pushes through a loopback fake WeChat that
answers each send after 50 ms and fails a share of them with errcode -1 (busy, retried later).

Modes, each on the same freshly reset backlog in a PostgreSQL database of its own
(`party_bench_delivery` on BENCH_PG_ADMIN; created and dropped here):
  inprocess-T  one process, T threads each calling the push path on its share of the ids
               (T=1 is the embedded default: the scheduler pushes one row at a time)
  queue-W      W `flask --app wsgi run-push-worker` processes (Celery, threads pool,
               --concurrency C) on BROKER_URL; the scheduler's dispatch hands the rows out

Drain time = from the dispatch (or the threads' start) until no row is queued, sending or
pending for its first attempt; rows that failed with "busy" wait for their retry (2 minutes
later, as in production) and are counted, not waited for. Every run checks the fake's log:
no openid may receive the message twice. Prints a JSON document and a Markdown table.

    .venv/bin/python scripts/bench/delivery.py --messages 2000 --modes inprocess-1,queue-1,queue-4
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "party_bench_delivery"  # the only database this script creates or drops
TEMPLATE = "TPL-BENCH"


def pg_url(name: str) -> str:
    """The admin URL with another database name."""
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def recreate_database() -> str:
    """Drop and create the benchmark's own database; returns its URL."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return pg_url(DB_NAME)


def drop_database() -> None:
    """Remove the benchmark's database."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def make_app(url: str, fake, broker: str, queue: str, **extra):
    """The app as the scheduler runs it, pointed at the fake and the broker."""
    from wsgi import make_app as wsgi_app

    return wsgi_app(
        {
            "DATABASE_URL": url,
            "WECHAT_APPID": fake.appid,
            "WECHAT_SECRET": fake.secret,
            "WECHAT_API_BASE": fake.base_url,
            "WECHAT_TEMPLATES": {"morning_brief": TEMPLATE},
            "QUIET_HOURS_START": 24,
            "QUIET_HOURS_END": 0,
            "BROKER_URL": broker,
            "PUSH_QUEUE": queue,
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )


def seed(members: int) -> None:
    """One branch of `members` members, each with an openid (no backlog yet)."""
    from app.extensions import db
    from app.members.models import Member
    from app.org.models import Organization

    org = Organization(name="基准支部", type="branch", build_mode="standalone", depth=0)
    db.session.add(org)
    db.session.flush()
    org.path = f"/{org.id}/"
    db.session.add_all(
        Member(name=f"党员{i}", status="full", org_id=org.id, openid=f"bench-{i}")
        for i in range(members)
    )
    db.session.commit()


def reset_backlog(run: str, size: int) -> int:
    """Empty the inbox, give everybody one consent, and write one due reminder to `size`."""
    from sqlalchemy import select, text

    from app.extensions import db
    from app.members.models import Member
    from app.notify.services import Reminder, write_reminder

    db.session.execute(text("TRUNCATE push_attempts, notifications, subscription_credits"))
    db.session.execute(
        text(
            "INSERT INTO subscription_credits (member_id, template_id, credits, updated_at) "
            "SELECT id, :t, 1, now() FROM members"
        ),
        {"t": TEMPLATE},
    )
    ids = list(db.session.scalars(select(Member.id).order_by(Member.id).limit(size)))
    now = datetime.now(UTC)
    added = write_reminder(
        Reminder("morning_brief", f"bench:{run}", now.date(), "晨会5分钟", member_ids=ids),
        now - timedelta(seconds=1),
    )
    db.session.commit()
    return added


def remaining() -> int:
    """Rows still waiting for their first attempt, queued or in flight."""
    from sqlalchemy import text

    from app.extensions import db

    n = db.session.execute(
        text(
            "SELECT count(*) FROM notifications WHERE push_status IN ('queued', 'sending') "
            "OR (push_status = 'pending' AND push_attempts = 0)"
        )
    ).scalar()
    db.session.rollback()
    return n


def outcome() -> dict[str, int]:
    """Rows per status (a 'pending' row with attempts has a retry scheduled)."""
    from sqlalchemy import text

    from app.extensions import db

    rows = db.session.execute(
        text("SELECT push_status, count(*) FROM notifications GROUP BY push_status")
    ).all()
    db.session.rollback()
    return {status: count for status, count in rows}


def run_inprocess(app, threads: int) -> float:
    """T threads in this process, each pushing its share of the due rows; seconds to drain."""
    from app.notify.push import due_ids, push_ids
    from app.timeutil import utcnow

    ids = due_ids(utcnow(), 10**9)
    shares = [ids[i::threads] for i in range(threads)]

    def work(share: list[int]) -> None:
        with app.app_context():
            push_ids(app.extensions["wechat"], share, utcnow)

    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(share,)) for share in shares]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - t0


def start_workers(count: int, env: dict[str, str], concurrency: int, logdir: Path) -> list:
    """`count` worker processes, returned once each has said it is ready."""
    procs = []
    for i in range(count):
        log = logdir / f"worker-{i}.log"
        out = open(log, "wb")  # noqa: SIM115 — kept open for the process's lifetime
        procs.append(
            (
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", "flask", "--app", "wsgi", "run-push-worker"),
                        f"--concurrency={concurrency}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
                log,
            )
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all(b"ready." in log.read_bytes() for _, log in procs):
            return procs
        time.sleep(0.5)
    raise RuntimeError("workers did not start: see " + str(logdir))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds() -> float:
    """CPU seconds of the PostgreSQL backends serving this benchmark's database (same host)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)
            )
        ]
    total = 0.0
    for pid in pids:
        # a backend that ended meanwhile (or a server on another host) has no /proc entry
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(pid)
    return total


def stop_workers(procs) -> None:
    """TERM each worker's process group, then wait."""
    for proc, _ in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc, _ in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def run_queue(app, count: int, env, concurrency: int, logdir: Path) -> tuple[float, ...]:
    """W worker processes drain the dispatched backlog: drain and dispatch seconds, and the
    CPU seconds of the workers and of PostgreSQL backends serving the database meanwhile."""
    from app.notify.tasks import dispatch_due
    from app.timeutil import utcnow

    procs = start_workers(count, env, concurrency, logdir)
    try:
        cpu0, pg0 = sum(cpu_seconds(p.pid) for p, _ in procs), backend_cpu_seconds()
        t0 = time.perf_counter()
        dispatch_due(app.extensions["celery"], utcnow())
        dispatched = time.perf_counter() - t0
        while remaining():
            time.sleep(0.2)
        drained = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) for p, _ in procs) - cpu0
        return drained, dispatched, cpu, backend_cpu_seconds() - pg0
    finally:
        stop_workers(procs)


@click.command()
@click.option("--messages", default=2000, show_default=True, help="due pushes per run")
@click.option(
    "--modes", default="inprocess-1,inprocess-8,queue-1,queue-4,queue-8", show_default=True
)
@click.option("--concurrency", default=8, show_default=True, help="threads per worker process")
@click.option("--latency", default=0.05, show_default=True, help="fake WeChat seconds per send")
@click.option("--error-rate", default=0.01, show_default=True, help="share answered -1 busy")
@click.option("--broker", default="redis://127.0.0.1:6379/14", show_default=True)
@click.option("--inprocess-messages", type=int, help="fewer messages for inprocess-1 (slow)")
@click.option("--keep", is_flag=True, help="keep the database afterwards")
def main(messages, modes, concurrency, latency, error_rate, broker, inprocess_messages, keep):
    """Run every mode on the same backlog and print the drain times."""
    from tests.fake_wechat import FakeWeChat

    fake = FakeWeChat().start()
    fake.latency_seconds = latency
    fake.error_rate = error_rate
    queue = f"push-bench-{os.getpid()}"
    url = recreate_database()
    logdir = ROOT / "scripts" / "bench" / "out" / f"delivery-{os.getpid()}"
    logdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        app = make_app(url, fake, broker, queue)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            seed(max(messages, inprocess_messages or 0))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "WECHAT_APPID": fake.appid,
            "WECHAT_SECRET": fake.secret,
            "WECHAT_API_BASE": fake.base_url,
            "WECHAT_TEMPLATES": json.dumps({"morning_brief": TEMPLATE}),
            "BROKER_URL": broker,
            "PUSH_QUEUE": queue,
            "LOG_LEVEL": "WARNING",
        }
        for mode in modes.split(","):
            kind, _, n = mode.partition("-")
            n = int(n)
            size = (
                inprocess_messages
                if (kind == "inprocess" and n == 1 and inprocess_messages)
                else messages
            )
            with app.app_context():
                reset_backlog(mode, size)
                fake.sent.clear()
                fake.sent_at.clear()
                load = os.getloadavg()[0]
                dispatch = worker_cpu = pg_cpu = None
                if kind == "inprocess":
                    seconds = run_inprocess(app, n)
                else:
                    seconds, dispatch, worker_cpu, pg_cpu = run_queue(
                        app, n, env, concurrency, logdir
                    )
                status = outcome()
            sent = [m["touser"] for m in fake.sent]
            row = {
                "mode": mode,
                "messages": size,
                "senders": n if kind == "inprocess" else n * concurrency,
                "seconds": round(seconds, 2),
                "per_second": round(size / seconds, 1),
                "dispatch_seconds": round(dispatch, 2) if dispatch is not None else None,
                "sent": len(sent),
                "duplicates": len(sent) - len(set(sent)),
                "retry_scheduled": status.get("pending", 0),
                "status": status,
                "worker_cpu_ms_per_message": round(1000 * worker_cpu / size, 2)
                if worker_cpu is not None
                else None,
                "pg_cpu_ms_per_message": round(1000 * pg_cpu / size, 2)
                if pg_cpu is not None
                else None,
                "load_before": round(load, 2),
            }
            results.append(row)
            click.echo(json.dumps(row), err=True)
    finally:
        fake.stop()
        from tests.test_push_queue import drop_queue

        drop_queue(broker, queue)
        if not keep:
            drop_database()
    click.echo(json.dumps({"latency": latency, "error_rate": error_rate, "runs": results}))
    click.echo(
        "\n| mode | messages | sending threads | drain s | msgs/s | worker CPU ms/msg "
        "| PostgreSQL CPU ms/msg | busy → retry | duplicates | load |"
    )
    click.echo("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        click.echo(
            f"| {r['mode']} | {r['messages']:,} | {r['senders']} | {r['seconds']} | "
            f"{r['per_second']} | {r['worker_cpu_ms_per_message'] or '—'} | "
            f"{r['pg_cpu_ms_per_message'] or '—'} | {r['retry_scheduled']} | "
            f"{r['duplicates']} | {r['load_before']} |"
        )


if __name__ == "__main__":
    main()
