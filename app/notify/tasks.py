"""Push delivery through Celery when BROKER_URL is set; in-process (as before) when it is not.

The scheduler stays the one clock: each tick it writes the due reminders (app.notify.reminders)
and then calls `deliver_due`. With a broker, `deliver_due` marks the due rows `queued` (one
commit) and sends their ids in batches as `notify.push_batch` tasks; any number of worker
processes (`flask --app wsgi run-push-worker`) take them and push each row with the same
claim, credits, retries and 43101 handling as the in-process path (app.notify.push).

Exactly what a task may do twice is harmless: a task redelivered after its worker died, or a
batch sent again after its lease lapsed, finds the rows it already pushed claimed and skips
them. The broker may lose a message (a Redis restart): the rows stay `queued` until their
lease lapses, then go back to `pending` and the next tick hands them out again.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from celery import Celery, Task
from flask import Flask, current_app
from sqlalchemy import update

from app.extensions import db
from app.notify import models as m
from app.notify.push import due_ids, push_due, push_ids, reap
from app.timeutil import utcnow

log = logging.getLogger(__name__)
TASK = "notify.push_batch"


def celery_init_app(app: Flask) -> Celery:
    """The Celery app for this Flask app (the pattern of the Flask documentation)."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    cfg = app.config
    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=cfg["BROKER_URL"],
        broker_connection_retry_on_startup=True,
        task_default_queue=cfg["PUSH_QUEUE"],
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Acknowledge after the task ran, and put a task back when its worker died: a
        # redelivered batch is safe because every row is claimed in the database.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Sending is waiting on WeChat: threads, not processes; one process per core is plenty.
        worker_pool="threads",
        worker_concurrency=cfg["PUSH_WORKER_CONCURRENCY"],
        worker_hijack_root_logger=False,
        # Redis only: an unacknowledged task is handed out again after this long
        broker_transport_options={"visibility_timeout": cfg["PUSH_VISIBILITY_TIMEOUT_SECONDS"]},
    )
    celery_app.task(name=TASK, ignore_result=True)(push_batch)
    app.extensions["celery"] = celery_app
    return celery_app


def push_batch(ids: list[int]) -> dict[str, int]:
    """Task: push these notifications (each only if nobody has claimed it yet)."""
    counts = push_ids(
        current_app.extensions["wechat"],
        [int(i) for i in ids],
        utcnow,
        current_app.extensions.get("push_rate_limit"),
    )
    log.info("push batch of %s: %s", len(ids), counts)
    return counts


def deliver_due(now: datetime) -> dict[str, int]:
    """The scheduler's push step: hand due rows to the queue, or push them here without one."""
    celery_app: Celery | None = current_app.extensions.get("celery")
    if celery_app is None:
        return push_due(
            current_app.extensions["wechat"], now, limiter=current_app.extensions["push_rate_limit"]
        )
    return dispatch_due(celery_app, now)


def dispatch_due(celery_app: Celery, now: datetime) -> dict[str, int]:
    """Mark due rows `queued` (committed first), then send their ids in task-sized batches."""
    cfg = current_app.config
    reaped = reap(now, timedelta(seconds=cfg["PUSH_QUEUE_LEASE_SECONDS"]))
    ids = due_ids(now, cfg["PUSH_DISPATCH_LIMIT"])
    queued: list[int] = []
    table = m.Notification.__table__
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        queued += db.session.scalars(
            update(table)
            .where(table.c.id.in_(chunk), table.c.push_status == m.PUSH_PENDING)
            .values(push_status=m.PUSH_QUEUED, push_after=now)
            .returning(table.c.id)
        ).all()
    # Committed before the tasks exist: a worker never sees a task whose rows are not yet
    # queued, and a crash between here and the sends only delays them by one lease.
    db.session.commit()
    batch = max(1, cfg["PUSH_TASK_BATCH"])
    tasks = 0
    for start in range(0, len(queued), batch):
        celery_app.send_task(TASK, args=[queued[start : start + batch]], queue=cfg["PUSH_QUEUE"])
        tasks += 1
    return {"queued": len(queued), "tasks": tasks, **reaped}


def run_worker(app: Flask, concurrency: int | None, loglevel: str = "INFO") -> None:
    """Start a Celery worker on the push queue in this process (blocks until stopped)."""
    celery_app: Celery | None = app.extensions.get("celery")
    if celery_app is None:
        raise RuntimeError("BROKER_URL is not set: pushes are sent by the scheduler itself")
    argv = [
        "worker",
        f"--queues={app.config['PUSH_QUEUE']}",
        f"--concurrency={concurrency or app.config['PUSH_WORKER_CONCURRENCY']}",
        f"--loglevel={loglevel}",
        f"--hostname=push-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
    ]
    celery_app.worker_main(argv)
