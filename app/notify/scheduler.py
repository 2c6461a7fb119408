"""The one scheduler process (`flask --app wsgi run-scheduler`): APScheduler 3 with its job
store in the application database, a lease so that a second process started by mistake
stays idle, and a heartbeat that /readyz reports. Web workers never import this module.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import uuid
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.notify.models import SchedulerLease
from app.timeutil import utcnow

log = logging.getLogger(__name__)
LEASE_NAME = "reminders"
_state: dict[str, object] = {}  # the app and owner of this process, for the job functions


def acquire_lease(owner: str, now: datetime, seconds: int) -> bool:
    """Take or renew the lease; True when this owner holds it until now + seconds."""
    until = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == LEASE_NAME,
            (SchedulerLease.owner == owner) | (SchedulerLease.lease_until < now),
        )
        .values(owner=owner, lease_until=until, heartbeat_at=now)
    ).rowcount
    if not taken:
        exists = db.session.scalar(
            select(SchedulerLease.name).where(SchedulerLease.name == LEASE_NAME)
        )
        if exists is None:
            try:
                with db.session.begin_nested():
                    db.session.add(
                        SchedulerLease(
                            name=LEASE_NAME,
                            owner=owner,
                            lease_until=until,
                            heartbeat_at=now,
                            started_at=now,
                        )
                    )
                taken = 1
            except IntegrityError:  # the other process inserted it a moment earlier
                taken = 0
    db.session.commit()
    return bool(taken)


def release_lease(owner: str) -> None:
    """Give the lease up at a clean stop so a successor need not wait for it to lapse."""
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.owner == owner)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def run_tick(now: datetime) -> dict[str, int]:
    """One scheduler step: write due reminders, then push what is due (both idempotent)."""
    from app.activities.expected import fix_due_attendees
    from app.notify.reminders import run_due
    from app.notify.tasks import deliver_due
    from app.reports.periods import close_due_periods
    from app.transfers.services import apply_due

    # expected attendees are fixed when the window closes, before anything counts them; a
    # failure here must not hold up the reminders (the next tick retries)
    try:
        fix_due_attendees(now, limit=100)
        db.session.commit()
        close_due_periods(now, limit=1)  # a backlog is worked off a period a tick
        db.session.commit()
        apply_due(now)  # approved transfers whose effective day has come move their member
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("fixing attendee lists or closing periods failed")
    added = run_due(now)
    db.session.commit()
    pushed = deliver_due(now)  # in this process, or handed to the task queue (BROKER_URL)
    return {**{f"added_{k}": v for k, v in added.items()}, **pushed}


HEARTBEAT_LOG_SECONDS = 600  # an idle scheduler says it is alive every ten minutes


def tick() -> None:
    """Job: when this process holds the lease, run a scheduler step."""
    app: Flask = _state["app"]  # type: ignore[assignment]
    with app.app_context():
        now = utcnow()
        if not acquire_lease(str(_state["owner"]), now, app.config["SCHEDULER_LEASE_SECONDS"]):
            if _state.get("holder") is not False:  # said once, not every minute
                log.info("another scheduler holds the lease; this one stays idle")
            _state["holder"] = False
            return
        if _state.get("holder") is False:
            log.info("lease taken over: this scheduler is now the active one")
        _state["holder"] = True
        try:
            result = run_tick(now)
        except Exception:
            db.session.rollback()
            log.exception("scheduler tick failed")
            return
        log_tick(result, now)


def log_tick(result: dict[str, int], now: datetime) -> None:
    """One line per tick that did something; otherwise a heartbeat every ten minutes."""
    done = {k: v for k, v in result.items() if v}
    idle = int(_state.get("idle_ticks", 0))  # type: ignore[call-overload]
    if done:
        log.info("tick: %s", ", ".join(f"{k}={v}" for k, v in sorted(done.items())))
        _state["idle_ticks"], _state["reported_at"] = 0, now
        return
    _state["idle_ticks"] = idle + 1
    reported = _state.setdefault("reported_at", now)
    if now - reported >= timedelta(seconds=HEARTBEAT_LOG_SECONDS):  # type: ignore[operator]
        log.info("alive: %d idle ticks since the last report, nothing due", idle + 1)
        _state["idle_ticks"], _state["reported_at"] = 0, now


def heartbeat() -> None:
    """Job: renew the lease (and so the heartbeat) between ticks."""
    app: Flask = _state["app"]  # type: ignore[assignment]
    with app.app_context():
        acquire_lease(str(_state["owner"]), utcnow(), app.config["SCHEDULER_LEASE_SECONDS"])


def build_scheduler(app: Flask, owner: str | None = None) -> BlockingScheduler:
    """The configured BlockingScheduler with its two jobs in the persistent job store."""
    _state["app"] = app
    _state["owner"] = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with app.app_context():
        store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
    scheduler = BlockingScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={
            "coalesce": True,  # after downtime run once, not once per missed minute
            "max_instances": 1,
            "misfire_grace_time": app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"],
        },
        timezone=app.config["TIMEZONE"],
    )
    scheduler.add_job(
        "app.notify.scheduler:tick",
        "interval",
        seconds=app.config["SCHEDULER_TICK_SECONDS"],
        id="reminders-tick",
        replace_existing=True,
        next_run_time=datetime.now(scheduler.timezone),
    )
    scheduler.add_job(
        "app.notify.scheduler:heartbeat",
        "interval",
        seconds=max(5, app.config["SCHEDULER_LEASE_SECONDS"] // 3),
        id="scheduler-heartbeat",
        replace_existing=True,
    )
    return scheduler


def push_warnings(config) -> list[str]:
    """Why WeChat pushes will not go out, said loudly at start (reminders still reach the
    in-app inbox)."""
    missing = [k for k in ("WECHAT_APPID", "WECHAT_SECRET") if not config.get(k)]
    if missing:
        return [
            f"WeChat pushes are OFF: {' and '.join(missing)} not set — reminders reach the "
            "in-app inbox only (微信订阅消息未启用，提醒只进入站内消息)"
        ]
    if not config.get("WECHAT_TEMPLATES"):
        return [
            "WeChat pushes are OFF: WECHAT_TEMPLATES is empty — no reminder kind has a "
            "subscribe template, so every push is skipped (未配置订阅消息模板)"
        ]
    return []


def run_scheduler(app: Flask) -> None:
    """Run until interrupted; the lease is released on a clean stop."""
    scheduler = build_scheduler(app)
    # SIGTERM (systemd, scripts/run.sh exiting) stops the loop so the lease is released
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info(
        "scheduler %s starting (tick every %ss, times in %s)",
        _state["owner"],
        app.config["SCHEDULER_TICK_SECONDS"],
        app.config["TIMEZONE"],
    )
    for warning in push_warnings(app.config):
        log.warning(warning)
    # APScheduler logs every run of every job: our tick says what matters
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with app.app_context():
            release_lease(str(_state["owner"]))
