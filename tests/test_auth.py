"""Console login, tokens (expired, tampered, alg none, wrong key, wrong type, revoked), /me."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token, create_refresh_token

from app.accounts.models import RevokedToken
from app.extensions import db
from tests.conftest import TEST_SECRET


def login(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_tokens_that_work(client, park):
    r = login(client, "committee", "password123")
    assert r.status_code == 200
    assert set(r.json) >= {"access_token", "refresh_token"}
    me = client.get("/api/v1/me", headers=bearer(r.json["access_token"]))
    assert me.status_code == 200
    assert me.json["user"]["username"] == "committee"
    assert me.json["roles"] == [
        {"org_id": park.park.id, "org_name": "园区综合党委", "role": "secretary", "manages": True}
    ]
    assert me.json["manage_org_ids"] == [park.park.id]


@pytest.mark.parametrize(
    ("username", "password"), [("committee", "wrong-password"), ("nobody", "password123")]
)
def test_bad_credentials_are_one_error(client, park, username, password):
    r = login(client, username, password)
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.bad_credentials"


def test_inactive_user_cannot_log_in(client, park):
    park.committee.is_active = False
    db.session.commit()
    r = login(client, "committee", "password123")
    assert r.status_code == 403
    assert r.json["error"]["code"] == "auth.account_inactive"


def test_me_for_a_member_shows_profile_and_own_branch_scope(client, park):
    r = client.get("/api/v1/me", headers=park.headers.member_a)
    assert r.status_code == 200
    assert r.json["member"]["name"] == "张三"
    assert r.json["member"]["phone"] == park.member_a.phone  # their own number, unmasked
    assert r.json["roles"] == []
    assert r.json["read_org_ids"] == [park.branch_a.id]
    assert r.json["manage_org_ids"] == []


def test_me_follows_changes_to_the_member_and_their_org_at_once(client, park):
    """/me keeps the profile per identity between requests: every edit shows on the next one."""
    headers = park.headers.member_a
    assert client.get("/api/v1/me", headers=headers).json["member"]["bound"] is False
    r = client.patch(
        f"/api/v1/members/{park.member_a.id}",
        json={"phone": "13900001111", "status": "probationary"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200, r.json
    member = client.get("/api/v1/me", headers=headers).json["member"]
    assert (member["phone"], member["status"]) == ("13900001111", "probationary")
    assert member["status_label"] != "正式党员"
    r = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}",
        json={"name": "第一支部（新）"},
        headers=park.headers.admin,
    )
    assert r.status_code == 200, r.json
    assert client.get("/api/v1/me", headers=headers).json["member"]["org_name"] == "第一支部（新）"
    other = client.get("/api/v1/me", headers=park.headers.member_b).json["member"]
    assert other["id"] == park.member_b.id and other["phone"] == park.member_b.phone


def test_admin_scope_is_everything(client, park):
    r = client.get("/api/v1/me", headers=park.headers.admin)
    assert r.json["is_admin"] is True
    assert r.json["read_org_ids"] is None


def test_missing_token(client, park):
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.required"


def test_garbage_authorization_header(client, park):
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.token_invalid"
    r = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.required"


def test_expired_token(client, park):
    token = create_access_token(identity=f"u:{park.admin.id}", expires_delta=timedelta(seconds=-1))
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.token_expired"


def test_tampered_token(client, park):
    token = create_access_token(identity=f"u:{park.committee.id}")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = f"u:{park.admin.id}"  # try to become the admin
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = client.get("/api/v1/me", headers=bearer(f"{header}.{forged}.{signature}"))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.token_invalid"


def test_alg_none_token(client, park):
    claims = pyjwt.decode(
        create_access_token(identity=f"u:{park.admin.id}"), options={"verify_signature": False}
    )
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = client.get("/api/v1/me", headers=bearer(f"{head}.{body}."))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.token_invalid"


def test_token_signed_with_another_key(client, park):
    claims = pyjwt.decode(
        create_access_token(identity=f"u:{park.admin.id}"), options={"verify_signature": False}
    )
    other = pyjwt.encode(claims, "another-secret-another-secret-another!!", algorithm="HS256")
    assert TEST_SECRET not in other
    r = client.get("/api/v1/me", headers=bearer(other))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.token_invalid"


def test_refresh_token_is_not_an_access_token(client, park):
    refresh = create_refresh_token(identity=f"u:{park.admin.id}")
    r = client.get("/api/v1/me", headers=bearer(refresh))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.wrong_token_type"


def test_access_token_cannot_refresh(client, park):
    access = create_access_token(identity=f"u:{park.admin.id}")
    r = client.post("/api/v1/auth/refresh", headers=bearer(access))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.wrong_token_type"


def test_refresh_gives_a_working_access_token(client, park):
    tokens = login(client, "committee", "password123").json
    r = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(r.json["access_token"])).status_code == 200


def test_logout_revokes_access_and_refresh(client, park):
    tokens = login(client, "committee", "password123").json
    r = client.post(
        "/api/v1/auth/logout",
        headers=bearer(tokens["access_token"]),
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert r.status_code == 204
    assert db.session.query(RevokedToken).count() == 2
    again = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert again.status_code == 401
    assert again.json["error"]["code"] == "auth.token_revoked"
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401
    assert refreshed.json["error"]["code"] == "auth.token_revoked"


def test_logout_without_body_revokes_only_access(client, park):
    tokens = login(client, "committee", "password123").json
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    r = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert r.status_code == 200


def test_logout_refuses_someone_elses_refresh_token(client, park):
    mine = login(client, "committee", "password123").json
    theirs = create_refresh_token(identity=f"u:{park.admin.id}")
    r = client.post(
        "/api/v1/auth/logout", headers=bearer(mine["access_token"]), json={"refresh_token": theirs}
    )
    assert r.status_code == 400
    assert r.json["error"]["code"] == "auth.token_invalid"
    # nothing was revoked: the failed request rolled back
    assert db.session.query(RevokedToken).count() == 0


def test_member_deactivated_after_token_was_issued(client, park):
    headers = park.headers.member_a
    park.member_a.is_active = False
    db.session.commit()
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.account_inactive"


def test_identity_of_unknown_kind_is_refused(client, park, auth_headers):
    r = client.get("/api/v1/me", headers=auth_headers("x:1"))
    assert r.status_code == 401
    assert r.json["error"]["code"] == "auth.account_inactive"


def test_member_cannot_use_staff_routes(client, park):
    r = client.post(
        "/api/v1/orgs", headers=park.headers.member_a, json={"name": "x", "type": "branch"}
    )
    assert r.status_code == 403
    assert r.json["error"]["code"] == "auth.forbidden"


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute"}

    def test_login_is_rate_limited_with_the_envelope(self, client, park):
        codes = [login(client, "committee", "wrong-password").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        r = login(client, "committee", "password123")
        assert r.status_code == 429
        assert r.json["error"]["code"] == "rate_limited"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=0.3).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis not reachable at 127.0.0.1:6379")
class TestRedisRevocation:
    @pytest.fixture
    def app_config(self):
        return {"REDIS_URL": "redis://127.0.0.1:6379/15"}

    def test_revocation_is_mirrored_to_redis_and_honoured_from_it(self, app, client, park):
        tokens = login(client, "committee", "password123").json
        client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
        jti = pyjwt.decode(tokens["access_token"], options={"verify_signature": False})["jti"]
        redis_client = app.extensions["party_redis"]
        assert redis_client.exists(f"revoked:{jti}") == 1
        # Redis alone answers for workers whose database row is not visible yet
        db.session.query(RevokedToken).delete()
        db.session.commit()
        r = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert r.status_code == 401
        assert r.json["error"]["code"] == "auth.token_revoked"
        redis_client.delete(f"revoked:{jti}")
