"""What every page shares: the `web` blueprint, security headers, assets and the error page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from app.auth import Access, access
from app.db import read_beside_writers
from app.errors import APIError, envelope
from app.extensions import db

STATIC_DIR = Path(__file__).parent / "static"
ASSET_MAX_AGE = 365 * 24 * 3600  # versioned URLs (?v=<hash>) never change

# Pages load only their own files: no inline script, no other origin, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # page URLs carry screen tokens: never send them anywhere
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

web = Blueprint("web", __name__, template_folder="templates")


@web.after_request
def _security_headers(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        if key == "Permissions-Policy" and key in response.headers:
            continue  # a page that may ask for more (the check-in page: geolocation) said so
        response.headers[key] = value
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- assets ----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


@web.app_template_global()
def asset_url(path: str) -> str:
    """The URL of a file under app/web/static, versioned by its content."""
    file = STATIC_DIR / path
    version = _digest(path, file.stat().st_mtime_ns)
    return url_for("web.asset", filename=path, v=version)


@web.route("/web/assets/<path:filename>", methods=["GET"])
@access(Access.PUBLIC)
def asset(filename):
    """A script, style sheet or image of the pages (long-cached when versioned)."""
    versioned = bool(request.args.get("v"))
    response = send_from_directory(STATIC_DIR, filename, max_age=ASSET_MAX_AGE if versioned else 60)
    if versioned:
        response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}, immutable"
    return response


def read_only() -> None:
    """Run this request's reads beside writers: on SQLite a DEFERRED transaction takes no lock.

    A screen polling every few seconds must neither wait for nor hold up check-ins.
    """
    read_beside_writers(db.session)


# --- pages and their errors ------------------------------------------------------------------


def web_page(view: Callable) -> Callable:
    """Mark a view as a page: its failures answer with the HTML error page, not JSON."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    wrapper.web_page = True
    return wrapper


ERROR_TITLES = {
    403: "链接无效",
    404: "页面不存在",
    409: "暂不可用",
    410: "链接已过期",
}


@web.errorhandler(APIError)
def _api_error(exc: APIError):
    try:
        db.session.rollback()
    except Exception:  # a dead connection must not hide the original error
        current_app.logger.warning("rollback failed", exc_info=True)
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "web_page", False):
        return envelope(exc.status, exc.code, exc.message, exc.details)
    html = render_template(
        "error.html",
        status=exc.status,
        code=exc.code,
        heading=ERROR_TITLES.get(exc.status, "无法打开页面"),
        message=exc.message,
    )
    return html, exc.status
