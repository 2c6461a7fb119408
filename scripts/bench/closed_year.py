"""Bench: the compliance matrix of a closed year, recounted vs read from the frozen table.

Creates (and drops) the PostgreSQL database `party_bench_closed_year` on BENCH_PG_ADMIN,
migrates it, generates a city (scripts/bench/generate.py) whose year ends on --now, then
in-process: the city-wide compliance report of that year recounted (median of --runs after
one untimed call), the attendee lists fixed and the due periods closed (timed once), and
the same report read from the frozen figures (median). Prints JSON; the ratio is what
BENCHMARKS.md reports (the machine's speed cancels out).

    .venv/bin/python scripts/bench/closed_year.py --members 100000 --branches 3000 --parks 100
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = ROOT / ".venv" / "bin"
NAME = "party_bench_closed_year"


def _admin(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _timed(fn, runs: int) -> dict:
    fn()  # untimed: caches and plans warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(times), 3), "runs": [round(t, 3) for t in times]}


@click.command()
@click.option("--members", default=100_000, show_default=True)
@click.option("--branches", default=3_000, show_default=True)
@click.option("--parks", default=100, show_default=True)
@click.option("--runs", default=5, show_default=True)
@click.option("--now", "now_text", default="2026-01-20T04:00:00", show_default=True)
@click.option("--keep", is_flag=True, help="keep the database afterwards")
@click.option("--reuse", is_flag=True, help="use the database of a kept run as it is")
def main(members, branches, parks, runs, now_text, keep, reuse) -> None:
    """Generate a city, then time its closed year's compliance report before and after."""
    admin = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = admin.rsplit("/", 1)[0] + f"/{NAME}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-" + "x" * 40,
        "JWT_SECRET_KEY": "bench-" + "y" * 40,
        "LOG_LEVEL": "WARNING",
    }
    if not reuse:
        _admin(admin, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)', f'CREATE DATABASE "{NAME}"')
        flask = [str(VENV / "flask"), "--app", "wsgi", "db", "upgrade", "-d", "app/migrations"]
        subprocess.run(flask, cwd=ROOT, env=env, check=True, capture_output=True)
        generate = [
            str(VENV / "python"),
            str(HERE / "generate.py"),
            "--members",
            str(members),
            "--branches",
            str(branches),
            "--parks",
            str(parks),
            "--now",
            now_text,
            "--no-study",
        ]
        t0 = time.perf_counter()
        subprocess.run(generate, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        click.echo(f"generated in {time.perf_counter() - t0:.0f} s", err=True)

    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    from sqlalchemy import select

    from app.activities.expected import fix_due_attendees
    from app.extensions import db
    from app.org.models import Organization
    from app.reports.compliance import compliance_report
    from app.reports.periods import close_due_periods
    from app.reports.services import no_jit
    from wsgi import make_app

    app = make_app()
    now = datetime.fromisoformat(now_text).replace(tzinfo=UTC)
    year = now.year - 1
    with app.app_context():
        city = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)))

        def report(live: bool):
            def run():
                db.session.rollback()
                no_jit()  # as the report's route does
                return compliance_report(city, year, now, live=live)

            return run

        recount = _timed(report(True), runs)
        click.echo(f"recounted from the history: {recount}", err=True)
        t0 = time.perf_counter()
        fixed = 0
        while batch := fix_due_attendees(now, limit=2000):
            fixed += batch
            db.session.commit()
        fix_s = time.perf_counter() - t0
        snapshot = _timed(report(True), runs)
        click.echo(f"recounted from the fixed lists: {snapshot}", err=True)
        t0 = time.perf_counter()
        closed = close_due_periods(now)
        db.session.commit()
        close_s = time.perf_counter() - t0
        frozen = _timed(report(False), runs)
        click.echo(f"frozen: {frozen}", err=True)
        same = report(False)()["branches"] == [
            {
                **b,
                "months": [
                    {
                        **m,
                        "closed": True,
                        "items": [{**i, "frozen": True} for i in m["items"]],
                    }
                    for m in b["months"]
                ],
            }
            for b in report(True)()["branches"]
        ]
    result = {
        "members": members,
        "branches": branches,
        "parks": parks,
        "year": year,
        "recount": recount,
        "attendee_lists_fixed": fixed,
        "fix_s": round(fix_s, 1),
        "recount_from_fixed_lists": snapshot,
        "periods_closed": len(closed),
        "close_s": round(close_s, 1),
        "frozen": frozen,
        "frozen_vs_recount": round(frozen["median_s"] / recount["median_s"], 4),
        "frozen_vs_fixed_lists": round(frozen["median_s"] / snapshot["median_s"], 4),
        "frozen_equals_recount": same,
    }
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    if not keep:
        _admin(admin, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
