"""Unbound extension objects; the factory binds them. Nothing here touches an app at import.

The smorest Api is the exception: it holds one app's OpenAPI spec, so the factory makes one
per app (see app.openapi) and keeps it in ``app.extensions["smorest_api"]``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import flask_jwt_extended.view_decorators as _jwt_views
import jwt as pyjwt
from flask import current_app
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.db import Base, RoutingSession

db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()


class CachingJWTManager(JWTManager):
    """Flask-JWT-Extended's manager that remembers verified tokens in this worker.

    PyJWT checks a token's three segments character by character and the library decodes it
    three times (claims, header, verified): ~1 ms of CPU per request for the same few
    hundred bytes a phone sends all day. A token verified once with this secret is the same
    claims every time (HMAC is deterministic), so its claims are kept in a bounded LRU keyed
    by (secret, token). Expiry and not-before are checked on every use (a stale entry goes
    back through the library, which raises its own error); revocation, the token type and
    the principal are checked per request after decoding, as before.
    """

    SIZE = 8192

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._verified: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self._lock = threading.Lock()

    def _decode_jwt_from_config(self, encoded_token, csrf_value=None, allow_expired=False):
        if csrf_value is not None or allow_expired or not isinstance(encoded_token, str):
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        key = (str(current_app.config["JWT_SECRET_KEY"]), encoded_token)
        with self._lock:
            claims = self._verified.get(key)
            if claims is not None:
                self._verified.move_to_end(key)
        if claims is not None and _current(claims, current_app.config["JWT_DECODE_LEEWAY"]):
            return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token)
        with self._lock:
            self._verified[key] = dict(claims)
            while len(self._verified) > self.SIZE:
                self._verified.popitem(last=False)
        return claims

    def init_app(self, app, add_context_processor: bool = False) -> None:
        """Bind to `app`, and read a verified token's header through `verified_header`."""
        super().init_app(app, add_context_processor)
        # the library reads the header with PyJWT right after verifying the token: a second
        # full parse of the same ~330 characters (~40 µs of a ~1.8 ms request)
        _jwt_views.get_unverified_jwt_headers = verified_header

    def forget_verified(self) -> None:
        """Drop every remembered token and header (tests)."""
        with self._lock:
            self._verified.clear()
        _HEADERS.clear()


_HEADERS: dict[str, dict] = {}  # a token's first segment → its decoded header
_HEADERS_LOCK = threading.Lock()


def verified_header(encoded_token: str) -> dict:
    """The header of a token the library has just verified, parsed by PyJWT once per
    distinct header segment (every token this app signs carries the same one)."""
    segment = encoded_token.split(".", 1)[0]
    header = _HEADERS.get(segment)
    if header is None:
        header = pyjwt.get_unverified_header(encoded_token)
        with _HEADERS_LOCK:
            if len(_HEADERS) >= 64:  # only forged or foreign headers could fill it
                _HEADERS.clear()
            _HEADERS[segment] = header
    return dict(header)


def _current(claims: dict, leeway) -> bool:
    """Within exp and nbf now, as PyJWT would judge (with the configured leeway)."""
    seconds = leeway.total_seconds() if hasattr(leeway, "total_seconds") else float(leeway or 0)
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None and not now < exp + seconds:
        return False
    return nbf is None or nbf - seconds <= now


jwt = CachingJWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
