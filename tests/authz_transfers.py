"""Authorization-matrix entries for transfers and mobile members (issue 21, part 1), beside
tests/test_authz_matrix.py (which counts them in its every-route check).

World: a transfer of member_a's branch-mate (A) and of branch B's other member (B), each to
the other branch; a mobile registration of each. secretary_a manages branch A only; the
committee and admin manage both; a member reaches only their own."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.transfers.models import MobileMembership, Transfer
from tests.test_authz_matrix import ALL, MEMBERS, STAFF, Route

R = Route
SCOPED_A_SIDE = "secretary_a:A committee:AB admin:AB"


def _transfer(w, v):
    return {"transfer_id": w.transfer[v].id}


def _mobile(w, v):
    return {"membership_id": w.mobile[v].id}


TRANSFER_ROUTES = [
    R("GET", "/m/transfers", "*"),
    R("GET", "/api/v1/transfers", ALL),
    # a member asks for their own (no member_id); a console user without a member profile
    # reaches the rules, which ask for the member (400)
    R(
        "POST",
        "/api/v1/transfers",
        ALL,
        body=lambda w, v: {"kind": "out", "external_org_name": "外地"},
    ),
    R("GET", "/api/v1/transfers/branches", ALL),
    R("GET", "/api/v1/transfers/report", STAFF),
    # A's transfer goes to B and B's to A: secretary_a sees both (one side is theirs)
    R(
        "GET",
        "/api/v1/transfers/<int:transfer_id>",
        "secretary_a:AB committee:AB admin:AB",
        path=_transfer,
        variants=("A", "B"),
    ),
    # secretary_a decides the A side of both; the committee and admin either side
    R(
        "POST",
        "/api/v1/transfers/<int:transfer_id>/approve",
        "secretary_a:AB committee:AB admin:AB",
        path=_transfer,
        body=lambda w, v: {},
        variants=("A", "B"),
        once=True,
    ),
    R(
        "POST",
        "/api/v1/transfers/<int:transfer_id>/reject",
        "secretary_a:AB committee:AB admin:AB",
        path=_transfer,
        body=lambda w, v: {"reason": "材料不全"},
        variants=("A", "B"),
        once=True,
    ),
    # cancel: the sending side (A's transfer leaves A; B's leaves B)
    R(
        "POST",
        "/api/v1/transfers/<int:transfer_id>/cancel",
        SCOPED_A_SIDE,
        path=_transfer,
        body=lambda w, v: {},
        variants=("A", "B"),
        once=True,
    ),
    # confirming 报到: the receiving side (A's transfer goes to B, B's to A); the world's
    # transfers are still pending, so the allowed roles meet the rule behind (409)
    R(
        "POST",
        "/api/v1/transfers/<int:transfer_id>/reported",
        "secretary_a:B committee:AB admin:AB",
        path=_transfer,
        body=lambda w, v: {},
        variants=("A", "B"),
        once=True,
    ),
    R("GET", "/api/v1/mobile-memberships", ALL),
    R(
        "POST",
        "/api/v1/mobile-memberships",
        MEMBERS,
        body=lambda w, v: {"host_name": "深圳某公司党支部", "from_on": "2031-01-01"},
    ),
    R("GET", "/api/v1/mobile-memberships/report", STAFF),
    R(
        "GET",
        "/api/v1/mobile-memberships/contacts",
        SCOPED_A_SIDE,
        query=lambda w, v: {"member_id": w.other[v].id},
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/mobile-memberships/contacts",
        SCOPED_A_SIDE,
        body=lambda w, v: {"member_id": w.other[v].id, "contacted_on": "2026-01-05"},
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/mobile-memberships/<int:membership_id>/end",
        SCOPED_A_SIDE,
        path=_mobile,
        body=lambda w, v: {"to_on": "2026-03-01"},
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/mobile-memberships/<int:membership_id>/participations",
        SCOPED_A_SIDE,
        path=_mobile,
        body=lambda w, v: {"held_on": "2026-02-01", "title": "主题党日"},
        variants=("A", "B"),
        once=True,
    ),
]


def add_transfer_objects(w, park) -> None:
    """An open transfer and a mobile registration for the other member of A and of B."""
    w.transfer, w.mobile = {}, {}
    for v, target in (("A", park.branch_b), ("B", park.branch_a)):
        other = w.other[v]
        t = Transfer(
            kind="internal",
            member_id=other.id,
            member_name=other.name,
            from_org_id=w.branch[v].id,
            to_org_id=target.id,
            sides="from,to",
        )
        m = MobileMembership(member_id=other.id, host_name="外地党支部", from_on=date(2026, 1, 1))
        db.session.add_all([t, m])
        db.session.flush()
        w.transfer[v], w.mobile[v] = t, m
    db.session.commit()
