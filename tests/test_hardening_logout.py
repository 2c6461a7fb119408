"""Issue 16, item 11: a refused logout changes neither Redis nor the database."""

from __future__ import annotations

import pytest
import redis
from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.accounts.models import RevokedToken
from app.extensions import db

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=0.3).ping())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")


@pytest.fixture
def app_config():
    """Revocations mirrored to Redis."""
    return {"REDIS_URL": REDIS_URL}


@pytest.mark.parametrize(
    "refresh", ["not-a-token", "someone-else"], ids=["garbled", "other_account"]
)
def test_a_failed_logout_keeps_redis_and_the_database_agreeing(client, park, refresh):
    """A logout refused for its refresh token revokes nothing anywhere: the access token
    still works, Redis holds no revocation, the database none either."""
    tokens = client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "password123"}
    ).json
    if refresh == "someone-else":
        refresh = client.post(
            "/api/v1/auth/login", json={"username": "committee", "password": "password123"}
        ).json["refresh_token"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    refused = client.post("/api/v1/auth/logout", json={"refresh_token": refresh}, headers=headers)
    assert refused.status_code == 400
    jti = decode_token(tokens["access_token"])["jti"]
    assert not redis.Redis.from_url(REDIS_URL).exists(f"revoked:{jti}")
    assert db.session.scalar(select(RevokedToken.id).where(RevokedToken.jti == jti)) is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    done = client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers
    )
    assert done.status_code == 204
    assert redis.Redis.from_url(REDIS_URL).exists(f"revoked:{jti}")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
