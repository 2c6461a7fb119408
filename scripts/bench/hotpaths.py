"""The hot paths in-process: statements and this process's CPU per request, ÷ /healthz.

    .venv/bin/python scripts/bench/hotpaths.py [--members 600] [--rounds 3] [--tree DIR]

Builds a park (1 committee, 6 branches, --members members, a default point-rule set and one
open meeting) in a fresh PostgreSQL database `party_bench_hot`, then calls each hot path
through the Flask test client as distinct members: first check-ins, repeats, /me, home,
points/me, the park leaderboard and the QR PNG. For every scenario it reports the median
over --rounds of: process CPU per request (time.process_time: the app, SQLAlchemy and the
driver), statements per request (SQLAlchemy cursor events), the ratio to /healthz measured
in the same run, and the PostgreSQL backends' own CPU per request (their schedstat).

`--tree DIR` runs the same measurement against another checkout of the app (for example
the tree before a change, from `git archive`), so before and after use one method.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import psycopg

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "party_bench_hot"  # the only database this script creates or drops


def _recreate() -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME


def _build(app, db, members: int):
    """The park, its members and tokens, and one open meeting of the whole park."""
    from flask_jwt_extended import create_access_token

    from app.activities.models import Activity
    from app.members.models import Member
    from app.org.models import Organization
    from app.points.services import ensure_default_rules

    def org(name, type_, parent=None):
        row = Organization(
            name=name,
            type=type_,
            parent_id=parent.id if parent else None,
            build_mode="standalone" if type_ == "branch" else None,
            depth=parent.depth + 1 if parent else 0,
        )
        db.session.add(row)
        db.session.flush()
        row.path = f"{parent.path if parent else '/'}{row.id}/"
        return row

    work = org("管委会党工委", "work_committee")
    park = org("园区综合党委", "general_committee", work)
    branches = [org(f"第{i}支部", "branch", park) for i in range(6)]
    rows = [
        Member(name=f"党员{i}", status="full", phone=f"139{i:08d}", org_id=branches[i % 6].id)
        for i in range(members)
    ]
    db.session.add_all(rows)
    ensure_default_rules()
    now = datetime.now(UTC)
    meeting = Activity(
        org_id=park.id,
        type="party_lecture",
        title="党课",
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=10,
        checkin_opens_at=now - timedelta(minutes=20),
        checkin_closes_at=now + timedelta(minutes=40),
        status="published",
    )
    db.session.add(meeting)
    # the morning brief every member's home shows, as in the city at 07:30
    from app.study.models import StudyItem, StudyItemTag

    brief = StudyItem(
        kind="morning_brief",
        title="早学5分钟",
        summary="今日学习要点",
        body="正文" * 200,
        org_id=park.id,
        publish_at=now - timedelta(minutes=5),
        minutes=5,
        tag_rows=[StudyItemTag(tag="党章", position=0), StudyItemTag(tag="早学", position=1)],
    )
    db.session.add(brief)
    db.session.commit()
    tokens = [create_access_token(identity=f"m:{m.id}") for m in rows]
    from app.accounts.services import create_user
    from app.org.models import OrgRole

    staff = create_user("bench_park", "password123", display_name="园区")
    db.session.flush()
    db.session.add(OrgRole(org_id=park.id, role="secretary", user_id=staff.id))
    db.session.commit()
    return meeting.id, brief.id, tokens, create_access_token(identity=f"u:{staff.id}")


LONG: dict[str, tuple[int, int]] = {}  # statements psycopg will not cache: (bytes, params)


def _pg_cpu_ns() -> int:
    """CPU nanoseconds used so far by the PostgreSQL backends serving the bench database
    (/proc/<pid>/schedstat: exact, where /proc/<pid>/stat counts 10 ms ticks)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        pids = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)
            )
        ]
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):  # a backend that just ended
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    return total


def _measure(client, engine, requests_):
    """(CPU ms per request, statements per request, PostgreSQL CPU ms per request) over a
    list of (method, path, kw)."""
    from sqlalchemy import event

    count = [0]

    def before(_conn, _cursor, statement, params, *_rest):
        count[0] += 1
        # psycopg re-parses (no cache) a query over 4,096 bytes or with over 50 parameters
        if len(statement) > 4096 or (params is not None and len(params) > 50):
            LONG[statement[:60]] = (len(statement), len(params or ()))

    event.listen(engine, "before_cursor_execute", before)
    pg = _pg_cpu_ns()
    start = time.process_time()
    for method, path, kw in requests_:
        response = client.open(path, method=method, **kw)
        if response.status_code >= 400:
            raise click.ClickException(f"{method} {path}: {response.status_code} {response.json}")
    cpu = time.process_time() - start
    pg = _pg_cpu_ns() - pg
    event.remove(engine, "before_cursor_execute", before)
    n = len(requests_)
    return cpu * 1000 / n, count[0] / n, pg / 1e6 / n


@contextlib.contextmanager
def _profiled(on: bool, which: str, name: str):
    """Profile the block: cProfile (stdlib, top 35 by own time) or pyinstrument's tree."""
    if not on:
        yield
        return
    if which == "pyinstrument":
        from pyinstrument import Profiler  # scripts/bench/requirements.txt

        profiler = Profiler(interval=0.0005)
        profiler.start()
        yield
        profiler.stop()
        sys.stderr.write(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for PostgreSQL
    profiler.enable()
    yield
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(45)
    sys.stderr.write(f"==== {name}\n{out.getvalue()}")


@click.command()
@click.option("--members", default=600, show_default=True)
@click.option("--rounds", default=3, show_default=True)
@click.option("--tree", type=click.Path(exists=True, file_okay=False), default=None)
@click.option("--profile", default="", help="scenarios (comma-separated) to profile, last round")
@click.option(
    "--profiler",
    type=click.Choice(["cprofile", "pyinstrument"]),
    default="cprofile",
    show_default=True,
)
@click.option("--only", default="", help="run only these scenarios (comma-separated)")
@click.option(
    "--redis",
    default="",
    help="REDIS_URL for the run (as in production: versions, principals and QR shared there)",
)
def main(
    members: int, rounds: int, tree: str | None, profile: str, profiler: str, only: str, redis: str
) -> None:
    """Measure and print a JSON summary (see the module docstring)."""
    root = Path(tree or Path(__file__).resolve().parents[2])
    sys.path.insert(0, str(root))
    os.chdir(root)
    url = _recreate()
    os.environ.update(
        DATABASE_URL=url,
        ENV_NAME="testing",
        SECRET_KEY=secrets.token_urlsafe(36),
        JWT_SECRET_KEY=secrets.token_urlsafe(36),
        QR_ROTATE_SECONDS="600",  # one code for the whole run (this is not a rotation test)
        RATELIMIT_ENABLED="false",
        LOG_LEVEL="ERROR",
        REDIS_URL=redis,
        CACHE_KEY_PREFIX=f"hot{secrets.token_hex(4)}:",  # a fresh namespace per run
    )
    from flask_migrate import upgrade

    from app.activities import tokens as qr_tokens
    from app.extensions import db
    from wsgi import make_app

    app = make_app({"JWT_ACCESS_MINUTES": 120})
    with app.app_context():
        upgrade()
        meeting, brief, tokens, staff = _build(app, db, members)
        engine = db.engine
    client = app.test_client()
    third = members // 3
    groups = [tokens[i * third : (i + 1) * third] for i in range(3)]

    def bearer(token):
        return {"headers": {"Authorization": f"Bearer {token}"}}

    def checkin(group):
        with app.app_context():
            code = qr_tokens.checkin_token(meeting, qr_tokens.window_of(datetime.now(UTC)))
        return [("POST", "/api/v1/checkins", {"json": {"token": code}, **bearer(t)}) for t in group]

    def each(path, group):
        return [("GET", path, bearer(t)) for t in group]

    def posts(path, group):
        return [("POST", path, {"json": {}, **bearer(t)}) for t in group]

    board = "/api/v1/points/leaderboard?scope=park&period=month"
    results: dict[str, list[tuple[float, float, float]]] = {}
    for r in range(rounds):
        group = groups[r % 3]
        # me_first warms this worker's caches for the member, as any earlier request would
        for name, reqs in (
            ("healthz", [("GET", "/healthz", {})] * len(group)),
            ("me_first", each("/api/v1/me", group)),  # the member's first request here
            ("me", each("/api/v1/me", group)),
            ("checkin_first", checkin(group)),
            ("checkin_repeat", checkin(group)),
            ("home", each("/api/mp/v1/home", group)),
            # the 07:30 rush's other three steps (rush.py): open the brief, start, complete
            ("brief", each(f"/api/v1/study-items/{brief}", group)),
            ("study_start", posts(f"/api/v1/study-items/{brief}/start", group)),
            ("study_complete", posts(f"/api/v1/study-items/{brief}/complete", group)),
            ("points_me", each("/api/v1/points/me", group)),
            ("leaderboard", each(board, group)),
            (
                "qr_png",
                [("GET", f"/api/v1/activities/{meeting}/checkin-code.png", bearer(staff))]
                * len(group),
            ),
        ):
            if only and name not in only.split(",") and name not in ("healthz", "me_first"):
                continue
            profiling = name in profile.split(",") and r == rounds - 1
            with _profiled(profiling, profiler, name):
                results.setdefault(name, []).append(_measure(client, engine, reqs))
    summary = {}
    health = statistics.median(c for c, _, _ in results["healthz"])
    for name, values in results.items():
        cpu = statistics.median(c for c, _, _ in values)
        summary[name] = {
            "cpu_ms_per_request": round(cpu, 3),
            "statements_per_request": round(statistics.median(s for _, s, _ in values), 2),
            "ratio_to_healthz": round(cpu / health, 1),
            "postgres_cpu_ms_per_request": round(statistics.median(p for _, _, p in values), 3),
        }
    print(
        json.dumps(
            {"members": members, "rounds": rounds, "redis": bool(redis), "tree": str(root)}
            | summary
            | {"uncached_by_psycopg": {k: list(v) for k, v in LONG.items()}},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
