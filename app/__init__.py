"""Application factory: config → extensions → errors → blueprints → commands."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from app.config import check_production_secrets, load_config
from app.errors import APIError, register_error_handlers
from app.extensions import db, jwt, limiter, migrate
from app.openapi import Api

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
BODY_TYPES = frozenset({"application/json", "multipart/form-data"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class IdConverter(IntegerConverter):
    """`<int:…>` ids are bounded to a 32-bit signed integer: a larger one is a 404, not an
    overflow deep in the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class RequestIdFilter(logging.Filter):
    """Put the request id on every log record emitted inside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only annotate it."""
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def create_app(
    config: Mapping[str, Any] | None = None,
    surfaces: Iterable[Callable[[Api], None]] = (),
) -> Flask:
    """Build the app; `surfaces` register extra blueprint sets (the mini-program API)."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, config)
    app.json.ensure_ascii = False  # Chinese stays readable in answers and logs
    app.json.sort_keys = False
    check_production_secrets(app)
    if app.config["PROXY_FIX_HOPS"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # the client address (rate limits, logs) from exactly that many trusted proxies;
        # without it X-Forwarded-For is ignored, so a client cannot forge its address
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    _configure_logging(app)

    from app import models  # noqa: F401 — every model registered before migrations look

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    jwt.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        from app.db import tune_sqlite

        tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    from app.db import init_replica

    init_replica(app, _replica_engine_options(app))
    _init_cors(app)
    _init_redis(app)
    _init_wechat(app)
    _init_push(app)

    register_error_handlers(app)
    from app import principals  # noqa: F401 — serves principals to app.auth, registers bumps
    from app.auth import init_jwt

    init_jwt(app)
    _request_hooks(app)

    app.url_map.converters["int"] = IdConverter  # before any route is added
    api = Api(app, spec_kwargs=_spec_kwargs())
    app.extensions["smorest_api"] = api
    app.extensions["started_at"] = datetime.now(UTC)  # /readyz: the scheduler's first seconds
    from app.api import register_blueprints

    register_blueprints(api)
    for register in surfaces:
        register(api)
    from app.openapi_zh import localize

    localize(app, api.spec)  # Chinese summaries, the introduction, no lock on public routes
    from app.web import register_web

    register_web(app)

    from app.commands import register_commands

    register_commands(app)
    return app


def _spec_kwargs() -> dict[str, Any]:
    return {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "security": [{"bearerAuth": []}],
    }


class ZonedFormatter(logging.Formatter):
    """Log times in the configured zone, with its offset (2026-11-30 23:04:05+08:00)."""

    def __init__(self, fmt: str, zone: str) -> None:
        super().__init__(fmt)
        from zoneinfo import ZoneInfo

        self.zone = ZoneInfo(zone)

    def formatTime(self, record, datefmt=None):
        """The record's instant in the zone, to the second, with the UTC offset."""
        moment = datetime.fromtimestamp(record.created, self.zone)
        return moment.isoformat(sep=" ", timespec="seconds")


def _configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        ZonedFormatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
            app.config["TIMEZONE"],
        )
    )
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.logger.propagate = False
    root_app_log = logging.getLogger("app")
    root_app_log.handlers[:] = [handler]
    root_app_log.setLevel(app.config["LOG_LEVEL"])
    root_app_log.propagate = False


def _init_cors(app: Flask) -> None:
    """CORS only for the configured origins (none by default: the mini-program needs none)."""
    origins = [o.strip() for o in app.config["CORS_ORIGINS"].split(",") if o.strip()]
    if origins:
        from flask_cors import CORS

        CORS(
            app,
            resources={r"/api/*": {"origins": origins}},
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Content-Disposition"],
            supports_credentials=False,  # bearer tokens, never cookies
            max_age=600,
        )


def _init_redis(app: Flask) -> None:
    app.extensions["party_redis"] = None
    if app.config["REDIS_URL"]:
        import redis

        app.extensions["party_redis"] = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5
        )


def _init_wechat(app: Flask) -> None:
    from app.notify.push import DatabaseTokenCache
    from app.wechat import client_from_config

    # one access token for every worker and the scheduler: renewing it invalidates the old one
    cache = DatabaseTokenCache(f"{app.config['WECHAT_API_BASE']}|{app.config['WECHAT_APPID']}")
    app.extensions["wechat"] = client_from_config(app.config, token_cache=cache)


def _replica_engine_options(app: Flask) -> dict[str, Any]:
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        options = {"connect_args": {"connect_timeout": 3}}
    # the replica keeps its ping (a report is no hot path): use_replica's checkout must find a
    # replica that went down and leave the reports on the primary
    options["pool_pre_ping"] = True
    return options


def _init_push(app: Flask) -> None:
    from app.notify.ratelimit import rate_limit_from_config

    app.extensions["push_rate_limit"] = rate_limit_from_config(app.config)
    if app.config["BROKER_URL"]:
        from app.notify.tasks import celery_init_app

        celery_init_app(app)


def _request_hooks(app: Flask) -> None:
    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        has_body = request.content_length or request.headers.get("Transfer-Encoding")
        if request.content_length is None and has_body:
            # a chunked body has no length to check up front, and werkzeug's reader stops
            # quietly at MAX_CONTENT_LENGTH (a cut body then looks malformed): read it once,
            # cached for every parser, and one byte more — past the limit that raises 413
            request.get_data(cache=True)
            request.stream.read(1)
        if (
            request.method in ("POST", "PUT", "PATCH")
            and has_body
            and request.mimetype not in BODY_TYPES
        ):
            raise APIError(
                415,
                "request.unsupported_media_type",
                "请求体格式不受支持，请使用 application/json",
                {"content_type": request.mimetype or None},
            )

    from app.auth import enforce_access

    app.before_request(enforce_access)  # after _start: the request id is set for its errors

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
