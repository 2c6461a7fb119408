"""The worker's cache of verified tokens (app.extensions.CachingJWTManager): a token is
verified by PyJWT once, and still refused when it expires, is revoked or is forged."""

from __future__ import annotations

from datetime import timedelta

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
