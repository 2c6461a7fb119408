"""Authorization-matrix entries for the park's ledgers (issue 19): dues, notices, posts, the
enterprise ledger and visits. Kept beside tests/test_authz_matrix.py (which counts them in
its every-route check) so the ledgers' rows and their objects live in one place."""

from __future__ import annotations

from datetime import date, timedelta

from app.dues.models import DuesBase, DuesPayment, DuesReduction
from app.extensions import db
from app.notices.models import Notice, NoticeReceipt
from app.org.models import Enterprise
from app.posts.models import Post, PostHolder
from app.visits.models import Assignment
from tests.test_authz_matrix import ALL, MEMBERS, OWN, SCOPED, STAFF, Route, org

R = Route
COMMITTEE = "committee:AB admin:AB"  # the park's enterprises are the committee's


def _other(w, v):
    return {"member_id": w.other[v].id}


def _month(w, v):
    return {"org_id": w.branch[v].id, "month": "2026-03"}


LEDGER_ROUTES = [
    # the member's ledger pages are shells (their scripts read the API with the member's token);
    # the card's check page renders only what a shown card may say, for any token
    *[R("GET", rule, "*") for rule in ("/m/dues", "/m/notices", "/m/card")],
    R("GET", "/m/notices/<int:notice_id>", "*", path=lambda w, v: {"notice_id": w.notice["A"].id}),
    R("GET", "/m/card/check", "*", query=lambda w, v: {"token": "not-a-card"}),
    # dues
    R("GET", "/api/v1/dues/me", MEMBERS),
    R("GET", "/api/v1/dues/rates", ALL),
    R(
        "POST",
        "/api/v1/dues/rates",
        "admin",
        body=lambda w, v: {
            "category": "retired",
            "effective_from": "2031-01",
            "brackets": [
                {"upper_fen": 500_000, "rate_bp": 50},
                {"upper_fen": None, "rate_bp": 100},
            ],
        },
    ),
    R(
        "GET",
        "/api/v1/dues/members/<int:member_id>/bases",
        SCOPED,
        path=_other,
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/dues/members/<int:member_id>/bases",
        SCOPED,
        path=_other,
        variants=("A", "B"),
        body=lambda w, v: {"category": "on_job", "base_fen": 300_000, "effective_from": "2026-02"},
    ),
    R(
        "GET",
        "/api/v1/dues/members/<int:member_id>/ledger",
        SCOPED,
        path=_other,
        variants=("A", "B"),
    ),
    R(
        "POST",
        "/api/v1/dues/payments",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "member_id": w.other[v].id,
            "months": ["2026-04"],
            "idempotency_key": f"authz-pay-{v}",
        },
    ),
    R(
        "POST",
        "/api/v1/dues/payments/bulk",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "org_id": w.branch[v].id,
            "month": "2026-05",
            "member_ids": [w.other[v].id],
            "idempotency_key": f"authz-bulk-{v}",
        },
    ),
    R(
        "POST",
        "/api/v1/dues/payments/<int:payment_id>/reversal",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"payment_id": w.payment[v].id},
        body=lambda w, v: {"reason": "记错"},
    ),
    R("GET", "/api/v1/dues/reductions", STAFF),
    R(
        "POST",
        "/api/v1/dues/reductions",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "member_id": w.other[v].id,
            "kind": "waive",
            "from_month": "2026-06",
            "to_month": "2026-06",
            "reason": "困难",
        },
    ),
    # the level above the branch decides, never the branch itself
    R(
        "POST",
        "/api/v1/dues/reductions/<int:reduction_id>/decision",
        COMMITTEE,
        variants=("A", "B"),
        path=lambda w, v: {"reduction_id": w.reduction[v].id},
        body=lambda w, v: {"approve": True},
    ),
    R(
        "POST",
        "/api/v1/dues/handovers",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "org_id": w.branch[v].id,
            "month": "2026-03",
            "amount_fen": 100,
            "handed_on": "2026-04-01",
        },
    ),
    R("GET", "/api/v1/dues/sheet", SCOPED, variants=("A", "B"), query=_month),
    R("GET", "/api/v1/dues/unpaid", SCOPED, variants=("A", "B"), query=_month),
    R("GET", "/api/v1/dues/report", SCOPED, variants=("A", "B"), query=org),
    # notices
    R("GET", "/api/v1/notices", STAFF),
    R(
        "POST",
        "/api/v1/notices",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {"org_id": w.branch[v].id, "title": "通知"},
    ),
    R("GET", "/api/v1/notices/mine", MEMBERS),
    R(
        "GET",
        "/api/v1/notices/<int:notice_id>",
        f"{OWN} {SCOPED}",
        variants=("A", "B"),
        path=lambda w, v: {"notice_id": w.notice[v].id},
    ),
    R(
        "PATCH",
        "/api/v1/notices/<int:notice_id>",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"notice_id": w.notice[v].id},
        body=lambda w, v: {"pinned": True},
    ),
    R(
        "POST",
        "/api/v1/notices/<int:notice_id>/confirm",
        f"{OWN} secretary_a:A",
        variants=("A", "B"),
        path=lambda w, v: {"notice_id": w.notice[v].id},
    ),
    R(
        "GET",
        "/api/v1/notices/<int:notice_id>/receipts",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"notice_id": w.notice[v].id},
    ),
    R(
        "POST",
        "/api/v1/notices/<int:notice_id>/remind",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"notice_id": w.notice[v].id},
    ),
    # posts and the card
    R("GET", "/api/v1/posts", ALL),
    R(
        "POST",
        "/api/v1/posts",
        SCOPED,
        variants=("A", "B"),
        body=lambda w, v: {
            "org_id": w.branch[v].id,
            "kind": "model",
            "name": "示范岗",
            "starts_on": "2026-01-01",
        },
    ),
    R("GET", "/api/v1/posts/report", SCOPED, variants=("A", "B"), query=org),
    R(
        "GET",
        "/api/v1/posts/<int:post_id>",
        f"{OWN} {SCOPED}",
        variants=("A", "B"),
        path=lambda w, v: {"post_id": w.post[v].id},
    ),
    R(
        "POST",
        "/api/v1/posts/<int:post_id>/holders",
        SCOPED,
        variants=("A", "B"),
        path=lambda w, v: {"post_id": w.post[v].id},
        body=lambda w, v: {"member_id": w.branch_member[v].id},
    ),
    R(
        "POST",
        "/api/v1/posts/<int:post_id>/claim",
        f"{OWN} secretary_a:A",
        variants=("A", "B"),
        path=lambda w, v: {"post_id": w.post[v].id},
    ),
    R(
        "POST",
        "/api/v1/posts/<int:post_id>/release",
        SCOPED,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"post_id": w.post[v].id},
        body=lambda w, v: {"member_id": w.other[v].id},
    ),
    R("GET", "/api/v1/me/card", MEMBERS),
    R("GET", "/api/v1/me/card.svg", MEMBERS),
    R("GET", "/api/v1/cards/verify", "*", query=lambda w, v: {"token": "not-a-card"}),
    # the enterprise ledger
    R("GET", "/api/v1/enterprises/coverage-modes", STAFF),
    R(
        "GET",
        "/api/v1/enterprises/<int:enterprise_id>",
        COMMITTEE,
        variants=("A", "B"),
        path=lambda w, v: {"enterprise_id": w.enterprise[v].id},
    ),
    R(
        "PATCH",
        "/api/v1/enterprises/<int:enterprise_id>",
        COMMITTEE,
        variants=("A", "B"),
        path=lambda w, v: {"enterprise_id": w.enterprise[v].id},
        body=lambda w, v: {"full_members": 0, "reason": "核查"},
    ),
    R(
        "GET",
        "/api/v1/enterprises/<int:enterprise_id>/history",
        COMMITTEE,
        variants=("A", "B"),
        path=lambda w, v: {"enterprise_id": w.enterprise[v].id},
    ),
    # instructors and visits
    R("GET", "/api/v1/instructor-assignments", ALL),
    R(
        "POST",
        "/api/v1/instructor-assignments",
        COMMITTEE,
        variants=("A", "B"),
        body=lambda w, v: {"enterprise_id": w.enterprise[v].id, "member_id": w.branch_member[v].id},
    ),
    R(
        "POST",
        "/api/v1/instructor-assignments/<int:assignment_id>/end",
        COMMITTEE,
        variants=("A", "B"),
        path=lambda w, v: {"assignment_id": w.assignment[v].id},
    ),
    R("GET", "/api/v1/visits", ALL),
    R(
        "POST",
        "/api/v1/visits",
        COMMITTEE,
        variants=("A", "B"),
        body=lambda w, v: {
            "enterprise_id": w.enterprise[v].id,
            "member_id": w.other[v].id,
            "visited_on": (w.now - timedelta(days=1)).date().isoformat(),
        },
    ),
    R("GET", "/api/v1/visits/report", STAFF),
    R("GET", "/api/v1/visits/overdue", STAFF),
]


def add_ledger_objects(w, park) -> None:
    """Objects of branch A and B for the ledger routes (added to the matrix's world)."""
    w.payment, w.reduction, w.notice, w.post, w.enterprise, w.assignment = ({} for _ in range(6))
    w.branch_member = {"A": park.member_a, "B": park.member_b}
    for v in "AB":
        other = w.other[v]
        db.session.add(
            DuesBase(
                member_id=other.id, effective_from=date(2026, 1, 1), category="fixed", base_fen=100
            )
        )
        payment = DuesPayment(
            member_id=other.id,
            org_id=w.branch[v].id,
            month=date(2026, 1, 1),
            amount_fen=100,
            idempotency_key=f"authz-world-{v}",
        )
        reduction = DuesReduction(
            member_id=other.id,
            org_id=w.branch[v].id,
            kind="waive",
            from_month=date(2026, 7, 1),
            to_month=date(2026, 7, 1),
            reason="困难",
        )
        notice = Notice(
            org_id=w.branch[v].id,
            title=f"{v}通知",
            publish_at=w.now - timedelta(hours=1),
            needs_confirmation=True,
        )
        post = Post(
            org_id=w.branch[v].id, kind="pioneer", name=f"{v}先锋岗", starts_on=date(2026, 1, 1)
        )
        enterprise = Enterprise(
            name=f"{v}企业", park_org_id=w.park.id, covering_org_id=w.branch[v].id
        )
        db.session.add_all([payment, reduction, notice, post, enterprise])
        db.session.flush()
        members = (
            [park.member_a, park.member_a2, park.secretary_a]
            if v == "A"
            else [park.member_b, other]
        )
        db.session.add_all([NoticeReceipt(notice_id=notice.id, member_id=m.id) for m in members])
        db.session.add(PostHolder(post_id=post.id, member_id=other.id, since=date(2026, 1, 1)))
        assignment = Assignment(
            enterprise_id=enterprise.id,
            member_id=other.id,
            kind="instructor",
            since=date(2026, 1, 1),
        )
        db.session.add(assignment)
        db.session.flush()
        w.payment[v], w.reduction[v], w.notice[v] = payment, reduction, notice
        w.post[v], w.enterprise[v], w.assignment[v] = post, enterprise, assignment
    db.session.commit()
