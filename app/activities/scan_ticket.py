"""A scan ticket: proof that a check-in QR was still current when its link was opened.

A phone camera opens `PUBLIC_BASE_URL/c/<token>`; a member without a session in that browser
then logs in, which takes longer than the QR lives (15 + 5 s). The page is given a ticket,
signed with SECRET_KEY under its own salt, naming the token and the instant the server saw it
current; the check-in that follows judges the token's time by that instant (never the window,
which is judged by the real clock). The ticket lives SCAN_TICKET_SECONDS and only in the page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.activities import tokens
from app.errors import APIError

SALT = "scan-ticket"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_ticket(token: str, now: datetime) -> str:
    """A ticket for a token that is authentic and current at `now` (checked here)."""
    _activity_id, window = tokens.read_checkin_token(token)
    tokens.check_token_time(window, now)
    return _serializer().dumps({"t": tokens.extract_token(token).upper(), "at": now.timestamp()})


def seen_at(ticket: str, token: str) -> datetime:
    """When the ticket's token was seen current; 410/400 when stale, forged or for another."""
    try:
        data = _serializer().loads(ticket, max_age=current_app.config["SCAN_TICKET_SECONDS"])
    except SignatureExpired as exc:
        raise APIError(410, "checkin.token_expired", "二维码已更新，请重新扫描") from exc
    except BadSignature as exc:
        raise APIError(400, "checkin.token_invalid", "二维码无效，请扫描现场的签到码") from exc
    if not isinstance(data, dict) or data.get("t") != tokens.extract_token(token).upper():
        raise APIError(400, "checkin.token_invalid", "二维码无效，请扫描现场的签到码")
    return datetime.fromtimestamp(float(data["at"]), UTC)
