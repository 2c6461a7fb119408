"""Liveness and readiness."""

from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from flask import current_app
from sqlalchemy import text

from app.auth import Access, access
from app.db import replica_status
from app.errors import APIError
from app.extensions import db
from app.notify.services import heartbeat_status
from app.openapi import Blueprint
from app.schemas import LocalDateTime
from app.timeutil import utcnow

blp = Blueprint("health", __name__, url_prefix="", description="Health checks")


class HealthSchema(ma.Schema):
    """Liveness answer."""

    status = ma.fields.String(metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    """Readiness: the database answers; the scheduler's heartbeat is reported, not required."""

    status = ma.fields.String()
    database = ma.fields.String()
    scheduler = ma.fields.String(
        metadata={"description": "ok | starting (first seconds after start) | stale | absent"}
    )
    scheduler_heartbeat_at = LocalDateTime(allow_none=True)
    replica = ma.fields.String(metadata={"description": "ok | down | not_standby | absent"})
    replica_lag_seconds = ma.fields.Float(allow_none=True)


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@access(Access.PUBLIC)
def healthz():
    """The process is up (touches nothing else)."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadySchema)
@access(Access.PUBLIC)
def readyz():
    """The database answers; also the scheduler heartbeat."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:
        raise APIError(
            503, "service.db_unavailable", "数据库暂不可用", {"database": "down"}
        ) from exc
    # a stopped scheduler delays reminders but must not take the API out of rotation
    now = utcnow()
    # the scheduler starts beside the server (scripts/run.sh): give it its first seconds
    started = current_app.extensions.get("started_at", now)
    starting = now - started < timedelta(seconds=current_app.config["SCHEDULER_STARTING_SECONDS"])
    replica = replica_status()  # reports fall back to the primary: a down replica is news
    return {
        "status": "ok",
        "database": "ok",
        **heartbeat_status(now, starting),
        "replica": replica["replica"],
        "replica_lag_seconds": replica.get("lag_seconds"),
    }
