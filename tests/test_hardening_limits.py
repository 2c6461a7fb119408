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
