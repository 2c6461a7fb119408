"""Issue 16: limits that count per member, per account and per address (Flask-Limiter on)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    """Rate limiting on, with small limits (the rest of the suite runs with it off)."""
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_SEARCH": "3 per minute",
        "RATELIMIT_LOGIN": "5 per minute",
    }


def test_member_search_is_rate_limited_per_caller(client, park):
    """`q=` searches count per caller; listing without `q` does not."""
    url = f"/api/v1/orgs/{park.branch_a.id}/members"
    for n in range(3):
        assert (
            client.get(f"{url}?q=1390000{n}", headers=park.headers.secretary_a).status_code == 200
        )
    limited = client.get(f"{url}?q=13900009", headers=park.headers.secretary_a)
    assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
    assert client.get(url, headers=park.headers.secretary_a).status_code == 200
    assert client.get(f"{url}?q=x", headers=park.headers.member_a).status_code == 200


def _login(client, username, password, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers=headers
    )


def test_wrong_passwords_lock_one_account_not_the_shared_address(client, park):
    """Five wrong passwords for one account (everyone behind one proxy address): that account
    pauses, a colleague on the same address still logs in; successes never count."""
    codes = [_login(client, "committee", "wrong-password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert _login(client, "admin", "password123").status_code == 200
    assert [_login(client, "admin", "password123").status_code for _ in range(6)] == [200] * 6
    assert _login(client, "COMMITTEE ", "password123").status_code == 429  # same account


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self):
        """One trusted proxy; the per-address budget small enough to reach."""
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": "100 per minute",
            "RATELIMIT_LOGIN_ADDRESS": "3 per minute",
            "PROXY_FIX_HOPS": 1,
        }

    def test_failures_count_per_forwarded_address(self, client, park):
        """Failures from one client address (as the proxy forwards it) pause that address
        only; another client behind the same proxy is unaffected."""
        for n in range(3):
            assert _login(client, f"nobody{n}", "x", "203.0.113.7").status_code == 401
        assert _login(client, "nobody9", "x", "203.0.113.7").status_code == 429
        assert _login(client, "admin", "password123", "198.51.100.2").status_code == 200


class TestWithoutTrustedProxies:
    @pytest.fixture
    def app_config(self):
        """PROXY_FIX_HOPS 0 (the default): X-Forwarded-For is not believed."""
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN_ADDRESS": "3 per minute"}

    def test_a_forged_forwarded_for_does_not_escape_the_limit(self, client, park):
        """A client rotating X-Forwarded-For values is still one address."""
        for n in range(3):
            assert _login(client, f"nobody{n}", "x", f"203.0.113.{n}").status_code == 401
        assert _login(client, "nobody9", "x", "203.0.113.99").status_code == 429
