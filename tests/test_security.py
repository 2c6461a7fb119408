"""Abuse limits, CORS, what is never served, what is never logged."""

from __future__ import annotations

import logging

import pytest

from app.activities import tokens
from app.timeutil import utcnow


class TestPerCallerLimits:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_CHECKIN": "3 per minute"}

    def test_checkin_limits_each_member_not_the_shared_address(self, client, park):
        # the whole meeting room comes through one NAT address
        for _ in range(3):
            assert (
                client.post(
                    "/api/v1/checkins", json={"code": "000000"}, headers=park.headers.member_a
                ).status_code
                == 400
            )
        limited = client.post(
            "/api/v1/checkins", json={"code": "000000"}, headers=park.headers.member_a
        )
        assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
        # a colleague on the same address is not blocked by member_a's attempts
        other = client.post(
            "/api/v1/checkins",
            json={"code": "000000"},
            headers=park.headers.member_a2
            if hasattr(park.headers, "member_a2")
            else park.headers.secretary_a,
        )
        assert other.status_code == 400

    def test_scan_is_limited_per_member_too(self, client, park):
        for _ in range(3):
            client.post(
                "/api/mp/v1/scan", json={"content": "123456"}, headers=park.headers.member_b
            )
        r = client.post(
            "/api/mp/v1/scan", json={"content": "123456"}, headers=park.headers.member_b
        )
        assert r.status_code == 429
        assert (
            client.post(
                "/api/mp/v1/scan", json={"content": "123456"}, headers=park.headers.member_a
            ).status_code
            != 429
        )


class TestQuizLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_QUIZ": "2 per minute"}

    def test_quiz_submissions_are_limited(self, client, park):
        codes = [
            client.post(
                "/api/v1/quiz/daily", json={"answers": {}}, headers=park.headers.member_a
            ).status_code
            for _ in range(3)
        ]
        assert codes[-1] == 429 and 429 not in codes[:2]


def test_instance_files_and_the_database_are_never_served(client):
    for path in (
        "/instance/config.py",
        "/instance/party.sqlite",
        "/party.sqlite",
        "/static/../instance/config.py",
        "/web/assets/../../../instance/config.py",
        "/api/docs/assets/../../instance/config.py",
    ):
        r = client.get(path)
        assert r.status_code == 404, path


class TestCors:
    @pytest.fixture
    def app_config(self):
        return {"CORS_ORIGINS": "https://console.park.example"}

    def test_only_configured_origins_get_cors_headers(self, client, park):
        ok = client.get(
            "/api/v1/me", headers={**park.headers.admin, "Origin": "https://console.park.example"}
        )
        assert ok.headers["Access-Control-Allow-Origin"] == "https://console.park.example"
        evil = client.get(
            "/api/v1/me", headers={**park.headers.admin, "Origin": "https://evil.example"}
        )
        assert "Access-Control-Allow-Origin" not in evil.headers
        preflight = client.options(
            "/api/v1/checkins",
            headers={
                "Origin": "https://console.park.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_no_cors_by_default(client, park):
    r = client.get("/api/v1/me", headers={**park.headers.admin, "Origin": "https://x.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_secrets_and_tokens_are_never_logged(client, park, fake_wechat, caplog, app):
    caplog.set_level(logging.DEBUG)
    fake_wechat.add_code("c1", "openid-secret-check")
    login = client.post(
        "/api/v1/auth/login", json={"username": "committee", "password": "password123"}
    )
    wx = client.post("/api/mp/v1/login", json={"code": "c1"})
    client.post("/api/v1/auth/login", json={"username": "committee", "password": "wrong-pw-123"})
    token = tokens.checkin_token(1, tokens.window_of(utcnow()))
    client.post("/api/v1/checkins", json={"token": token}, headers=park.headers.member_a)
    text = caplog.text
    for secret in (
        "password123",
        "wrong-pw-123",
        login.json["access_token"],
        login.json["refresh_token"],
        wx.json["bind_token"],
        fake_wechat.secret,
        app.config["SECRET_KEY"],
        app.config["JWT_SECRET_KEY"],
        token,
    ):
        assert secret not in text
