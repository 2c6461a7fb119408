"""Issue 16: what an outside attack found, each pinned by the example it used."""

from __future__ import annotations

import json

import pytest


def _post(client, url, body, headers=None):
    return client.post(
        url, data=json.dumps(body), content_type="application/json", headers=headers or {}
    )


# --- item 4: bad input is a 400 envelope on both engines --------------------------------------


@pytest.mark.parametrize("username", ["a\x00b", "\ud800", "ok"])
@pytest.mark.parametrize("password", ["x\x00", "\udfff"])
def test_login_refuses_nul_and_lone_surrogates(client, park, username, password):
    """NUL bytes and lone surrogates in the public login are 400, never a database error."""
    response = _post(client, "/api/v1/auth/login", {"username": username, "password": password})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_error"
    assert "password" in response.json["error"]["details"]["fields"]


def test_deep_json_on_the_public_login_is_400(client):
    """A 1,000-deep body is refused before anything recurses through it."""
    response = client.post(
        "/api/v1/auth/login", data="[" * 1000 + "]" * 1000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "request.too_deep"
    nested = {"username": "admin", "password": "x", "extra": [[[[[[]]]]]]}
    ok_depth = _post(client, "/api/v1/auth/login", nested)
    assert ok_depth.json["error"]["code"] == "validation_error"  # the unknown field, not depth


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orgs?parent_id=99999999999",
        "/api/v1/orgs/{org}/members?q=%00",
        "/api/v1/reports/stars?year=2079",
    ],
)
def test_query_strings_beyond_the_database(client, park, url):
    """Ids beyond 32 bits, NUL in `q=`, far-future report years: 400 with the field named."""
    response = client.get(url.format(org=park.branch_a.id), headers=park.headers.admin)
    assert response.status_code == 400, response.text
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["details"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "新党员", "org_id": 99999999999},
        {"name": "新\x00党员", "org_id": "{branch}"},
        {"name": "\ud800", "org_id": "{branch}"},
    ],
)
def test_bodies_beyond_the_database(client, park, body):
    """Ids beyond 32 bits and bad text in a body: 400 and nothing stored."""
    from app.extensions import db
    from app.members.models import Member

    before = db.session.query(Member).count()
    body = {k: park.branch_a.id if v == "{branch}" else v for k, v in body.items()}
    response = _post(client, "/api/v1/members", body, park.headers.admin)
    assert response.status_code == 400, response.text
    assert db.session.query(Member).count() == before


def test_next_year_star_report_is_empty_not_an_error(client, park):
    """The year after this one is allowed and answers an empty board (it used to be bad SQL)."""
    from app.timeutil import to_local, utcnow

    year = to_local(utcnow()).year + 1
    response = client.get(f"/api/v1/reports/stars?year={year}", headers=park.headers.admin)
    assert response.status_code == 200, response.text
    assert response.json["year"] == year


def test_far_future_datetimes_in_bodies(client, park):
    """An activity in the year 9999 is a 400, not an overflow in zone arithmetic."""
    body = {
        "org_id": park.branch_a.id,
        "type": "theme_day",
        "title": "未来",
        "starts_at": "9999-12-31T23:00:00+08:00",
        "ends_at": "9999-12-31T23:30:00+08:00",
    }
    response = _post(client, "/api/v1/activities", body, park.headers.admin)
    assert response.status_code == 400
    assert set(response.json["error"]["details"]["fields"]) == {"starts_at", "ends_at"}
