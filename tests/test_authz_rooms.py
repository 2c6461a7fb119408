"""The authorization matrix over the rooms' routes (issue 21, part 3): see tests/authz_rooms.py."""

from __future__ import annotations

import pytest

from tests.authz_rooms import ROOM_ROUTES, add_room_objects
from tests.test_authz_matrix import _key, check_route, world  # noqa: F401 — the fixture


@pytest.fixture
def room_world(world, park):
    """The matrix's world plus a park room and a pending booking per branch."""
    add_room_objects(world, park)
    return world


@pytest.mark.parametrize("route", ROOM_ROUTES, ids=lambda r: _key(r.method, r.rule))
def test_room_authorization(route, client, park, room_world):
    """Denied roles first (they must change nothing), then the allowed ones."""
    check_route(route, client, park, room_world)


def test_a_member_of_another_park_sees_no_room(client, park, room_world, make_org, make_user,
                                               grant, auth_headers):  # fmt: skip
    """Rooms are the park's: a secretary of another park's branch neither sees nor books them."""
    other_park = make_org("另一园区综合党委", "general_committee", park.work)
    branch = make_org("另一园区支部", "branch", other_park)
    outsider = make_user("outsider")
    grant(branch, "secretary", user=outsider)
    h = auth_headers(outsider)
    assert client.get("/api/v1/rooms", headers=h).json["total"] == 0
    assert client.get(f"/api/v1/rooms/{room_world.room.id}", headers=h).status_code == 404
    assert client.get("/api/v1/bookings", headers=h).json["total"] == 0
