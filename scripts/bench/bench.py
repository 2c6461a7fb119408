"""The benchmark run behind scripts/bench/run.sh: databases, data, servers, scenarios, results.

Everything is on this machine: PostgreSQL on 127.0.0.1, gunicorn (sync workers, 2×cores+1)
bound to 127.0.0.1 on a free port, wrk as the load. Ratios are taken within one run, so they
survive a slower or busier machine better than the absolute numbers.

Scenarios (see BENCHMARKS.md): JSON calibration, authenticated no-op, the check-in burst
(first check-ins, then repeats; rows verified in the database), the QR image, home,
points/me, the leaderboard; reports timed by repeated HTTP calls; a reminder fan-out; RSS of
the web workers and of the scheduler; the same burst on SQLite; the branch report on a
park-sized and on the city-sized set.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import psycopg
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = ROOT / ".venv" / "bin"
LUA = HERE / "lua"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_PREFIX = "party_bench"  # the only databases this script creates or drops

SIZES = {
    "full": {
        "city": {"members": 100_000, "branches": 3_000, "parks": 100},
        "park": {"members": 300, "branches": 9, "parks": 1},
        "burst": 2_000,
        "warmup": 500,
        "sample": 5_000,
        "warm_s": 5,
        "run_s": 20,
        "report_n": 5,
        "fanout": 10_000,
    },
    "quick": {
        "city": {"members": 3_000, "branches": 90, "parks": 3},
        "park": {"members": 300, "branches": 9, "parks": 1},
        "burst": 500,
        "warmup": 200,
        "sample": 1_000,
        "warm_s": 1,
        "run_s": 3,
        "report_n": 2,
        "fanout": 3_000,
    },
}
CONNECTIONS = 16
WRK_THREADS = 2
TARGETS = {  # issue 8
    "checkin_vs_json": 0.25,
    "checkin_p99_ms": 50.0,
    "leaderboard_vs_json": 0.35,
    "qr_vs_json": 0.5,
    "branch_growth": 1.5,
    "city_compliance_s": 2.0,
    "fanout_per_s": 2000.0,
    "rss_mb": 150.0,
}


def log(msg: str) -> None:
    click.echo(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", err=True)


# --- databases and data ---------------------------------------------------------------------


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def recreate_database(name: str) -> None:
    if not name.startswith(DB_PREFIX):
        raise click.ClickException(f"refusing to drop {name}: not a bench database")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(cmd: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def migrate(env: dict[str, str], url: str) -> None:
    run(
        [str(VENV / "flask"), "--app", "wsgi", "db", "upgrade"],
        {**env, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def generate(env, url: str | None, sqlite: Path | None, size: dict, out: Path, now: str, **kw):
    cmd = [str(VENV / "python"), str(HERE / "generate.py"), "--now", now, "--out", str(out)]
    cmd += ["--members", str(size["members"]), "--branches", str(size["branches"])]
    cmd += ["--parks", str(size["parks"])]
    for key, value in kw.items():
        cmd += [f"--{key}", str(value)]
    cmd += ["--sqlite", str(sqlite)] if sqlite else ["--database-url", url]
    run(cmd, {**env, "DATABASE_URL": url or f"sqlite:///{sqlite}"})
    return json.loads((out / "manifest.json").read_text())


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_kb"] = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss_kb"] = int(line.split()[1])
    except OSError:
        pass
    return out


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@dataclass
class Server:
    name: str
    env: dict[str, str]
    workers: int
    out: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    start_seconds: float = 60  # a busy machine imports the app slowly
    # wrk's scenarios compare with a simpler app on the same settings: sync workers
    worker_args: tuple[str, ...] = ("--worker-class", "sync")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.out / f"gunicorn-{self.name}.log"

    def start(self) -> Server:
        env = {**self.env, "PUBLIC_BASE_URL": self.base}
        cmd = [str(VENV / "gunicorn"), "--bind", f"127.0.0.1:{self.port}"]
        cmd += ["--workers", str(self.workers), *self.worker_args, "--timeout", "300"]
        cmd += ["--error-logfile", str(self.error_log), "--log-level", "warning", "wsgi:app"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
        deadline = time.time() + self.start_seconds
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise click.ClickException(f"{self.name} server did not start (see {self.error_log})")
        while len(children(self.proc.pid)) < self.workers and time.time() < deadline:
            time.sleep(0.2)
        for _ in range(self.workers * 4):  # every worker imports the app on its first request
            requests.get(self.base + "/healthz", timeout=10)
        log(f"{self.name} server: {self.workers} workers on {self.base}")
        return self

    def worker_cpu_ticks(self) -> int:
        """utime + stime of the gunicorn workers (clock ticks): the CPU they spent serving."""
        total = 0
        for pid in children(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total

    def worker_memory(self) -> list[dict[str, int]]:
        return [{"pid": p, **rss_kb(p)} for p in children(self.proc.pid)]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Wrk:
    out: Path
    profile: set[str] = field(default_factory=set)
    server: Server | None = None

    def run(
        self,
        name: str,
        url: str,
        script: str,
        args: list[str],
        seconds: float,
        stop_when=None,
    ) -> dict[str, Any]:
        """One wrk run; `stop_when()` (polled) may end it early with SIGINT, as ^C would."""
        result_path = self.out / f"wrk-{name}.json"
        result_path.unlink(missing_ok=True)
        cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--latency"]
        cmd += ["--timeout", "10s", "-s", str(LUA / script), url, "--", *args]
        env = {**os.environ, "BENCH_LUA_DIR": str(LUA), "WRK_JSON": str(result_path)}
        spy = self._profiler(name, seconds)
        ticks = self.server.worker_cpu_ticks() if self.server is not None else None
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if stop_when is not None:
            while proc.poll() is None:
                if stop_when():
                    time.sleep(0.3)  # let the last answers arrive
                    proc.send_signal(signal.SIGINT)
                    break
                time.sleep(0.1)
        text = proc.communicate()[0].decode()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        (self.out / f"wrk-{name}.txt").write_text(text)
        data = json.loads(result_path.read_text())
        result = summarise(name, data)
        if ticks is not None and result["requests"]:
            # the issue-18 yardstick: worker CPU per request served (the workers' /proc)
            spent = (self.server.worker_cpu_ticks() - ticks) / os.sysconf("SC_CLK_TCK")
            result["worker_cpu_ms_per_request"] = round(spent * 1000 / result["requests"], 3)
        return result

    def _profiler(self, name: str, seconds: float):
        if name not in self.profile or self.server is None:
            return None
        path = self.out / f"profile-{name}"
        cmd = [str(VENV / "py-spy"), "record", "--subprocesses", "--pid", str(self.server.proc.pid)]
        cmd += ["--rate", "200", "--format", "raw", "-o", f"{path}.txt"]
        cmd += ["--duration", str(int(seconds) + 5)]
        log(f"py-spy on {name} → {path}.txt")
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Throughput and latency of one wrk run; errors are every non-2xx and socket error."""
    lat = data["latency_us"]
    errors = dict(data["errors"])
    socket_errors = sum(v for k, v in errors.items() if k != "status")
    measured = None
    if data.get("t_start") and data.get("t_end"):
        measured = data["t_end"] - data["t_start"]
    seconds = measured if measured and measured > 0 else data["duration_us"] / 1e6
    counted = data["ok"] + data["bad"]
    return {
        "name": name,
        "requests": counted,
        "seconds": round(seconds, 3),
        "rps": round(counted / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "errors": data["bad"] + socket_errors,
        "non_2xx": data["bad"],
        "socket_errors": socket_errors,
        "bad_statuses": sorted(set(_values(data.get("bad_statuses")))),
        "created": data["created"],
        "repeated": data["repeated"],
    }


def _values(lua_list) -> list:
    """A Lua array comes back as {} when empty, or as {"1": …} from our encoder."""
    if isinstance(lua_list, dict):
        return list(lua_list.values())
    return list(lua_list or [])


# --- the HTTP helpers the scenarios use ---------------------------------------------------


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=600)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=60)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def create_open_activity(api: Api, host: int, invited: list[int], title: str) -> int:
    """A published park-wide 党课 starting in 10 minutes: its check-in window is open now."""
    start = datetime.now(UTC) + timedelta(minutes=10)
    resp = api.post(
        "/api/v1/activities",
        {
            "org_id": host,
            "type": "party_lecture",
            "title": title,
            "starts_at": iso(start),
            "ends_at": iso(start + timedelta(minutes=90)),
            "location": "园区党群服务中心报告厅",
            "invited_org_ids": invited,
            "publish": True,
        },
    )
    if resp.status_code != 201:
        raise click.ClickException(f"could not create the activity: {resp.status_code} {resp.text}")
    return resp.json()["id"]


class Screen(threading.Thread):
    """The secretary's screen: polls the rotating code (and its PNG) and writes the token
    to a file the wrk script re-reads, as phones would scan the newest code."""

    def __init__(self, api: Api, activity_id: int, path: Path, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.api, self.activity_id, self.path, self.every = api, activity_id, path, every
        self.stopped = threading.Event()
        self.png_ms: list[float] = []
        self.errors = 0
        self.refresh()

    def refresh(self) -> None:
        resp = self.api.get(f"/api/v1/activities/{self.activity_id}/checkin-code")
        if resp.status_code != 200:
            self.errors += 1
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(resp.json()["token"] + "\n")
        tmp.replace(self.path)

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.refresh()
            t0 = time.perf_counter()
            resp = self.api.get(f"/api/v1/activities/{self.activity_id}/checkin-code.png")
            if resp.status_code == 200:
                self.png_ms.append((time.perf_counter() - t0) * 1000)
            else:
                self.errors += 1

    def stop(self) -> dict[str, Any]:
        self.stopped.set()
        self.join(10)
        ms = sorted(self.png_ms)
        return {
            "png_polls": len(ms),
            "png_p50_ms": round(statistics.median(ms), 2) if ms else None,
            "png_max_ms": round(ms[-1], 2) if ms else None,
            "screen_errors": self.errors,
        }


# --- scenarios ------------------------------------------------------------------------------


def checkin_burst(
    wrk: Wrk,
    server: Server,
    dsn: str,
    staff: Api,
    manifest: dict,
    data_dir: Path,
    group: str,
    label: str,
    repeat_s: float | None = None,
    opened_s: float = 0,
) -> dict[str, Any]:
    """Distinct members check in once (first answers only), then the same members again.

    With `opened_s`, the members first open the app (`GET /api/v1/me` for that long, cycling
    through them), as a member does before scanning: their principal is then cached, so the
    burst measures the check-in itself rather than each member's first request ever."""
    parks = manifest["groups"][group]["parks"]
    tokens = data_dir / f"tokens-{group}.txt"
    count = manifest["groups"][group]["count"]
    activity = create_open_activity(staff, parks[0], parks[1:], f"基准测试：{label}")
    qr_file = wrk.out / f"qr-{label}.txt"
    screen = Screen(staff, activity, qr_file)
    screen.start()

    def arrived() -> int:
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                "SELECT count(*) FROM attendances WHERE activity_id = %s", (activity,)
            ).fetchone()[0]

    def finished() -> bool:
        return arrived() >= count

    if opened_s:
        wrk.run(
            f"{label}-opened",
            server.base + "/api/v1/me",
            "get.lua",
            [str(tokens), str(WRK_THREADS)],
            opened_s,
        )
    try:
        first = wrk.run(
            f"{label}-first",
            server.base,
            "checkin.lua",
            [str(tokens), str(WRK_THREADS), str(qr_file), "first"],
            seconds=300,
            stop_when=finished,
        )
        repeat = None
        if repeat_s:
            repeat = wrk.run(
                f"{label}-repeat",
                server.base,
                "checkin.lua",
                [str(tokens), str(WRK_THREADS), str(qr_file), "repeat"],
                seconds=repeat_s,
            )
    finally:
        screen_stats = screen.stop()
    with psycopg.connect(dsn) as conn:
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT member_id) FROM attendances WHERE activity_id = %s",
            (activity,),
        ).fetchone()
        ledger, ledger_distinct = conn.execute(
            "SELECT count(*), count(DISTINCT member_id) FROM point_ledger "
            "WHERE source_type = 'activity' AND source_id = %s",
            (activity,),
        ).fetchone()
        totals_off = conn.execute(
            "SELECT count(*) FROM member_points p JOIN (SELECT member_id, sum(delta) s FROM "
            "point_ledger WHERE member_id IN (SELECT member_id FROM attendances WHERE "
            "activity_id = %s) GROUP BY member_id) l USING (member_id) WHERE l.s <> p.total",
            (activity,),
        ).fetchone()[0]
    return {
        "activity_id": activity,
        "members": count,
        "opened_first_s": opened_s,
        "first": first,
        "repeat": repeat,
        "screen": screen_stats,
        "db": {
            "attendance_rows": rows,
            "attendance_members": distinct,
            "ledger_rows": ledger,
            "ledger_members": ledger_distinct,
            "totals_not_equal_ledger": totals_off,
            "exact": rows == distinct == ledger == ledger_distinct == count and totals_off == 0,
        },
    }


def time_calls(api: Api, path: str, n: int, **params) -> dict[str, Any]:
    """Median of n timed calls after one untimed call (which warms the worker's caches)."""
    first = api.get(path, **params)
    if first.status_code != 200:
        return {"status": first.status_code, "skipped": first.text[:200]}
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = api.get(path, **params)
        times.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            return {"status": resp.status_code, "skipped": resp.text[:200]}
    return {
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "max_s": round(max(times), 4),
        "n": n,
        "bytes": len(first.content),
    }


def reports(base: str, manifest: dict, n: int, year: int, scopes=("branch", "park", "city")):
    """Attendance, compliance, members (and study when it exists) for a branch, park, city."""
    users = manifest["users"]
    orgs = {
        "branch": (users["park"]["token"], manifest["sample_branch_id"]),
        "park": (users["park"]["token"], manifest["sample_park_id"]),
        "city": (users["city"]["token"], manifest["work_committee_id"]),
    }
    kinds = {
        "attendance": ("/api/v1/reports/attendance", {}),
        "compliance": ("/api/v1/reports/compliance", {"year": year}),
        "study": ("/api/v1/reports/study", {}),
        "members": ("/api/v1/reports/members", {"year": year}),
    }
    out: dict[str, Any] = {}
    for kind, (path, params) in kinds.items():
        for scope in scopes:
            if kind == "members" and scope == "city" and n > 2:
                continue  # 100,000 rows of JSON: measured at park scale only
            token, org_id = orgs[scope]
            result = time_calls(Api(base, token), path, n, org_id=org_id, **params)
            out[f"{kind}/{scope}"] = result
            log(f"report {kind}/{scope}: {result}")
            if result.get("status") == 404:
                break  # the report does not exist (yet)
    return out


def scheduler_memory(env: dict[str, str], out: Path, limit: float = 240) -> dict[str, Any]:
    """Start `flask run-scheduler`, wait for its first tick to finish, read its RSS, stop it."""
    logf = out / "scheduler.log"
    with logf.open("w") as fh:
        proc = subprocess.Popen(
            [str(VENV / "flask"), "--app", "wsgi", "run-scheduler"],
            env={**env, "LOG_LEVEL": "INFO"},
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    t0 = time.time()
    ticked = False
    while time.time() - t0 < limit and proc.poll() is None:
        if "tick:" in logf.read_text() or "tick failed" in logf.read_text():
            ticked = True
            break
        time.sleep(0.5)
    mem = rss_kb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    tick = re.search(r"tick: (\{.*\})", logf.read_text())
    return {
        **mem,
        "first_tick_done": ticked,
        "first_tick_s": round(time.time() - t0, 1),
        "tick": tick.group(1)[:300] if tick else None,
    }


def fanout(env: dict[str, str], members: int) -> dict[str, Any]:
    proc = run(
        [str(VENV / "python"), str(HERE / "fanout.py"), "--members", str(members)],
        env,
        capture_output=True,
        text=True,
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    best = statistics.median(r["seconds"] for r in data["runs"])
    data["median_s"] = best
    data["per_s"] = round(data["members"] / best, 1)
    return data


def wrk_get(wrk: Wrk, name: str, url: str, tokens: str, warm_s: float, run_s: float):
    args = [tokens, str(WRK_THREADS)]
    wrk.run(f"{name}-warm", url, "get.lua", args, warm_s)
    result = wrk.run(name, url, "get.lua", args, run_s)
    log(
        f"{name}: {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"errors {result['errors']}"
    )
    return result


# --- the run --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def cmd(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "",
    )
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    with psycopg.connect(PG_ADMIN) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        shared = conn.execute("SHOW shared_buffers").fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": cmd("uname", "-r"),
        "python": sys.version.split()[0],
        "postgresql": pg,
        "shared_buffers": shared,
        "gunicorn": cmd(str(VENV / "gunicorn"), "--version"),
        "wrk": cmd("wrk", "-v").splitlines()[0] if cmd("wrk", "-v") else "",
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


@click.command()
@click.option("--quick", is_flag=True, help="tiny data and second-long runs (smoke mode)")
@click.option("--reuse", is_flag=True, help="keep the databases and data of the last run")
@click.option("--profile", default="", help="comma-separated scenario names to run py-spy on")
@click.option("--skip", default="", help="comma-separated parts to skip: sqlite,small,scheduler")
@click.option(
    "--redis",
    default="",
    help="REDIS_URL for the city server (as in production); empty: without Redis",
)
def main(quick: bool, reuse: bool, profile: str, skip: str, redis: str) -> None:
    """Run every scenario and write scripts/bench/out/results-<timestamp>.json."""
    mode = "quick" if quick else "full"
    size = SIZES[mode]
    skipped = {s for s in skip.split(",") if s}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = HERE / "out"
    work = out / f"run-{mode}"
    work.mkdir(parents=True, exist_ok=True)
    secrets_file = work / "secrets.json"
    if reuse and secrets_file.exists():
        keys = json.loads(secrets_file.read_text())
    else:
        keys = {
            "SECRET_KEY": secrets.token_urlsafe(36),
            "JWT_SECRET_KEY": secrets.token_urlsafe(36),
        }
        secrets_file.write_text(json.dumps(keys))
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DATABASE_URL"))},
        **keys,
        "ENV_NAME": "production",
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        "REDIS_URL": redis,
        "CACHE_KEY_PREFIX": f"bench{stamp}:",  # a fresh namespace: no copy of another run
    }
    workers = 2 * (os.cpu_count() or 1) + 1
    results: dict[str, Any] = {
        "mode": mode,
        "started_at": stamp,
        "machine": machine(),
        "workers": workers,
        "connections": CONNECTIONS,
        "wrk_threads": WRK_THREADS,
        "qr_rotate_seconds": 15,
        "redis": bool(redis),
        "command": "scripts/bench/run.sh" + (" --quick" if quick else ""),
    }
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    names = {"city": f"{DB_PREFIX}_{mode}", "park": f"{DB_PREFIX}_{mode}_park"}
    data_dirs = {k: work / f"data-{k}" for k in ("city", "park", "sqlite")}
    sqlite_path = work / "park.sqlite"

    # -- data ------------------------------------------------------------------------------
    gen_kw = {"burst": size["burst"], "warmup": size["warmup"], "sample": size["sample"]}
    manifests = {}
    for key in ("city", "park"):
        if key == "park" and "small" in skipped:
            continue
        url = pg_url(names[key])
        if reuse and (data_dirs[key] / "manifest.json").exists():
            manifests[key] = json.loads((data_dirs[key] / "manifest.json").read_text())
            continue
        log(f"creating {names[key]} and generating the {key}-sized set")
        recreate_database(names[key])
        migrate(base_env, url)
        t0 = time.perf_counter()
        manifests[key] = generate(base_env, url, None, size[key], data_dirs[key], now, **gen_kw)
        manifests[key]["wall_seconds"] = round(time.perf_counter() - t0, 1)
    if "sqlite" not in skipped and not (reuse and (data_dirs["sqlite"] / "manifest.json").exists()):
        log("generating the park-sized SQLite set")
        for p in work.glob("park.sqlite*"):
            p.unlink()
        migrate(base_env, f"sqlite:///{sqlite_path}")
        manifests["sqlite"] = generate(
            base_env,
            None,
            sqlite_path,
            size["park"],
            data_dirs["sqlite"],
            now,
            burst=2000,
            warmup=0,
            sample=300,
        )
    elif "sqlite" not in skipped:
        manifests["sqlite"] = json.loads((data_dirs["sqlite"] / "manifest.json").read_text())
    results["data"] = {
        k: {"counts": m["counts"], "seconds": m["seconds"], "plan": m["plan"], "seed": m["seed"]}
        for k, m in manifests.items()
    }

    # -- the city on PostgreSQL ------------------------------------------------------------------
    city = manifests["city"]
    city_dir = data_dirs["city"]
    city_env = {**base_env, "DATABASE_URL": pg_url(names["city"])}
    server = Server("city", city_env, workers, work).start()
    wrk = Wrk(work, {p for p in profile.split(",") if p}, server)
    scen: dict[str, Any] = {}
    results["scenarios"] = scen
    year = (datetime.now(UTC) + timedelta(hours=8)).year  # the Shanghai year
    try:
        sample = str(city_dir / "tokens-sample.txt")
        scen["json"] = wrk_get(
            wrk, "json", server.base + "/healthz", "-", size["warm_s"], size["run_s"]
        )
        scen["me"] = wrk_get(
            wrk, "me", server.base + "/api/v1/me", sample, size["warm_s"], size["run_s"]
        )
        # the no-op as a phone repeats it: 200 members whose tokens the workers have seen
        warm_tokens = work / "tokens-warm.txt"
        warm_tokens.write_text("\n".join(Path(sample).read_text().split()[:200]) + "\n")
        scen["me_warm"] = wrk_get(
            wrk,
            "me_warm",
            server.base + "/api/v1/me",
            str(warm_tokens),
            size["warm_s"],
            size["run_s"],
        )
        staff = Api(server.base, city["users"]["city"]["token"])
        log("check-in warm-up (other members, another activity)")
        scen["checkin_warmup"] = checkin_burst(
            wrk,
            server,
            city_env["DATABASE_URL"],
            staff,
            city,
            city_dir,
            "warmup",
            "checkin-warm",
        )
        log("check-in burst")
        burst = checkin_burst(
            wrk,
            server,
            city_env["DATABASE_URL"],
            staff,
            city,
            city_dir,
            "burst",
            "checkin",
            repeat_s=size["run_s"],
            opened_s=size["warm_s"],
        )
        scen["checkin"] = burst["first"]
        scen["checkin_repeat"] = burst["repeat"]
        scen["checkin_burst"] = burst
        log(f"check-in: {burst['first']}; db {burst['db']}; screen {burst['screen']}")
        png = server.base + f"/api/v1/activities/{burst['activity_id']}/checkin-code.png"
        staff_tokens = work / "tokens-staff.txt"
        staff_tokens.write_text(city["users"]["city"]["token"] + "\n")
        scen["qr_png"] = wrk_get(
            wrk, "qr_png", png, str(staff_tokens), size["warm_s"], size["run_s"]
        )
        scen["home"] = wrk_get(
            wrk, "home", server.base + "/api/mp/v1/home", sample, size["warm_s"], size["run_s"]
        )
        scen["points_me"] = wrk_get(
            wrk,
            "points_me",
            server.base + "/api/v1/points/me",
            sample,
            size["warm_s"],
            size["run_s"],
        )
        board = "/api/v1/points/leaderboard?scope=park&period=month"
        member_token = (city_dir / "tokens-sample.txt").read_text().split()[0]
        probe = Api(server.base, member_token).get(board)
        if probe.status_code == 200 and probe.json().get("me") is not None:
            scen["leaderboard"] = wrk_get(
                wrk, "leaderboard", server.base + board, sample, size["warm_s"], size["run_s"]
            )
        else:
            scen["leaderboard"] = {"skipped": f"{probe.status_code}: not available in this tree"}
        log("reports")
        results["reports"] = reports(server.base, city, size["report_n"], year)
        # production's scheduler freezes each month, quarter and year 10 days after it ends;
        # the generated data has none frozen: the open year's matrix as the committee sees it
        # is measured again once they are (the live part is then only the open periods)
        t0 = time.perf_counter()
        run(
            [str(VENV / "flask"), "--app", "wsgi", "periods", "close-due"],
            city_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        closing_s = round(time.perf_counter() - t0, 1)
        city_token, top = city["users"]["city"]["token"], city["work_committee_id"]
        due = time_calls(
            Api(server.base, city_token),
            "/api/v1/reports/compliance",
            size["report_n"],
            org_id=top,
            year=year,
        )
        results["reports"]["compliance/city, due periods closed"] = {**due, "close_s": closing_s}
        log(f"report compliance/city after closing the due periods ({closing_s} s): {due}")
        log("reminder fan-out")
        results["fanout"] = fanout(city_env, min(size["fanout"], size["city"]["members"]))
        log(f"fan-out: {results['fanout']}")
        results["memory"] = {"web_workers": server.worker_memory()}
    finally:
        server.stop()
    if "scheduler" not in skipped:
        log("scheduler memory (first tick on the city)")
        results["memory"]["scheduler"] = scheduler_memory(city_env, work)

    # -- the branch report on the park-sized set --------------------------------------------------
    if "park" in manifests:
        park_env = {**base_env, "DATABASE_URL": pg_url(names["park"])}
        small = Server("park", park_env, 2, work).start()
        try:
            results["reports_small"] = reports(
                small.base, manifests["park"], size["report_n"], year, scopes=("branch",)
            )
        finally:
            small.stop()

    # -- SQLite, the embedded default -------------------------------------------------------------
    if "sqlite" in manifests:
        sq_env = {**base_env, "DATABASE_URL": f"sqlite:///{sqlite_path}"}
        sq = Server("sqlite", sq_env, workers, work).start()
        wrk.server = sq
        try:
            sq_dir = data_dirs["sqlite"]
            sq_sample = str(sq_dir / "tokens-sample.txt")
            results["sqlite_me"] = wrk_get(
                wrk, "sqlite-me", sq.base + "/api/v1/me", sq_sample, size["warm_s"], size["run_s"]
            )
            burst = sqlite_burst(wrk, sq, manifests["sqlite"], sq_dir, sqlite_path, size["run_s"])
            results["sqlite_checkin"] = burst
        finally:
            sq.stop()
        locked = (
            sq.error_log.read_text().count("database is locked") if sq.error_log.exists() else 0
        )
        results["sqlite_checkin"]["database_locked_in_log"] = locked

    results["finished_at"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    results["summary"] = summary(results)
    path = out / f"results-{stamp}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    click.echo(markdown(results))
    click.echo(f"\nresults: {path.relative_to(ROOT)}")


def sqlite_burst(wrk: Wrk, server: Server, manifest, data_dir, path: Path, run_s):
    """The burst on SQLite: every park member checks in once, then again; rows checked."""
    import sqlite3

    staff = Api(server.base, manifest["users"]["city"]["token"])

    def count(activity: int) -> int:
        with sqlite3.connect(path, timeout=30) as conn:
            return conn.execute(
                "SELECT count(*) FROM attendances WHERE activity_id = ?", (activity,)
            ).fetchone()[0]

    parks = manifest["groups"]["burst"]["parks"]
    members = manifest["groups"]["burst"]["count"]
    activity = create_open_activity(staff, parks[0], parks[1:], "基准测试：SQLite 签到")
    qr_file = wrk.out / "qr-sqlite.txt"
    screen = Screen(staff, activity, qr_file)
    screen.start()
    tokens = str(data_dir / "tokens-burst.txt")
    try:
        first = wrk.run(
            "sqlite-checkin-first",
            server.base,
            "checkin.lua",
            [tokens, str(WRK_THREADS), str(qr_file), "first"],
            seconds=120,
            stop_when=lambda: count(activity) >= members,
        )
        repeat = wrk.run(
            "sqlite-checkin-repeat",
            server.base,
            "checkin.lua",
            [tokens, str(WRK_THREADS), str(qr_file), "repeat"],
            seconds=run_s,
        )
    finally:
        screen_stats = screen.stop()
    with sqlite3.connect(path, timeout=30) as conn:
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT member_id) FROM attendances WHERE activity_id = ?",
            (activity,),
        ).fetchone()
        ledger = conn.execute(
            "SELECT count(*) FROM point_ledger WHERE source_type = 'activity' AND source_id = ?",
            (activity,),
        ).fetchone()[0]
    log(f"sqlite check-in: {first}; rows {rows}/{members}")
    return {
        "members": members,
        "first": first,
        "repeat": repeat,
        "screen": screen_stats,
        "db": {
            "attendance_rows": rows,
            "attendance_members": distinct,
            "ledger_rows": ledger,
            "exact": rows == distinct == ledger == members,
        },
    }


def summary(r: dict[str, Any]) -> dict[str, Any]:
    """The ratios and the targets of issue 8, each met or missed."""
    s = r.get("scenarios", {})

    def rps(name):
        v = s.get(name) or {}
        return v.get("rps")

    json_rps, me_rps = rps("json"), rps("me")
    checkin = s.get("checkin") or {}
    burst_db = (s.get("checkin_burst") or {}).get("db", {})
    rep = r.get("reports", {})
    small = r.get("reports_small", {})
    growth = {}
    for kind in ("attendance", "compliance", "members", "study"):
        big, little = rep.get(f"{kind}/branch", {}), small.get(f"{kind}/branch", {})
        if big.get("median_s") and little.get("median_s"):
            growth[kind] = round(big["median_s"] / little["median_s"], 2)
    workers = (r.get("memory") or {}).get("web_workers") or []
    rss_max = max((w.get("rss_kb", 0) for w in workers), default=0) / 1024
    city_compliance = (rep.get("compliance/city") or {}).get("median_s")
    city_compliance_due = (rep.get("compliance/city, due periods closed") or {}).get("median_s")
    fan = (r.get("fanout") or {}).get("per_s")
    out = {
        "checkin_vs_json": ratio(rps("checkin"), json_rps),
        "checkin_vs_me": ratio(rps("checkin"), me_rps),
        "checkin_repeat_vs_json": ratio(rps("checkin_repeat"), json_rps),
        "leaderboard_vs_json": ratio(rps("leaderboard"), json_rps),
        "qr_vs_json": ratio(rps("qr_png"), json_rps),
        "home_vs_json": ratio(rps("home"), json_rps),
        "points_me_vs_json": ratio(rps("points_me"), json_rps),
        "me_vs_json": ratio(me_rps, json_rps),
        "me_warm_vs_json": ratio(rps("me_warm"), json_rps),
        "branch_growth": growth,
        "city_compliance_s": city_compliance,
        "city_compliance_due_closed_s": city_compliance_due,
        "fanout_per_s": fan,
        "rss_max_mb": round(rss_max, 1),
    }
    lb = out["leaderboard_vs_json"]
    g = growth.get("attendance"), growth.get("compliance")
    out["targets"] = {
        "checkin ≥ 0.25 × JSON": verdict(
            None if out["checkin_vs_json"] is None else out["checkin_vs_json"] >= 0.25
        ),
        "checkin p99 ≤ 50 ms": verdict(
            checkin.get("p99_ms") is not None and checkin["p99_ms"] <= TARGETS["checkin_p99_ms"]
        ),
        "checkin zero errors": verdict(
            checkin.get("errors") == 0 and (s.get("checkin_repeat") or {}).get("errors") == 0
        ),
        "checkin zero duplicates (exact rows)": verdict(burst_db.get("exact")),
        "leaderboard ≥ 0.35 × JSON": verdict(None if lb is None else lb >= 0.35),
        "authenticated no-op (warm) ≥ 0.5 × JSON": verdict(
            None if out["me_warm_vs_json"] is None else out["me_warm_vs_json"] >= 0.5
        ),
        "home ≥ 0.25 × JSON": verdict(
            None if out["home_vs_json"] is None else out["home_vs_json"] >= 0.25
        ),
        "QR image ≥ 0.5 × JSON": verdict(
            None if out["qr_vs_json"] is None else out["qr_vs_json"] >= 0.5
        ),
        "branch report growth ≤ 1.5×": verdict(
            None if None in g else max(g) <= TARGETS["branch_growth"]
        ),
        "city compliance ≤ 2 s": verdict(
            None if city_compliance is None else city_compliance <= TARGETS["city_compliance_s"]
        ),
        "fan-out ≥ 2,000/s": verdict(None if fan is None else fan >= TARGETS["fanout_per_s"]),
        "RSS ≤ 150 MB per worker": verdict(None if not workers else rss_max <= TARGETS["rss_mb"]),
    }
    # issue 18: worker CPU per request (the workers' /proc), each beside /healthz's
    cpu_budgets = {
        "me_warm": 1.5,
        "checkin": 4.0,
        "checkin_repeat": 2.0,
        "leaderboard": 3.0,
        "qr_png": 1.0,
        "home": 4.0,
    }
    json_cpu = (s.get("json") or {}).get("worker_cpu_ms_per_request")
    out["worker_cpu_ms"] = {
        name: (s.get(name) or {}).get("worker_cpu_ms_per_request")
        for name in ("json", *cpu_budgets, "me", "points_me")
    }
    for name, budget in cpu_budgets.items():
        cpu = out["worker_cpu_ms"][name]
        out["targets"][f"{name} worker CPU ≤ {budget} ms (JSON: {json_cpu} ms)"] = verdict(
            None if cpu is None else cpu <= budget
        )
    sq = r.get("sqlite_checkin")
    if sq:
        out["targets"]["SQLite: no 'database is locked', exact rows"] = verdict(
            sq["first"]["errors"] == 0
            and sq["repeat"]["errors"] == 0
            and sq.get("database_locked_in_log", 0) == 0
            and sq["db"]["exact"]
        )
    return out


def markdown(r: dict[str, Any]) -> str:
    s, summ = r.get("scenarios", {}), r["summary"]
    json_rps = (s.get("json") or {}).get("rps")
    lines = [
        f"## Results ({r['mode']}, {r['started_at']})",
        "",
        f"gunicorn {r['workers']} sync workers, wrk {r['wrk_threads']} threads × "
        f"{r['connections']} connections, loopback; PostgreSQL {r['machine']['postgresql']}.",
        "",
        "| scenario | req/s | ÷ JSON | p50 ms | p99 ms | errors | worker CPU ms/request |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        "json": "JSON calibration `GET /healthz`",
        "me": "`GET /api/v1/me`, each member's first request",
        "me_warm": "authenticated no-op `GET /api/v1/me`, 200 members again",
        "checkin": "check-in burst, first check-ins",
        "checkin_repeat": "check-in repeats (same members)",
        "qr_png": "QR image `checkin-code.png`",
        "home": "`GET /api/mp/v1/home`",
        "points_me": "`GET /api/v1/points/me`",
        "leaderboard": "leaderboard (park, month) with own rank",
    }
    for key, label in labels.items():
        v = s.get(key) or {}
        if "rps" not in v:
            lines.append(f"| {label} | skipped: {v.get('skipped', 'not run')} | | | | | |")
            continue
        lines.append(
            f"| {label} | {v['rps']:,.0f} | {ratio(v['rps'], json_rps) or ''} | {v['p50_ms']} | "
            f"{v['p99_ms']} | {v['errors']} | {v.get('worker_cpu_ms_per_request', '')} |"
        )
    sq = r.get("sqlite_checkin")
    if sq:
        for key in ("first", "repeat"):
            v = sq[key]
            lines.append(
                f"| SQLite check-in, {key} ({sq['members']} members) | {v['rps']:,.0f} | | "
                f"{v['p50_ms']} | {v['p99_ms']} | {v['errors']} | "
                f"{v.get('worker_cpu_ms_per_request', '')} |"
            )
    burst = s.get("checkin_burst") or {}
    if burst:
        db = burst["db"]
        lines += [
            "",
            f"Check-in burst: {burst['members']} members → {db['attendance_rows']} attendance "
            f"rows, {db['ledger_rows']} ledger entries, totals ≠ ledger: "
            f"{db['totals_not_equal_ledger']} (exact: {db['exact']}). Screen polling the PNG "
            f"during the burst: {burst['screen']}.",
        ]
    lines += ["", "| report | scope | median s | min s | max s | KB |"]
    lines += ["| --- | --- | ---: | ---: | ---: | ---: |"]
    for key, v in (r.get("reports") or {}).items():
        kind, scope = key.split("/")
        if "median_s" in v:
            lines.append(
                f"| {kind} | {scope} | {v['median_s']} | {v['min_s']} | {v['max_s']} | "
                f"{v['bytes'] // 1024} |"
            )
        else:
            lines.append(f"| {kind} | {scope} | skipped ({v.get('status')}) | | | |")
    for key, v in (r.get("reports_small") or {}).items():
        if "median_s" in v:
            kind, scope = key.split("/")
            lines.append(
                f"| {kind} | {scope} (park-sized set) | {v['median_s']} | {v['min_s']} | "
                f"{v['max_s']} | {v['bytes'] // 1024} |"
            )
    mem = r.get("memory") or {}
    workers = mem.get("web_workers") or []
    sched = mem.get("scheduler") or {}
    lines += [
        "",
        f"Fan-out: {summ['fanout_per_s']} notifications/s. Web worker RSS (MB): "
        + ", ".join(f"{w.get('rss_kb', 0) / 1024:.0f}" for w in workers)
        + f"; scheduler RSS: {sched.get('rss_kb', 0) / 1024:.0f} MB "
        f"(first tick done: {sched.get('first_tick_done')}).",
        "",
        "| target | result |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v} |" for k, v in summ["targets"].items()]
    lines += [
        "",
        "Ratios: "
        + ", ".join(f"{k} {v}" for k, v in summ.items() if k != "targets" and v is not None),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    shutil.which("wrk") or sys.exit("wrk is not installed: run scripts/bench/run.sh")
    main()
