"""The authorization matrix over the requests' routes (see tests/authz_servicedesk.py), and
the staff light account's deny-by-default over every route of the app."""

from __future__ import annotations

import re

import pytest

from app.auth import LIBRARY_ENDPOINTS, LIGHT_ENDPOINTS, Access
from app.extensions import db
from app.org.models import Enterprise
from app.servicedesk.models import StaffAccount
from tests.authz_servicedesk import SERVICEDESK_ROUTES, add_servicedesk_objects
from tests.test_authz_matrix import _key, check_route, world  # noqa: F401 — the fixture


@pytest.fixture
def desk_world(world, park):
    """The matrix's world plus a request of each branch and a park enterprise."""
    add_servicedesk_objects(world, park)
    return world


@pytest.mark.parametrize("route", SERVICEDESK_ROUTES, ids=lambda r: _key(r.method, r.rule))
def test_servicedesk_authorization(route, client, park, desk_world):
    """Denied roles first (they must change nothing), then the allowed ones."""
    check_route(route, client, park, desk_world)


def test_staff_light_account_is_refused_everywhere_else(app, client, park, auth_headers):
    """Every route that is neither public nor for requesters refuses a staff token with 403
    auth.light_account, before reading anything (deny by default)."""
    ent = Enterprise(name="职工企业", park_org_id=park.park.id)
    db.session.add(ent)
    db.session.flush()
    staff = StaffAccount(name="职工", enterprise_id=ent.id)
    db.session.add(staff)
    db.session.commit()
    h = auth_headers(f"s:{staff.id}")
    refused, reached = 0, []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIBRARY_ENDPOINTS or rule.endpoint in LIGHT_ENDPOINTS:
            continue
        policy = app.view_functions[rule.endpoint].access_policy
        if policy in (Access.PUBLIC, Access.REQUESTER, Access.REFRESH):
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(path, method=method, headers=h, json={})
            body = r.get_json(silent=True) or {}
            if (r.status_code, body.get("error", {}).get("code")) != (403, "auth.light_account"):
                reached.append(f"{method} {rule.rule} → {r.status_code}")
            refused += 1
    assert reached == []
    assert refused > 150  # the sweep really covered the API, not an empty list
    mine = client.get("/api/v1/requests/mine", headers=h)
    assert mine.status_code == 200 and mine.json["total"] == 0
