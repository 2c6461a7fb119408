"""The benchmark data generator runs: a tiny park into a migrated SQLite file, consistent.

Only "it runs" and the data keeps the schema's promises; benchmarks themselves are never
timed in the test suite (scripts/bench/run.sh does that).
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path

from click.testing import CliRunner

GENERATE = Path(__file__).resolve().parent.parent / "scripts" / "bench" / "generate.py"


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _generate(path: Path, seed: int = 7) -> None:
    result = CliRunner().invoke(
        _generator().main,
        [
            "--sqlite",
            str(path),
            "--members",
            "40",
            "--branches",
            "3",
            "--parks",
            "1",
            "--seed",
            str(seed),
            "--now",
            "2026-06-15T04:00:00+00:00",
        ],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)


def test_generator_fills_a_park_consistently(sqlite_template, tmp_path):
    path = tmp_path / "park.sqlite"
    shutil.copy(sqlite_template, path)
    _generate(path)
    conn = sqlite3.connect(path)
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    assert one("SELECT count(*) FROM members") == 40
    assert one("SELECT count(*) FROM organizations WHERE type = 'branch'") == 3
    assert one("SELECT count(*) FROM organizations WHERE type = 'general_committee'") == 1
    assert one("SELECT count(*) FROM activities") > 3 * 20  # a year of 三会一课
    assert one("SELECT count(*) FROM attendances") > 0
    assert one("SELECT count(*) FROM point_ledger") > one("SELECT count(*) FROM attendances") // 2
    # the maintained totals are the ledger sums, member by member
    assert (
        one(
            "SELECT count(*) FROM (SELECT member_id, sum(delta) s FROM point_ledger "
            "GROUP BY member_id) l LEFT JOIN member_points p USING (member_id) "
            "WHERE p.total IS NULL OR p.total <> l.s"
        )
        == 0
    )
    assert one("SELECT count(*) FROM member_points") == one(
        "SELECT count(DISTINCT member_id) FROM point_ledger"
    )
    assert (
        one(
            "SELECT count(*) FROM member_points p LEFT JOIN member_point_periods q ON "
            "q.member_id = p.member_id AND q.period_kind = 'all' WHERE q.points IS NOT p.total"
        )
        == 0
    )
    # every path is the chain of ids; no foreign key is broken
    for oid, path_, parent in conn.execute("SELECT id, path, parent_id FROM organizations"):
        parent_path = (
            conn.execute("SELECT path FROM organizations WHERE id = ?", (parent,)).fetchone()[0]
            if parent
            else "/"
        )
        assert path_ == f"{parent_path}{oid}/"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert one("SELECT count(*) FROM users WHERE username LIKE 'bench_%'") == 4


def test_generator_is_reproducible_from_its_seed(sqlite_template, tmp_path):
    dumps = []
    for name in ("a.sqlite", "b.sqlite"):
        path = tmp_path / name
        shutil.copy(sqlite_template, path)
        _generate(path, seed=11)
        conn = sqlite3.connect(path)
        dumps.append(
            conn.execute(
                "SELECT group_concat(member_id || ':' || status || ':' || activity_id, ',') "
                "FROM (SELECT * FROM attendances ORDER BY id)"
            ).fetchone()[0]
        )
    assert dumps[0] == dumps[1]


RUSH = GENERATE.parent / "rush.py"


def test_rush_benchmark_runs_at_a_tiny_size(sqlite_template, tmp_path):
    """scripts/bench/rush.py end to end on SQLite (one gunicorn worker, 12 members): every
    member's four requests are answered, /healthz is measured in the same run. No timing."""
    import json
    import subprocess

    path = tmp_path / "rush.sqlite"
    shutil.copy(sqlite_template, path)
    out = tmp_path / "out"
    args = ["--sqlite", str(path), "--members", "12", "--workers", "1", "--concurrency", "2"]
    result = subprocess.run(
        [sys.executable, str(RUSH), *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=RUSH.parents[2],
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    (written,) = out.glob("rush-*.json")
    summary = json.loads(written.read_text())
    rush = summary["rush"]
    assert rush["members"] == 12 and rush["requests"] == 48
    assert rush["errors"] == {} and rush["members_served_in_60_s"] <= 12
    assert {s: v["n"] for s, v in rush["per_step"].items()} == dict.fromkeys(
        ("home", "brief", "start", "complete"), 12
    )
    assert summary["healthz_before"]["requests"] == 100 and summary["healthz_before"]["errors"] == 0
    assert summary["ratio_req_per_s_to_healthz"] > 0
    assert summary["data"]["plan"]["members"] == 40  # 1.2 × 12, at least 40
    assert (summary["worker_class"], summary["threads"]) == ("gthread", 4)  # as run.sh serves
