"""The authorization matrix over the ledgers' routes (issue 19): see tests/authz_ledgers.py."""

from __future__ import annotations

import pytest

from tests.authz_ledgers import LEDGER_ROUTES, add_ledger_objects
from tests.test_authz_matrix import ROLES, _call, _key, world  # noqa: F401 — the fixture


@pytest.fixture
def ledger_world(world, park):
    """The matrix's world plus dues, notices, posts, enterprises and assignments."""
    add_ledger_objects(world, park)
    return world


@pytest.mark.parametrize("route", LEDGER_ROUTES, ids=lambda r: _key(r.method, r.rule))
def test_ledger_authorization(route, client, park, ledger_world):
    """Denied roles first (they must change nothing), then the allowed ones."""
    headers = {"anonymous": {}, **vars(park.headers)}
    problems: list[str] = []
    for variant in route.variants:
        denied = [r for r in ROLES if not route.allowed(r, variant)]
        allowed = [r for r in ROLES if route.allowed(r, variant)]
        if route.once:
            allowed = allowed[:1]
        for role in denied + allowed:
            response = _call(client, route, ledger_world, variant, headers[role])
            status = response.status_code
            ok = (
                status not in (401, 403, 404)
                if role in allowed
                else status in (401, 403)
                if role == "anonymous"
                else status in (401, 403, 404)
            )
            if not ok:
                body = response.get_json(silent=True) or {}
                code = body.get("error", {}).get("code") if isinstance(body, dict) else None
                verdict = "allowed" if role in allowed else "denied"
                problems.append(f"{role} on {variant}: expected {verdict}, got {status} {code}")
            response.close()
    assert problems == [], "\n".join(problems)


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
