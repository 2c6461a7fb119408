"""Authorization-matrix entries for requests (issue 21, part 2), kept beside
tests/test_authz_matrix.py (which counts them in its every-route check)."""

from __future__ import annotations

from app.extensions import db
from app.org.models import Enterprise
from app.servicedesk.models import Request, StaffAccount
from tests.test_authz_matrix import MEMBERS, OWN, STAFF, Route

R = Route
READ = "secretary_a:A committee:AB admin:AB"  # the request's org is branch A or B


def _req(w, v):
    return {"request_id": w.request[v].id}


REQUESTER_PAGES = ("/m/requests", "/m/requests/new")

SERVICEDESK_ROUTES = [
    # the member app's request pages are shells: their scripts read the API with the token
    *[R("GET", rule, "*") for rule in REQUESTER_PAGES],
    R(
        "POST",
        "/api/v1/requests",
        MEMBERS,
        body=lambda w, v: {
            "kind": "suggestion",
            "title": "建议",
            "text": "增设班车",
            "idempotency_key": "matrix-key-1",
        },
    ),
    R("GET", "/api/v1/requests/mine", MEMBERS),
    R("GET", "/api/v1/requests/mine/<int:request_id>", OWN, path=_req, variants=("A", "B")),
    R("GET", "/api/v1/requests/options", MEMBERS),
    R(
        "POST",
        "/api/v1/requests/<int:request_id>/rating",
        OWN,
        path=_req,
        variants=("A", "B"),
        body=lambda w, v: {"score": 5},
    ),
    R("GET", "/api/v1/requests", STAFF),
    R("GET", "/api/v1/requests/handlers", STAFF),
    R("GET", "/api/v1/requests/report", STAFF),
    R("GET", "/api/v1/requests/<int:request_id>", READ, path=_req, variants=("A", "B")),
    R(
        "POST",
        "/api/v1/requests/<int:request_id>/route",
        READ,
        path=_req,
        variants=("A", "B"),
        body=lambda w, v: {"handler_user_id": w.handler_id, "due_on": "2099-12-31"},
    ),
    R(
        "POST",
        "/api/v1/requests/<int:request_id>/transition",
        READ,
        path=_req,
        variants=("A", "B"),
        body=lambda w, v: {"status": "in_progress"},
    ),
    R(
        "POST",
        "/api/v1/requests/<int:request_id>/answer",
        READ,
        path=_req,
        variants=("A", "B"),
        body=lambda w, v: {"outcome": "resolved", "answer": "已办"},
    ),
    R(
        "POST",
        "/api/v1/requests/staff-invites",
        "committee admin",
        body=lambda w, v: {"enterprise_id": w.enterprise.id, "name": "职工"},
    ),
    # every staff role may list (a branch secretary's list is empty: it manages no park)
    R("GET", "/api/v1/requests/staff", STAFF),
    *[
        R(
            "POST",
            f"/api/v1/requests/staff/<int:staff_id>/{action}",
            "committee admin",
            path=lambda w, v: {"staff_id": w.staff_account.id},
        )
        for action in ("deactivate", "reactivate")
    ],
]


def add_servicedesk_objects(w, park) -> None:
    """A request of member_a (branch A) and one of member_b (branch B); a park enterprise."""
    w.enterprise = Enterprise(name="矩阵企业", park_org_id=park.park.id)
    db.session.add(w.enterprise)
    db.session.flush()
    w.staff_account = StaffAccount(name="矩阵职工", enterprise_id=w.enterprise.id)
    db.session.add(w.staff_account)
    w.request = {}
    for v, who in (("A", park.member_a), ("B", park.member_b)):
        w.request[v] = Request(
            kind="appeal",
            title=f"{v}诉求",
            text="内容",
            org_id=who.org_id,
            submitter_member_id=who.id,
            idempotency_key=f"m:{who.id}:matrix-{v}",
        )
        db.session.add(w.request[v])
    w.handler_id = park.committee.id
    db.session.commit()
