"""APIError and the one JSON error envelope for every failure.

`{"error": {"code": "checkin.window_closed", "message": "签到已结束", "details": {...}}}`
Codes are stable English identifiers; messages are Chinese and may be shown to users.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, g, jsonify
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class APIError(Exception):
    """A failure the client should see: HTTP status, stable code, Chinese message, details."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def not_found(what: str = "资源") -> APIError:
    """A 404 for a missing (or invisible to the caller) object."""
    return APIError(404, "not_found", f"{what}不存在")


def forbidden(message: str = "无权执行此操作") -> APIError:
    """A 403 for an authenticated caller outside their scope."""
    return APIError(403, "auth.forbidden", message)


def validation_error(details: dict[str, Any], message: str = "请求参数有误") -> APIError:
    """A 400 with per-field errors, shaped like marshmallow's messages."""
    return APIError(400, "validation_error", message, details)


# OperationalErrors that mean "the database cannot serve now" (down, restarting, busy).
_UNAVAILABLE = re.compile(
    r"could not connect|connection|server closed|terminating|shutting down|starting up"
    r"|database is locked|timeout|timed out|recovery mode|too many clients",
    re.IGNORECASE,
)

_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("request.bad_request", "请求有误"),
    401: ("auth.required", "请先登录"),
    403: ("auth.forbidden", "无权执行此操作"),
    404: ("not_found", "请求的资源不存在"),
    405: ("request.method_not_allowed", "不支持该请求方法"),
    406: ("request.not_acceptable", "无法提供所请求的格式"),
    409: ("conflict", "与现有数据冲突"),
    410: ("gone", "已失效"),
    413: ("request.too_large", "请求体过大"),
    415: ("request.unsupported_media_type", "请求体格式不受支持，请使用 JSON"),
    422: ("validation_error", "请求参数有误"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误"),
    503: ("service.unavailable", "服务暂不可用，请稍后再试"),
}


# marshmallow speaks English; the mini-program shows field errors to people.
_FIELD_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), "必填项"),
    (re.compile(r"^Field may not be null\.$"), "不能为空"),
    (re.compile(r"^Unknown field\.$"), "未知字段"),
    (re.compile(r"^Not a valid string\.$"), "应为文本"),
    (re.compile(r"^Not a valid integer\.$"), "应为整数"),
    (re.compile(r"^Not a valid number\.$"), "应为数字"),
    (re.compile(r"^Not a valid boolean\.$"), "应为 true 或 false"),
    (re.compile(r"^Not a valid (datetime|date|time)\.$"), "日期时间格式不正确（ISO 8601）"),
    (re.compile(r"^Not a valid list\.$"), "应为数组"),
    (re.compile(r"^Not a valid mapping type\.$"), "应为对象"),
    (re.compile(r"^Invalid input type\.$"), "数据类型不正确"),
    (re.compile(r"^Must be one of: (.*)\.$"), "取值须为：\\1"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度须在\\1到\\2之间"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "长度不能少于\\1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "长度不能超过\\1"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "取值须在\\1到\\2之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "不能小于\\1"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "不能大于\\1"),
]


def translate_messages(messages: Any) -> Any:
    """Chinese for marshmallow's stock messages, recursively; others pass through."""
    if isinstance(messages, dict):
        return {k: translate_messages(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(v) for v in messages]
    if isinstance(messages, str):
        for pattern, replacement in _FIELD_MESSAGES:
            if pattern.match(messages):
                return pattern.sub(replacement, messages)
    return messages


def envelope(status: int, code: str, message: str, details: dict | None = None, headers=None):
    """Build the JSON error response."""
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    if headers:
        for key, value in headers.items():
            response.headers[key] = value
    return response


def _rollback() -> None:
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # a dead connection must not hide the original error
        log.warning("rollback failed", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    """Install handlers so that every failure answers with the envelope."""

    @app.errorhandler(APIError)
    def _api_error(exc: APIError):
        _rollback()
        return envelope(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        _rollback()
        status = exc.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", exc.name))
        details: dict[str, Any] = {}
        data = getattr(exc, "data", None) or {}
        if "messages" in data:  # webargs validation failure
            messages = data["messages"]
            # webargs nests by location ("json", "query" …); one location is the common case
            if isinstance(messages, dict) and len(messages) == 1:
                messages = next(iter(messages.values()))
            details = {"fields": translate_messages(messages)}
            code, message = "validation_error", "请求参数有误"
        elif status == 429:
            details = {"limit": str(exc.description)}
        headers = data.get("headers") or {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers = {"Allow": ", ".join(exc.valid_methods)}
        return envelope(status, code, message, details, headers)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        _rollback()
        log.info("integrity error: %s", exc.orig)
        return envelope(409, "conflict", "与现有数据冲突（可能重复提交）")

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError):
        _rollback()
        if exc.connection_invalidated or _UNAVAILABLE.search(str(exc.orig)):
            log.error("database unavailable [%s]: %s", g.get("request_id"), exc.orig)
            return envelope(503, "service.db_unavailable", "数据库暂不可用，请稍后再试")
        # anything else (a missing table, bad SQL) is our bug, not the database's absence
        log.exception("database error [%s]", g.get("request_id"))
        return envelope(
            500, "internal_error", "服务器内部错误", {"request_id": g.get("request_id")}
        )

    @app.errorhandler(DBAPIError)
    def _db_error(exc: DBAPIError):
        _rollback()
        if exc.connection_invalidated:
            return envelope(503, "service.db_unavailable", "数据库暂不可用，请稍后再试")
        log.exception("database error [%s]", g.get("request_id"))
        return envelope(
            500, "internal_error", "服务器内部错误", {"request_id": g.get("request_id")}
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        _rollback()
        log.exception("unhandled error [%s]", g.get("request_id"))
        return envelope(
            500, "internal_error", "服务器内部错误", {"request_id": g.get("request_id")}
        )
