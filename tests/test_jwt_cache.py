"""The worker's cache of verified tokens (app.extensions.CachingJWTManager): a token is
verified by PyJWT once, and still refused when it expires, is revoked or is forged."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import jwt as pyjwt
import pytest

from app import extensions


@pytest.fixture
def decodes(monkeypatch):
    """Count PyJWT's verified decodes (the work the cache saves)."""
    calls = []
    real = pyjwt.decode

    def counting(*args, **kwargs):
        if (kwargs.get("options") or {}).get("verify_signature", True):
            calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("flask_jwt_extended.tokens.jwt.decode", counting)
    extensions.jwt.forget_verified()
    return calls


def test_a_token_is_verified_once(client, park, decodes):
    headers = park.headers.member_a
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert len(decodes) == 1
    assert client.get("/api/v1/me", headers=park.headers.member_b).status_code == 200
    assert len(decodes) == 2  # another token is verified on its own


def test_an_expired_token_is_refused_though_remembered(
    client, park, auth_headers, decodes, monkeypatch
):
    headers = auth_headers(park.member_a, expires_delta=timedelta(minutes=5))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    later = extensions.time.time() + 301
    monkeypatch.setattr(extensions.time, "time", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _FrozenDatetime(later))
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_expired"


def test_a_revoked_token_is_refused_on_the_next_request(client, park, decodes):
    headers = park.headers.member_a
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_revoked"


def test_a_forged_token_is_never_taken_from_the_cache(client, park, decodes):
    token = park.headers.member_a["Authorization"].split()[1]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_invalid"


def test_the_header_is_parsed_once_for_every_token_of_this_app(client, park, monkeypatch, app):
    from flask_jwt_extended import get_jwt_header, verify_jwt_in_request

    parses = []
    real = pyjwt.get_unverified_header

    def counting(token):
        parses.append(token)
        return real(token)

    # the header read only (the library's own decode of a new token parses it too)
    monkeypatch.setattr(extensions, "pyjwt", SimpleNamespace(get_unverified_header=counting))
    extensions.jwt.forget_verified()
    for headers in (park.headers.member_a, park.headers.member_b, park.headers.committee):
        for _ in range(2):
            assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert len(parses) == 1  # one header segment for all three tokens
    with app.test_request_context(headers=park.headers.member_b):
        verify_jwt_in_request()
        assert get_jwt_header() == real(park.headers.member_b["Authorization"].split()[1])
    # a token whose header differs is parsed on its own, and still refused if not ours
    token = park.headers.member_a["Authorization"].split()[1]
    other = pyjwt.encode({"sub": "m:1"}, "x" * 40, algorithm="HS256", headers={"kid": "x"})
    assert other.split(".")[0] != token.split(".")[0]
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 401 and len(parses) == 1  # refused before its header is read


class _FrozenDatetime:
    """PyJWT's view of `now`, moved to the same instant as time.time()."""

    def __init__(self, at: float):
        import datetime as real

        self._real = real.datetime
        self._at = at

    def now(self, tz=None):
        return self._real.fromtimestamp(self._at, tz)

    def __getattr__(self, name):
        return getattr(self._real, name)
