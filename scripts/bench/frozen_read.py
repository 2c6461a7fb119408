"""Bench: reading a closed year's compliance items, per period (before) vs per branch-year (after).

    .venv/bin/python scripts/bench/frozen_read.py [--branches 3000] [--runs 5]

Creates (and drops) the PostgreSQL database `party_bench_frozen` on BENCH_PG_ADMIN, migrated
to the revision before `frozen_compliance`; writes --branches branches with the frozen
figures of a closed year (12 months, 4 quarters and the year: 17 periods per branch, the
compliance items shaped as app.reports.compliance writes them, attendance counts and study
hours beside them — the city's 51,000 rows at 3,000 branches); then upgrades to head, which
builds `frozen_compliance` from them (timed), and times in-process, median of --runs after
one untimed call, in the same run: the read before (every period's JSON figures, their
compliance part) and `app.reports.frozen.frozen_items` (one compact row per branch and year).
The two answers are compared for equality.

    .venv/bin/python scripts/bench/frozen_read.py --http --before-tree /tmp/before_r

`--http` also times the whole closed-year city compliance request (`GET
/api/v1/reports/compliance?year=2025`, JSON, as the top committee's secretary, through the
Flask test client), median of --runs after one untimed call, wall and CPU, each tree in a
fresh child process: `--before-tree DIR` (the code before, from `git archive`) at
`4e8b2c7d9a10`, before this tree's newer migrations run, then this tree at its head, on the
same data; the two bodies are compared (bytes and JSON). `--profile` adds a cProfile (CPU
timer) of one more request per tree on stderr; `--no-items` skips the item reads; `--keep`
leaves the database for a rerun of one tree (`--child DIR --body-file F`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click
import psycopg

ROOT = Path(__file__).resolve().parents[2]
NAME = "party_bench_frozen"
BEFORE = "1cd727773855"  # the head before frozen_compliance
FROZEN_V1 = "4e8b2c7d9a10"  # frozen_compliance as main had it (the --before-tree head)
YEAR = 2025
TYPES = [
    ("theme_day", "month", 1),
    ("committee_meeting", "month", 1),
    ("group_meeting", "month", 1),
    ("general_meeting", "quarter", 1),
    ("party_lecture", "quarter", 1),
    ("life_meeting", "year", 1),
    ("democratic_review", "year", 1),
    ("heart_talk", "year", 1),
]
LABELS = {
    "theme_day": "主题党日",
    "committee_meeting": "支委会",
    "group_meeting": "党小组会",
    "general_meeting": "支部党员大会",
    "party_lecture": "党课",
    "life_meeting": "组织生活会",
    "democratic_review": "民主评议党员",
    "heart_talk": "谈心谈话",
}
PERIODS = (
    [("month", date(YEAR, m, 1)) for m in range(1, 13)]
    + [("quarter", date(YEAR, m, 1)) for m in (1, 4, 7, 10)]
    + [("year", date(YEAR, 1, 1))]
)


def _items(rng: random.Random, kind: str, start: date) -> list[dict]:
    out = []
    for type_, period, times in TYPES:
        if period != kind:
            continue
        held = rng.choice([0, 1, 1, 1, 2])
        item = {
            "type": type_,
            "period": period,
            "required": times if type_ != "heart_talk" else rng.randint(5, 40),
            "flags": ["other_day"] if type_ == "theme_day" and rng.random() < 0.1 else [],
            "held": held,
            "type_label": LABELS[type_],
            "status": "met" if held else "missed",
        }
        if type_ == "theme_day":
            item["fixed_day"] = rng.randint(1, 28)
        if type_ == "group_meeting":
            item["missing_groups"] = ["第一党小组"] if not held else []
        out.append(item)
    return out


def _fill(url: str, ids: list[int]) -> None:
    rng = random.Random(1)
    now = datetime(YEAR + 1, 1, 20, tzinfo=UTC).replace(tzinfo=None)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for pid, (kind, start) in enumerate(PERIODS, 1):
            end = date(start.year + (1 if kind == "year" else 0), 1, 1)  # not read here
            cur.execute(
                'INSERT INTO closed_periods (id, kind, start, "end", closed_at, version)'
                " VALUES (%s, %s, %s, %s, %s, 1)",
                (pid, kind, start, end, now),
            )
        with cur.copy(
            "COPY frozen_figures (period_id, org_id, figures, frozen_at) FROM STDIN"
        ) as copy:
            for b in ids:
                for pid, (kind, start) in enumerate(PERIODS, 1):
                    figures = {
                        "compliance": _items(rng, kind, start),
                        "attendance": {
                            "org_id": b,
                            "expected": 30,
                            "present": 26,
                            "late": 2,
                            "leave": 1,
                            "absent": 1,
                            "rate": 0.93,
                        },
                        "study_hours": {
                            "members": 30,
                            "average_hours": round(rng.uniform(0, 40), 2),
                            "members_meeting_target": rng.randint(0, 30),
                            "target_hours": 32,
                        }
                        if kind == "year"
                        else None,
                    }
                    copy.write_row((pid, b, json.dumps(figures, ensure_ascii=False), now))
        conn.commit()


def _timed(fn, runs: int) -> dict:
    """Wall time and this process's CPU (the decoding; PostgreSQL's own CPU is not in it)."""
    fn()
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "median_s": round(statistics.median(times), 4),
        "cpu_median_s": round(statistics.median(cpu), 4),
        "runs": [round(t, 4) for t in times],
    }


HTTP_USER = "bench_city"  # secretary of the top committee: the city's compliance report
PATH = f"/api/v1/reports/compliance?year={YEAR}"


def _child(tree: Path, runs: int, body_file: str, profile: bool) -> dict:
    """In a fresh process importing the app from `tree`: time the city compliance request
    through the Flask test client (median of `runs` after one untimed call)."""
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    from flask_jwt_extended import create_access_token
    from sqlalchemy import select

    from app.accounts.models import User
    from app.extensions import db
    from wsgi import make_app

    app = make_app()
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == HTTP_USER))
        headers = {"Authorization": f"Bearer {create_access_token(identity=f'u:{uid}')}"}
    client = app.test_client()

    def call():
        response = client.get(PATH, headers=headers)
        if response.status_code != 200:
            raise click.ClickException(f"{response.status_code} {response.get_data(True)[:500]}")
        return response.get_data()

    body = call()
    Path(body_file).write_bytes(body)
    out = _timed(call, runs)
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for PostgreSQL
        profiler.enable()
        call()
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        sys.stderr.write(f"==== {tree}\n{text.getvalue()}")
    return {**out, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()[:16]}


def _http(tree: Path, runs: int, profile: bool) -> tuple[dict, bytes]:
    """The request timed in a child process on `tree`'s code; (figures, the body)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        args = [sys.executable, __file__, "--child", str(tree), "--runs", str(runs)]
        args += ["--body-file", body.name] + (["--profile"] if profile else [])
        done = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1]), Path(body.name).read_bytes()


@click.command()
@click.option("--branches", default=3000, show_default=True)
@click.option("--runs", default=5, show_default=True)
@click.option("--http", is_flag=True, help="also time the whole city compliance request")
@click.option(
    "--before-tree",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="with --http: the code before (git archive), timed on the same data at its head",
)
@click.option("--items/--no-items", default=True, help="time the two item reads (default on)")
@click.option("--profile", is_flag=True, help="with --http: cProfile (CPU) one more request")
@click.option("--keep", is_flag=True, help="keep the database (the next run recreates it)")
@click.option("--child", type=click.Path(path_type=Path), default=None, hidden=True)
@click.option("--body-file", default="", hidden=True)
def main(
    branches: int,
    runs: int,
    http: bool,
    before_tree: Path | None,
    items: bool,
    profile: bool,
    keep: bool,
    child: Path | None,
    body_file: str,
) -> None:
    """Fill, migrate, time the reads (and the request); print JSON."""
    admin = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = admin.rsplit("/", 1)[0] + f"/{NAME}"
    os.environ.update(
        DATABASE_URL=url,
        LOG_LEVEL="ERROR",
        REDIS_URL="",
        RATELIMIT_ENABLED="false",
        JWT_SECRET_KEY=os.environ.get("JWT_SECRET_KEY", "bench-" + "x" * 40),
    )
    if child is not None:
        click.echo(json.dumps(_child(child, runs, body_file, profile)))
        return
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.extensions import db
    from app.reports.frozen import frozen_items
    from app.reports.models import ClosedPeriod, FrozenFigure
    from wsgi import make_app

    app = make_app()
    with app.app_context():
        upgrade(revision=BEFORE)
        from app.org.models import Organization

        top = Organization(name="党工委", type="work_committee", path="/1/", depth=0)
        db.session.add(top)
        db.session.flush()
        top.path = f"/{top.id}/"
        top_id = top.id
        for b in range(branches):
            db.session.add(
                Organization(
                    name=f"第{b}支部",
                    type="branch",
                    build_mode="standalone",
                    parent_id=top.id,
                    path=f"{top.path}{top.id + 1 + b}/",
                    depth=1,
                )
            )
        db.session.commit()
        ids = list(db.session.scalars(select(Organization.id).where(Organization.type == "branch")))
        db.session.remove()
        db.engine.dispose()
    t0 = time.perf_counter()
    _fill(url, ids)
    fill_s = time.perf_counter() - t0
    result: dict = {"branches": branches, "periods": len(PERIODS), "fill_s": round(fill_s, 1)}
    with app.app_context():
        t0 = time.perf_counter()
        upgrade(revision=FROZEN_V1)  # builds frozen_compliance from the figures
        result["migration_s"] = round(time.perf_counter() - t0, 2)
        if http:
            from app.accounts.services import create_user
            from app.org.models import Organization, OrgRole

            user = create_user(HTTP_USER, "password123", display_name="党工委")
            db.session.flush()
            db.session.add(OrgRole(org_id=top_id, role="secretary", user_id=user.id))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    bodies = {}
    if http and before_tree is not None:
        result["http_before"], bodies["before"] = _http(before_tree.resolve(), runs, profile)
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()  # this tree's head (the same revision when it has no newer one)
        result["migration_to_head_s"] = round(time.perf_counter() - t0, 2)
        db.session.remove()
        db.engine.dispose()
    if http:
        result["http_after"], bodies["after"] = _http(ROOT, runs, profile)
        if "before" in bodies:
            before_s, after_s = result["http_before"]["median_s"], result["http_after"]["median_s"]
            result["http_after_vs_before"] = round(after_s / before_s, 3)
            result["http_bytes_identical"] = bodies["before"] == bodies["after"]
            result["http_json_equal"] = json.loads(bodies["before"]) == json.loads(bodies["after"])
    if items:
        with app.app_context():

            def before():
                db.session.rollback()
                rows = db.session.execute(
                    select(
                        FrozenFigure.org_id,
                        ClosedPeriod.kind,
                        ClosedPeriod.start,
                        FrozenFigure.figures["compliance"],
                    )
                    .join(ClosedPeriod, ClosedPeriod.id == FrozenFigure.period_id)
                    .where(
                        ClosedPeriod.start >= date(YEAR, 1, 1),
                        ClosedPeriod.start < date(YEAR + 1, 1, 1),
                        FrozenFigure.org_id.in_(ids),
                    )
                ).all()
                return {(o, k, s): f or [] for o, k, s, f in rows}

            def after():
                db.session.rollback()
                return frozen_items(YEAR, ids)

            old, new = _timed(before, runs), _timed(after, runs)
            result.update(
                frozen_rows=len(before()),
                before_per_period_rows=old,
                after_per_branch_year=new,
                after_vs_before=round(new["median_s"] / old["median_s"], 3),
                cpu_after_vs_before=round(new["cpu_median_s"] / old["cpu_median_s"], 3),
                equal=before() == after(),
            )
    if not keep:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    click.echo(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
