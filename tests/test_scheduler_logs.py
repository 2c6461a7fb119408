"""Scheduler logs and readiness (issue 17): times with their zone, no line per idle tick (a
line per tick that did something, a heartbeat every ten minutes), a loud warning when WeChat
pushes are off, and /readyz saying `starting` in the server's first seconds."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from app import ZonedFormatter
from app.notify import scheduler
from app.notify.scheduler import acquire_lease, log_tick, push_warnings

T = datetime(2026, 11, 30, 15, 4, tzinfo=UTC)


@pytest.fixture
def fresh_state(monkeypatch):
    monkeypatch.setattr(scheduler, "_state", {})


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.notify.scheduler"]


def test_idle_ticks_are_quiet_with_a_heartbeat_every_ten_minutes(fresh_state, caplog):
    caplog.set_level(logging.INFO, logger="app.notify.scheduler")
    for minute in range(10):  # ten idle minutes: nothing said
        log_tick({"sent": 0, "skipped": 0}, T + timedelta(minutes=minute))
    assert _lines(caplog) == []
    log_tick({"sent": 0}, T + timedelta(minutes=10))
    assert _lines(caplog) == ["alive: 11 idle ticks since the last report, nothing due"]
    log_tick({"added_study_evening": 12, "sent": 3, "failed": 0}, T + timedelta(minutes=11))
    assert _lines(caplog)[-1] == "tick: added_study_evening=12, sent=3"
    log_tick({"sent": 0}, T + timedelta(minutes=12))
    assert len(_lines(caplog)) == 2


def test_log_times_carry_their_zone():
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello", None, None)
    record.created = T.timestamp()
    record.request_id = "-"
    line = ZonedFormatter("%(asctime)s %(message)s", "Asia/Shanghai").format(record)
    assert line == "2026-11-30 23:04:00+08:00 hello"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d ", line)


def test_pushes_off_is_said_at_start():
    off = push_warnings({"WECHAT_APPID": "", "WECHAT_SECRET": "s", "WECHAT_TEMPLATES": {}})
    assert len(off) == 1 and "WECHAT_APPID" in off[0] and "OFF" in off[0]
    no_templates = push_warnings({"WECHAT_APPID": "a", "WECHAT_SECRET": "s"})
    assert "WECHAT_TEMPLATES" in no_templates[0]
    on = {"WECHAT_APPID": "a", "WECHAT_SECRET": "s", "WECHAT_TEMPLATES": {"x": "T"}}
    assert push_warnings(on) == []


@pytest.fixture
def app_config():
    return {"SCHEDULER_STARTING_SECONDS": 60}


def test_readyz_says_starting_in_the_first_seconds(app, client):
    assert client.get("/readyz").json["scheduler"] == "starting"
    acquire_lease("x", datetime.now(UTC), 30)
    assert client.get("/readyz").json["scheduler"] == "ok"
    # once the first seconds are over, no scheduler is `absent` again
    app.extensions["started_at"] = datetime.now(UTC) - timedelta(minutes=5)
    acquire_lease("x", datetime.now(UTC) - timedelta(minutes=2), 30)
    assert client.get("/readyz").json["scheduler"] == "stale"
