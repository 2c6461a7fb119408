"""Layered configuration: annotated defaults → instance/config.py → environment → test mapping.

Every key below is documented in the README. Only upper-case names are configuration.
"""

from __future__ import annotations

import json
import os
import typing
from datetime import timedelta
from pathlib import Path

from flask import Flask

DEV_SECRET = "dev-only-secret-do-not-use-in-production"  # noqa: S105 — refused outside debug/testing


class Defaults:
    """Annotated defaults; the annotation decides how an environment value is parsed."""

    ENV_NAME: str = "development"
    SECRET_KEY: str = DEV_SECRET
    JWT_SECRET_KEY: str = DEV_SECRET
    DATABASE_URL: str = ""  # empty → SQLite file in instance/
    REDIS_URL: str = ""
    CACHE_KEY_PREFIX: str = "party:"  # namespace of this deployment's Redis keys
    PRINCIPAL_CACHE_SECONDS: int = 300  # Redis copy of a resolved principal (versions decide)
    TIMEZONE: str = "Asia/Shanghai"
    PUBLIC_BASE_URL: str = ""  # empty → http://SERVED_ADDRESS (links follow the served port)
    SERVED_ADDRESS: str = "127.0.0.1:5000"  # HOST:PORT actually served (scripts/run.sh sets it)
    CORS_ORIGINS: str = ""  # comma-separated origins allowed to call the API from a browser

    WECHAT_APPID: str = ""
    WECHAT_SECRET: str = ""
    WECHAT_API_BASE: str = "https://api.weixin.qq.com"
    WECHAT_TIMEOUT_SECONDS: float = 5.0
    # the Official Account (公众号) for web authorisation in WeChat's browser; empty → invite only
    WECHAT_OA_APPID: str = ""
    WECHAT_OA_SECRET: str = ""
    SCAN_TICKET_SECONDS: int = 600  # a /c/ page opened in time may finish its check-in after login

    PASSWORD_HASH_METHOD: str = "scrypt"  # noqa: S105 — a method name; tests use a cheap one
    JWT_ACCESS_MINUTES: int = 15
    JWT_REFRESH_DAYS: int = 30
    BIND_TOKEN_SECONDS: int = 600
    INVITE_CODE_DAYS: int = 7

    PER_PAGE_DEFAULT: int = 20
    PER_PAGE_MAX: int = 100
    MAX_CONTENT_LENGTH: int = 5 * 1024 * 1024
    IMPORT_MAX_ROWS: int = 2000
    ATTACHMENT_DIR: str = ""  # meeting-record files; empty → instance/attachments
    ATTACHMENT_MAX_BYTES: int = 4 * 1024 * 1024  # one photo or PDF of the minutes
    ATTACHMENT_MAX_PER_ACTIVITY: int = 20
    IMPORT_MAX_UNZIPPED_BYTES: int = 10 * 1024 * 1024  # an XLSX's declared inflated size
    IMPORT_MAX_COLUMNS: int = 64  # columns read per row of an imported sheet
    JSON_MAX_DEPTH: int = 32  # nesting levels of a JSON body; deeper is 400 request.too_deep

    RATELIMIT_ENABLED: bool = True
    RATELIMIT_LOGIN: str = "10 per minute"  # failed password logins per account
    RATELIMIT_LOGIN_ADDRESS: str = "60 per minute"  # failed logins/bindings per client address
    PROXY_FIX_HOPS: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto to trust
    RATELIMIT_CHECKIN: str = "120 per minute"  # per caller: stops guessing the 6-digit code
    RATELIMIT_QUIZ: str = "30 per minute"  # per caller: daily quiz submissions
    RATELIMIT_SEARCH: str = "30 per minute"  # per caller: member searches (`q=`)
    RATELIMIT_IMPORT: str = "20 per hour"  # per caller: member and question imports

    QR_ROTATE_SECONDS: int = 15  # the check-in QR, 6-digit code and personal code rotate
    QR_GRACE_SECONDS: int = 5  # a token (and the previous 6-digit code) stays valid this long
    CHECKIN_CODE_FAILURES: str = "5 per 5 minutes"  # wrong 6-digit codes per member and activity
    CHECKIN_OPENS_BEFORE_MINUTES: int = 30  # default window, per activity overridable
    CHECKIN_CLOSES_AFTER_MINUTES: int = 30  # counted from the start
    CHECKIN_LATE_AFTER_MINUTES: int = 5  # later than start + this → `late`
    RECRUITMENT_NOTICE_DAYS: int = 5  # 发展对象 public notice (公示) length in days
    GEOFENCE_DEFAULT_RADIUS_M: int = 300
    MAKEUP_REQUEST_DAYS: int = 3  # members may ask for 补签 until end + this
    PERIOD_CLOSE_DAYS: int = 10  # a month, quarter or year is frozen this many days after it ends
    SQLITE_BUSY_TIMEOUT_MS: int = 15000
    DUES_REMIND_DAY: int = 5  # day of month members who have not paid are reminded (issue 19)
    VISIT_OVERDUE_DAYS: int = 30  # an enterprise without an instructor's visit this long is due
    REQUEST_ESCALATE_DAYS: int = 3  # an overdue request reaches the committee this long after

    STAR_WEIGHTS: dict = {"compliance": 0.5, "attendance": 0.3, "study": 0.2}  # noqa: RUF012
    QUIET_HOURS_START: int = 22  # no push from 22:00 …
    QUIET_HOURS_END: int = 7  # … to 07:00 local; the inbox row waits, the push is deferred
    WECHAT_TEMPLATES: dict = {}  # noqa: RUF012 — copied per app; kind → template id (env: JSON)
    SCHEDULER_TICK_SECONDS: int = 60  # how often due reminders are computed
    SCHEDULER_LEASE_SECONDS: int = 45  # a stopped scheduler's lease lapses after this
    SCHEDULER_MISFIRE_GRACE_SECONDS: int = 600
    SCHEDULER_STARTING_SECONDS: int = 60  # /readyz says `starting` (not absent) this long
    BROKER_URL: str = (
        ""  # redis://… or amqp://…: pushes go through Celery workers; empty: in-process
    )
    PUSH_QUEUE: str = "push"  # the queue name on the broker (one per deployment)
    PUSH_WORKER_CONCURRENCY: int = 8  # sending threads per `run-push-worker` process
    PUSH_TASK_BATCH: int = 50  # notification ids per queued task
    PUSH_DISPATCH_LIMIT: int = 200_000  # rows the scheduler hands to the queue per tick
    PUSH_QUEUE_LEASE_SECONDS: int = 900  # a `queued` row nobody claimed goes back to `pending`
    PUSH_VISIBILITY_TIMEOUT_SECONDS: int = 600  # Redis broker: redeliver an unacked task after
    PUSH_RATE_LIMIT: str = ""  # e.g. "100 per second": shared by all senders (Redis when set)
    DATABASE_REPLICA_URL: str = ""  # a PostgreSQL streaming replica for report reads

    STUDY_BRIEF_MIN_SECONDS: int = 60  # a morning brief counts after this server-measured dwell
    STUDY_LESSON_MIN_FRACTION: float = 0.6  # lessons and articles: this share of stated minutes
    STUDY_BRIEF_MINUTES: int = 5  # stated minutes of a brief (晨会5分钟) unless given
    STUDY_ARTICLE_MINUTES: int = 3  # stated minutes of an article unless given
    STUDY_TODAY_DAYS: int = 7  # lessons and articles stay on the "today" list this many days
    QUIZ_DAILY_QUESTIONS: int = 5  # questions drawn per member and day
    LEADERBOARD_TOP_N: int = 20  # default length of a leaderboard (at most 100)
    LEADERBOARD_CACHE_SECONDS: int = 5  # a top list is shared this long (0: never cached)
    SCREEN_CACHE_SECONDS: int = 2  # the check-in screen's counts are shared this long (Redis)
    DB_POOL_RECYCLE_SECONDS: int = 1800  # PostgreSQL connections older than this are replaced
    DB_POOL_PRE_PING: bool = False  # a round trip per checkout: only behind idle-killing proxies
    LOG_LEVEL: str = "INFO"


def _coerce(raw: str, kind: typing.Any) -> typing.Any:
    """Parse an environment string according to the default's annotation."""
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    if kind is dict:
        return json.loads(raw)
    return raw


def load_config(app: Flask, overrides: typing.Mapping[str, typing.Any] | None = None) -> None:
    """Fill app.config from the four layers, then derive the extension settings."""
    hints = typing.get_type_hints(Defaults)
    for key in hints:
        default = getattr(Defaults, key)
        app.config[key] = dict(default) if isinstance(default, dict) else default

    app.config.from_pyfile("config.py", silent=True)

    for key, kind in hints.items():
        if key in os.environ:
            app.config[key] = _coerce(os.environ[key], kind)

    if overrides:
        app.config.update(overrides)

    _derive(app)


def _derive(app: Flask) -> None:
    """Translate our documented keys into what Flask and its extensions read."""
    cfg = app.config
    url = cfg["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'party.sqlite'}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        cfg.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {
                # no ping per checkout (a round trip per request): connections are recycled
                # before any idle timeout, and a connection found dead answers one 503
                # (app.errors) while SQLAlchemy discards the rest of the worker's pool
                "pool_pre_ping": cfg["DB_POOL_PRE_PING"],
                "pool_recycle": cfg["DB_POOL_RECYCLE_SECONDS"],
                "pool_size": 5,
                "max_overflow": 5,
                "pool_timeout": 5,
                "connect_args": {"connect_timeout": 3},
            },
        )
    cfg["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
    if not cfg["PUBLIC_BASE_URL"]:
        # QR codes, screen and invite links must reach the server that is actually running
        cfg["PUBLIC_BASE_URL"] = f"http://{cfg['SERVED_ADDRESS'] or '127.0.0.1:5000'}"

    cfg["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=cfg["JWT_ACCESS_MINUTES"])
    cfg["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=cfg["JWT_REFRESH_DAYS"])
    cfg["JWT_TOKEN_LOCATION"] = ["headers"]
    cfg["JWT_ERROR_MESSAGE_KEY"] = "message"

    cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"] or "memory://"
    cfg["RATELIMIT_HEADERS_ENABLED"] = True

    cfg["API_TITLE"] = "云上党支部 Cloud Party Branch API"
    cfg["API_VERSION"] = "1.0"
    cfg["OPENAPI_VERSION"] = "3.0.3"
    cfg["OPENAPI_URL_PREFIX"] = "/api"
    cfg["OPENAPI_JSON_PATH"] = "openapi.json"
    cfg["OPENAPI_SWAGGER_UI_PATH"] = "docs"
    cfg["OPENAPI_SWAGGER_UI_URL"] = "/api/docs/assets/"
    cfg["JSON_SORT_KEYS"] = False
    cfg.setdefault("WECHAT_ACCESS_TOKEN_MARGIN_SECONDS", 300)


def check_production_secrets(app: Flask) -> None:
    """Refuse to serve production with the development secrets or short ones."""
    if app.debug or app.testing or app.config["ENV_NAME"] != "production":
        return
    for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = app.config[key]
        if value == DEV_SECRET or len(value) < 32:
            raise RuntimeError(f"{key} must be set to a random value of 32+ characters")
