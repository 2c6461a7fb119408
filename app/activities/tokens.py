"""Rotating HMAC tokens: the check-in QR, the 6-digit activity code and the personal code.

A token is base32(activity id ‖ window index ‖ first 8 bytes of HMAC-SHA256), 26 characters,
where the window index is ⌊epoch seconds / QR_ROTATE_SECONDS⌋ and the key is derived from
SECRET_KEY per purpose, so a check-in token is never a valid personal code and vice versa.
A token is good from the start of its window until its end plus QR_GRACE_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from datetime import UTC, datetime

from flask import current_app

from app.errors import APIError
from app.timeutil import to_local

MAC_BYTES = 8  # 64 bits: forging one needs ~2^63 tries, far beyond any rate limit
_PAYLOAD = struct.Struct(">II")
_TOKEN = re.compile(r"^[A-Z2-7]{26}$")
CHECKIN_PURPOSE = b"checkin-qr"
CODE_PURPOSE = b"checkin-code"
MEMBER_PURPOSE = b"member-code"


def _key(purpose: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def rotate_seconds() -> int:
    """The rotation interval (QR_ROTATE_SECONDS, at least 1)."""
    return max(1, int(current_app.config["QR_ROTATE_SECONDS"]))


def grace_seconds() -> int:
    """How long a token outlives its window (QR_GRACE_SECONDS)."""
    return max(0, int(current_app.config["QR_GRACE_SECONDS"]))


def window_of(now: datetime) -> int:
    """The window index of an instant."""
    return int(now.timestamp() // rotate_seconds())


def window_start(window: int) -> datetime:
    """When a window begins."""
    return datetime.fromtimestamp(window * rotate_seconds(), UTC)


def window_end(window: int) -> datetime:
    """When a window ends (the next token appears)."""
    return window_start(window + 1)


def valid_until(window: int) -> datetime:
    """The last instant (exclusive) a token of `window` is accepted."""
    return datetime.fromtimestamp((window + 1) * rotate_seconds() + grace_seconds(), UTC)


def _encode(purpose: bytes, subject_id: int, window: int) -> str:
    if not (0 <= subject_id < 2**32 and 0 <= window < 2**32):
        raise ValueError("subject id or window out of range")
    payload = _PAYLOAD.pack(subject_id, window)
    mac = hmac.new(_key(purpose), payload, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.b32encode(payload + mac).decode("ascii").rstrip("=")


def _decode(purpose: bytes, token: str) -> tuple[int, int] | None:
    token = token.strip().upper()
    if not _TOKEN.match(token):
        return None
    raw = base64.b32decode(token + "=" * 6)
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    expected = hmac.new(_key(purpose), payload, hashlib.sha256).digest()[:MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    subject_id, window = _PAYLOAD.unpack(payload)
    if base64.b32encode(raw).decode("ascii").rstrip("=") != token:
        return None  # a non-canonical spelling of the same bytes
    return subject_id, window


def extract_token(content: str) -> str:
    """The token from a bare token or the scan URL `…/c/<token>` (query and slash ignored)."""
    text = content.strip()
    if "/c/" in text:
        text = text.rsplit("/c/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0].strip("/ ")


def checkin_token(activity_id: int, window: int) -> str:
    """The QR token of an activity for one window."""
    return _encode(CHECKIN_PURPOSE, activity_id, window)


def activity_code(activity_id: int, window: int) -> str:
    """The 6-digit code of an activity for one window (typed by hand)."""
    payload = _PAYLOAD.pack(activity_id, window)
    mac = hmac.new(_key(CODE_PURPOSE), payload, hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:4], 'big') % 1_000_000:06d}"


def member_code(member_id: int, window: int) -> str:
    """A member's personal rotating code for one window."""
    return _encode(MEMBER_PURPOSE, member_id, window)


_INVALID_TOKEN = (400, "checkin.token_invalid", "二维码无效，请扫描现场的签到码")
_EXPIRED_TOKEN = (410, "checkin.token_expired", "签到码已过期，请扫描现场最新的签到码")
_INVALID_MEMBER = (400, "checkin.member_code_invalid", "个人签到码无效")
_EXPIRED_MEMBER = (410, "checkin.member_code_expired", "个人签到码已过期，请刷新后再出示")


def _check_time(window: int, now: datetime, invalid: tuple, expired: tuple) -> None:
    start = window * rotate_seconds()
    ts = now.timestamp()
    if ts < start - grace_seconds():  # minted in the future: not by this server's clock
        raise APIError(*invalid)
    if ts >= (window + 1) * rotate_seconds() + grace_seconds():
        raise APIError(*expired, {"valid_until": to_local(valid_until(window)).isoformat()})


def read_checkin_token(content: str) -> tuple[int, int]:
    """(activity id, window) of an authentic check-in token; 400 when forged or garbled."""
    decoded = _decode(CHECKIN_PURPOSE, extract_token(content))
    if decoded is None:
        raise APIError(*_INVALID_TOKEN)
    return decoded


def check_token_time(window: int, now: datetime) -> None:
    """410 `checkin.token_expired` once a token's window and grace are over."""
    _check_time(window, now, _INVALID_TOKEN, _EXPIRED_TOKEN)


def read_member_code(code: str, now: datetime) -> int:
    """The member id of a valid, current personal code."""
    decoded = _decode(MEMBER_PURPOSE, code)
    if decoded is None:
        raise APIError(*_INVALID_MEMBER)
    member_id, window = decoded
    _check_time(window, now, _INVALID_MEMBER, _EXPIRED_MEMBER)
    return member_id
