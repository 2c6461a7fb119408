"""The city's compliance matrix in-process, on the data set `run.sh` left behind.

    .venv/bin/python scripts/bench/city_compliance.py [--tree DIR] [--runs 3] [--profile]

Serves `GET /api/v1/reports/compliance?year=…` for the work committee (the city) through the
Flask test client of the app in `--tree` (default: this checkout; another tree, e.g. from
`git archive`, measures the code before a change on the same data), against the database
`party_bench_full` with the keys and tokens of `scripts/bench/out/run-full`. Prints the
answer's size, then wall and CPU seconds per run after one untimed call; `--profile` adds a
cProfile (cumulative) of one more request; `--save FILE` writes the answer, to compare two
trees byte for byte. Run `periods close-due` on that database first to measure the open
year as production's scheduler leaves it.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "run-full"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@click.command()
@click.option("--tree", type=click.Path(exists=True, file_okay=False), default=None)
@click.option("--runs", default=3, show_default=True)
@click.option("--year", default=None, type=int, help="default: this year")
@click.option("--profile", is_flag=True)
@click.option("--save", type=click.Path(dir_okay=False), default=None, help="write the answer")
def main(tree: str | None, runs: int, year: int | None, profile: bool, save: str | None) -> None:
    """Time the city matrix (see the module docstring)."""
    root = Path(tree or HERE.parents[1]).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    keys = json.loads((OUT / "secrets.json").read_text())
    manifest = json.loads((OUT / "data-city" / "manifest.json").read_text())
    os.environ.update(
        keys,
        DATABASE_URL=PG_ADMIN.rsplit("/", 1)[0] + "/party_bench_full",
        ENV_NAME="production",
        RATELIMIT_ENABLED="false",
        LOG_LEVEL="ERROR",
        REDIS_URL="",
    )
    from wsgi import make_app

    client = make_app({}).test_client()
    year = year or time.localtime().tm_year
    url = f"/api/v1/reports/compliance?year={year}&org_id={manifest['work_committee_id']}"
    headers = {"Authorization": f"Bearer {manifest['users']['city']['token']}"}
    first = client.get(url, headers=headers)
    click.echo(f"{root}: {first.status_code}, {len(first.data):,} bytes")
    if save:
        Path(save).write_bytes(first.data)
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(url, headers=headers)
        click.echo(
            f"wall {time.perf_counter() - wall:.3f} s, cpu {time.process_time() - cpu:.3f} s"
        )
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url, headers=headers)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        click.echo(out.getvalue())


if __name__ == "__main__":
    main()
