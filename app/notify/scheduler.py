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
from flask import Flask, current_app
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
    from app.notify.push import push_due
    from app.notify.reminders import run_due
    from app.reports.periods import close_due_periods

    # expected attendees are fixed when the window closes, before anything counts them; a
    # failure here must not hold up the reminders (the next tick retries)
    try:
        fix_due_attendees(now, limit=100)
        db.session.commit()
        close_due_periods(now, limit=1)  # a backlog is worked off a period a tick
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("fixing attendee lists or closing periods failed")
    added = run_due(now)
    db.session.commit()
    pushed = push_due(current_app.extensions["wechat"], now)
    return {**{f"added_{k}": v for k, v in added.items()}, **pushed}


def tick() -> None:
    """Job: when this process holds the lease, run a scheduler step."""
    app: Flask = _state["app"]  # type: ignore[assignment]
    with app.app_context():
        now = utcnow()
        if not acquire_lease(str(_state["owner"]), now, app.config["SCHEDULER_LEASE_SECONDS"]):
            log.info("another scheduler holds the lease; idle")
            return
        try:
            result = run_tick(now)
            log.info("tick: %s", result)
        except Exception:
            db.session.rollback()
            log.exception("scheduler tick failed")


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


def run_scheduler(app: Flask) -> None:
    """Run until interrupted; the lease is released on a clean stop."""
    scheduler = build_scheduler(app)
    # SIGTERM (systemd, scripts/run.sh exiting) stops the loop so the lease is released
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("scheduler %s starting", _state["owner"])
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with app.app_context():
            release_lease(str(_state["owner"]))
