"""The authorization matrix over the ledgers' routes (issue 19): see tests/authz_ledgers.py."""

from __future__ import annotations

import pytest

from tests.authz_ledgers import LEDGER_ROUTES, add_ledger_objects
from tests.test_authz_matrix import _key, check_route, world  # noqa: F401 — the fixture


@pytest.fixture
def ledger_world(world, park):
    """The matrix's world plus dues, notices, posts, enterprises and assignments."""
    add_ledger_objects(world, park)
    return world


@pytest.mark.parametrize("route", LEDGER_ROUTES, ids=lambda r: _key(r.method, r.rule))
def test_ledger_authorization(route, client, park, ledger_world):
    """Denied roles first (they must change nothing), then the allowed ones."""
    check_route(route, client, park, ledger_world)


def test_member_sees_only_their_own_ledger_rows(client, park, ledger_world):
    """A member's notices, posts and dues lists hold only what is theirs or their branch's."""
    h = park.headers.member_a
    notices = client.get("/api/v1/notices/mine", headers=h).json
    assert [n["id"] for n in notices["items"]] == [ledger_world.notice["A"].id]
    posts = client.get("/api/v1/posts", headers=h).json
    assert {p["id"] for p in posts["items"]} == {ledger_world.post["A"].id}
    assignments = client.get("/api/v1/instructor-assignments", headers=h).json
    assert assignments["total"] == 0
    theirs = client.get(f"/api/v1/dues/members/{park.member_b.id}/ledger", headers=h)
    assert theirs.status_code == 403
