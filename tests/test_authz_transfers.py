"""The authorization matrix over transfers and mobile members: see tests/authz_transfers.py."""

from __future__ import annotations

import pytest

from tests.authz_transfers import TRANSFER_ROUTES, add_transfer_objects
from tests.test_authz_matrix import _key, check_route, world  # noqa: F401 — the fixture


@pytest.fixture
def transfer_world(world, park):
    """The matrix's world plus open transfers and mobile registrations of A and B."""
    add_transfer_objects(world, park)
    return world


@pytest.mark.parametrize("route", TRANSFER_ROUTES, ids=lambda r: _key(r.method, r.rule))
def test_transfer_authorization(route, client, park, transfer_world):
    """Denied roles first (they must change nothing), then the allowed ones."""
    check_route(route, client, park, transfer_world)


def test_a_member_sees_only_their_own(client, park, transfer_world):
    """member_a's lists hold nothing of the other members' transfers or registrations."""
    h = park.headers.member_a
    assert client.get("/api/v1/transfers", headers=h).json["total"] == 0
    assert client.get("/api/v1/mobile-memberships", headers=h).json["total"] == 0
    seen = client.get("/api/v1/transfers", headers=park.headers.secretary_a).json
    assert {t["id"] for t in seen["items"]} == {transfer_world.transfer[v].id for v in "AB"}
