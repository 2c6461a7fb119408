"""The 07:30 rush: N distinct members open home and read the morning brief, against gunicorn.

    .venv/bin/python scripts/bench/rush.py [--members 10000] [--workers 3] [--threads 4]
        [--worker-class gthread|sync] [--concurrency 16] [--redis URL]
    .venv/bin/python scripts/bench/rush.py --sqlite PATH --members 20 --workers 1   # smoke

A city-like set is generated (scripts/bench/generate.py; members = 1.2 × N so the sample of N
is distinct members of many parks) into a fresh PostgreSQL database `party_bench_rush` (or a
migrated SQLite file with --sqlite), gunicorn serves it as scripts/run.sh does by default
(3 gthread workers × 4 threads, keep-alive; `--worker-class sync` for the earlier setting;
production settings, no rate limit), the city committee posts today's 晨会5分钟 for the whole
city, and then each of the N members — one after another from a shared queue, --concurrency
at a time, each on a keep-alive connection — opens `GET /api/mp/v1/home`, the brief
(`GET /study-items/<id>`), starts it and completes it (`POST …/start`, `POST …/complete`:
the dwell is not waited for, so the answer is the remaining seconds, as for a member who
taps too early).

`GET /healthz` is measured with the same client and concurrency just before and just after
the rush (the JSON calibration), so the result is a ratio within one run. Reported: the
span, members and requests per second, p50/p99/max per request kind and overall, errors
(non-2xx and socket errors), whether all N members were served within 60 s and how many were
served in the first 60 s, and the workers' CPU per request (from /proc) next to /healthz's.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import queue
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # scripts/bench/bench.py: databases, generator, gunicorn

DB_NAME = f"{bench.DB_PREFIX}_rush"
STEPS = ("home", "brief", "start", "complete")


class Client:
    """One keep-alive connection; every request is timed and its status kept."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, token: str | None = None) -> tuple[int, float, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "POST":
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            self.conn.request(
                method, path, body=b"{}" if method == "POST" else None, headers=headers
            )
            response = self.conn.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            status, body = 0, b""
        return status, (time.perf_counter() - t0) * 1000, body


def _run(port: int, jobs: list[Any], concurrency: int, do) -> tuple[list[tuple], float]:
    """Run `do(client, job)` over the jobs with `concurrency` threads; (records, span s)."""
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    records: list[tuple] = []
    lock = threading.Lock()

    def loop():
        client = Client(port)
        mine = []
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                break
            mine.extend(do(client, job))
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records, time.perf_counter() - t0


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, all cores (/proc/stat's first line)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stats(latencies: list[float]) -> dict[str, float | None]:
    if not latencies:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]  # noqa: E731
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(pick(0.99), 2),
        "max_ms": round(ordered[-1], 2),
    }


def _healthz(server: bench.Server, n: int, concurrency: int) -> dict[str, Any]:
    ticks = server.worker_cpu_ticks()
    records, span = _run(
        server.port,
        range(n),
        concurrency,
        lambda client, _i: [("healthz", *client.call("GET", "/healthz")[:2], time.perf_counter())],
    )
    cpu_ms = (server.worker_cpu_ticks() - ticks) * 1000 / os.sysconf("SC_CLK_TCK")
    return {
        "requests": n,
        "errors": sum(1 for r in records if not 200 <= r[1] < 300),
        "span_s": round(span, 3),
        "req_per_s": round(n / span, 1),
        "worker_cpu_ms_per_request": round(cpu_ms / n, 3),
        **_stats([r[2] for r in records]),
    }


def _publish_brief(server: bench.Server, city: dict) -> int:
    """Today's brief for the whole city, posted by the work committee's secretary."""
    client = Client(server.port)
    body = json.dumps(
        {
            "kind": "morning_brief",
            "title": f"晨会5分钟：{datetime.now(UTC):%m月%d日} 早高峰",
            "body": "今日学习要点……",
            "org_id": city["org_id"],
            "minutes": 5,
        }
    ).encode()
    client.conn.request(
        "POST",
        "/api/v1/study-items",
        body=body,
        headers={"Authorization": f"Bearer {city['token']}", "Content-Type": "application/json"},
    )
    response = client.conn.getresponse()
    data = json.loads(response.read())
    if response.status != 201:
        raise click.ClickException(f"could not post the brief: {response.status} {data}")
    return data["id"]


def rush(server: bench.Server, tokens: list[str], item: int, concurrency: int) -> dict[str, Any]:
    """Every member: home, the brief, start, complete. Records (step, status, ms, done-at)."""
    paths = {
        "home": ("GET", "/api/mp/v1/home"),
        "brief": ("GET", f"/api/v1/study-items/{item}"),
        "start": ("POST", f"/api/v1/study-items/{item}/start"),
        "complete": ("POST", f"/api/v1/study-items/{item}/complete"),
    }

    def member(client: Client, token: str):
        out = []
        for step in STEPS:
            status, ms, _ = client.call(*paths[step], token)
            out.append((step, status, ms, time.perf_counter()))
        return out

    ticks = server.worker_cpu_ticks()
    machine = _machine_ticks()
    client_cpu = time.process_time()
    t0 = time.perf_counter()
    records, span = _run(server.port, tokens, concurrency, member)
    cpu_ms = (server.worker_cpu_ticks() - ticks) * 1000 / os.sysconf("SC_CLK_TCK")
    client_ms = (time.process_time() - client_cpu) * 1000
    busy, total = (b - a for a, b in zip(machine, _machine_ticks(), strict=True))
    served_by = [r[3] - t0 for r in records if r[0] == "complete"]
    errors: dict[str, int] = {}
    for step, status, _ms, _at in records:
        if not 200 <= status < 300:
            errors[f"{step} {status}"] = errors.get(f"{step} {status}", 0) + 1
    return {
        "members": len(tokens),
        "requests": len(records),
        "span_s": round(span, 3),
        "members_per_s": round(len(tokens) / span, 1),
        "req_per_s": round(len(records) / span, 1),
        "all_within_60_s": span <= 60 and not errors,
        "members_served_in_60_s": sum(1 for t in served_by if t <= 60),
        "errors": errors,
        "worker_cpu_ms_per_request": round(cpu_ms / max(1, len(records)), 3),
        # where the machine's cores went: this client's own CPU (the load is not free on a
        # small machine) and every process's, from /proc/stat
        "client_cpu_ms_per_request": round(client_ms / max(1, len(records)), 3),
        "machine_busy_share": round(busy / total, 3) if total else None,
        "machine_cpu_ms_per_request": round(
            busy * 1000 / os.sysconf("SC_CLK_TCK") / max(1, len(records)), 3
        ),
        "overall": _stats([r[2] for r in records]),
        "per_step": {s: _stats([r[2] for r in records if r[0] == s]) for s in STEPS},
    }


@click.command()
@click.option("--members", default=10_000, show_default=True, help="distinct members in the rush")
@click.option("--workers", default=3, show_default=True, help="as scripts/run.sh (WEB_WORKERS)")
@click.option("--worker-class", default="gthread", show_default=True,
              type=click.Choice(["gthread", "sync"]), help="as scripts/run.sh")  # fmt: skip
@click.option("--threads", default=4, show_default=True, help="per gthread worker (WEB_THREADS)")
@click.option("--concurrency", default=16, show_default=True, help="connections at a time")
@click.option("--sqlite", "sqlite_path", type=click.Path(dir_okay=False), default=None,
              help="a migrated SQLite file instead of PostgreSQL (smoke runs)")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False), default=None, help="results directory")
@click.option("--reuse", is_flag=True, help="keep the database, tokens and keys of the last run")
@click.option("--offset", default=0, help="skip this many members of the sample (a --reuse run)")
@click.option("--redis", default="", help="REDIS_URL for the server (empty: without Redis)")
def main(
    members: int,
    workers: int,
    worker_class: str,
    threads: int,
    concurrency: int,
    sqlite_path: str | None,
    out: str | None,
    reuse: bool,
    offset: int,
    redis: str,
):
    """Generate, serve, calibrate, rush, calibrate again; print the JSON summary."""
    out_dir = Path(out) if out else bench.HERE / "out" / "rush"
    out_dir.mkdir(parents=True, exist_ok=True)
    keys_file = out_dir / "secrets.json"
    if reuse and keys_file.exists():
        keys = json.loads(keys_file.read_text())
    else:
        keys = {
            "SECRET_KEY": secrets.token_urlsafe(36),
            "JWT_SECRET_KEY": secrets.token_urlsafe(36),
        }
        keys_file.write_text(json.dumps(keys))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DATABASE_URL"))},
        **keys,
        "ENV_NAME": "production",
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        "REDIS_URL": redis,
        "CACHE_KEY_PREFIX": f"rush{secrets.token_hex(4)}:",  # a fresh namespace per run
    }
    size = {
        "members": max(40, math.ceil(members * 1.2)),
        "branches": max(3, members // 33),
        "parks": max(1, members // 1000),
    }
    extra = {"burst": 10, "warmup": 5, "sample": members}
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    data_dir = out_dir / "data"
    url = f"sqlite:///{Path(sqlite_path).resolve()}" if sqlite_path else bench.pg_url(DB_NAME)
    if reuse and (data_dir / "manifest.json").exists():
        manifest = json.loads((data_dir / "manifest.json").read_text())
    elif sqlite_path:
        manifest = bench.generate(env, None, Path(sqlite_path), size, data_dir, now, **extra)
    else:
        bench.recreate_database(DB_NAME)
        bench.migrate(env, url)
        manifest = bench.generate(env, url, None, size, data_dir, now, **extra)
    if not sqlite_path:
        # the load's dirty pages are written back now, not during the rush: on a small disk a
        # checkpoint in the measured minute made every commit wait (iowait 48 % seen here)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    tokens = (data_dir / "tokens-sample.txt").read_text().split()[offset:]
    if len(tokens) < members:
        raise click.ClickException(f"only {len(tokens)} member tokens generated")
    server = bench.Server("rush", {**env, "DATABASE_URL": url}, workers, out_dir)
    server.worker_args = ("--worker-class", worker_class)
    if worker_class == "gthread":
        server.worker_args += ("--threads", str(threads))
    server.start_seconds = 300
    try:
        server.start()
        item = _publish_brief(server, manifest["users"]["city"])
        calibration_n = max(100, min(members, 5_000))
        before = _healthz(server, calibration_n, concurrency)
        result = rush(server, tokens[:members], item, concurrency)
        after = _healthz(server, calibration_n, concurrency)
        memory = server.worker_memory()
    finally:
        server.stop()
    healthz_rps = (before["req_per_s"] + after["req_per_s"]) / 2
    healthz_cpu = (before["worker_cpu_ms_per_request"] + after["worker_cpu_ms_per_request"]) / 2
    summary = {
        "command": "scripts/bench/rush.py " + " ".join(sys.argv[1:]),
        "started_at": now,
        "database": "sqlite" if sqlite_path else "postgresql",
        "data": {"plan": manifest["plan"], "counts": manifest["counts"]},
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads if worker_class == "gthread" else 1,
        "redis": bool(redis),
        "concurrency": concurrency,
        "brief_id": item,
        "healthz_before": before,
        "healthz_after": after,
        "rush": result,
        "ratio_req_per_s_to_healthz": round(result["req_per_s"] / healthz_rps, 3),
        "ratio_cpu_per_request_to_healthz": round(
            result["worker_cpu_ms_per_request"] / healthz_cpu, 1
        )
        if healthz_cpu
        else None,
        "worker_rss_kb": [m.get("rss_kb") for m in memory],
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"rush-{stamp}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    click.echo(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
