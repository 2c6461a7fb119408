"""scripts/run.sh stops what it started: SIGTERM or Ctrl-C (SIGINT) to the script's own pid
leaves no server or scheduler behind (the supervision lives in scripts/_supervise.sh)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose: read its state
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture(params=["wait-n", "poll"], autouse=True)
def mode(request, monkeypatch):
    """Both ways the supervisor waits: `wait -n` (bash ≥ 5.1) and polling (older bash)."""
    if request.param == "poll":
        monkeypatch.setenv("SUPERVISE_POLL", "1")
    else:
        monkeypatch.delenv("SUPERVISE_POLL", raising=False)
    return request.param


def _start(tmp_path: Path, *commands: str) -> subprocess.Popen:
    quoted = " ".join(shlex.quote(c) for c in commands)
    script = f"source {ROOT / 'scripts/_supervise.sh'}; supervise {quoted}"
    # a session of its own, as a terminal would give run.sh; the signal goes to its pid only
    return subprocess.Popen(["bash", "-c", script], cwd=tmp_path, start_new_session=True)


CHILD = """import os, signal, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
if len(sys.argv) > 2:
    signal.signal(signal.SIGTERM, lambda *a: None)
time.sleep(300)
"""


def _child(tmp_path: Path, name: str, trap_term: bool = False) -> str:
    """A long-lived child that writes its pid to `name` (optionally deaf to TERM)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return f"python3 {script} {tmp_path / name}" + (" deaf" if trap_term else "")


# ends with status 3 once the other child is up (so the test never races its start)
WAIT_THEN_FAIL = 'bash -c "until [ -s a.pid ]; do sleep 0.05; done; exit 3"'


def _pid(tmp_path: Path, name: str) -> int | None:
    text = (tmp_path / name).read_text() if (tmp_path / name).exists() else ""
    return int(text) if text else None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_the_script_stops_every_child(tmp_path, sig):
    proc = _start(tmp_path, _child(tmp_path, "a.pid"), _child(tmp_path, "b.pid"))
    try:
        assert _wait_for(lambda: _pid(tmp_path, "a.pid") and _pid(tmp_path, "b.pid"))
        pids = [_pid(tmp_path, n) for n in ("a.pid", "b.pid")]
        assert all(_alive(p) for p in pids)
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=15) in (130, 143)
        assert _wait_for(lambda: not any(_alive(p) for p in pids), 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_child_ignoring_term_is_killed_after_the_grace(tmp_path):
    env = {**os.environ, "SUPERVISE_GRACE": "1"}
    child = _child(tmp_path, "a.pid", trap_term=True)
    script = f"source {ROOT / 'scripts/_supervise.sh'}; supervise {shlex.quote(child)}"
    proc = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, start_new_session=True)
    try:
        assert _wait_for(lambda: _pid(tmp_path, "a.pid"))
        pid = _pid(tmp_path, "a.pid")
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=15) == 143
        assert _wait_for(lambda: not _alive(pid), 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_when_one_child_ends_the_others_are_stopped(tmp_path):
    proc = _start(tmp_path, _child(tmp_path, "a.pid"), WAIT_THEN_FAIL)
    try:
        assert proc.wait(timeout=15) == 3
        pid = _pid(tmp_path, "a.pid")
        assert pid
        assert _wait_for(lambda: not _alive(pid), 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_run_sh_uses_the_supervisor_for_server_and_scheduler():
    text = (ROOT / "scripts/run.sh").read_text()
    supervised = text[text.index("supervise \\") :]
    assert "flask run-scheduler" in supervised and "gunicorn" in supervised
    assert 'export SERVED_ADDRESS="$HOST:$PORT"' in text
