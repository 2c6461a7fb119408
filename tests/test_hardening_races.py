"""Issue 16, item 9: an idempotent action raced by parallel requests is audited once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.extensions import db
from app.points import services as points
from app.points.models import PointLedger
from app.timeutil import utcnow


def _parallel(app, n, send):
    """Fire `send(client)` from n threads released together; the (status, body) answers."""
    barrier = threading.Barrier(n)
    answers, lock = [], threading.Lock()

    def fire():
        client = app.test_client()
        barrier.wait()
        response = send(client)
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=fire) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == n
    return answers


def test_twenty_parallel_revocations_write_one_revocation_and_one_audit_row(
    app, backend, park, point_rules
):
    """One 201 and nineteen repeats (409 points.already_revoked); one audit row."""
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    award = points.award(
        park.member_a.id,
        "attendance_present",
        source_type="test",
        source_id=None,
        idempotency_key="race:revoke",
        now=utcnow(),
    )
    db.session.commit()
    body = {"entry_id": award.id, "reason": "重复签到，撤销"}
    answers = _parallel(
        app,
        20,
        lambda c: c.post("/api/v1/points/adjustments", json=body, headers=park.headers.committee),
    )
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 19, codes
    assert {b["error"]["code"] for c, b in answers if c == 409} == {"points.already_revoked"}
    db.session.rollback()
    revocations = db.session.scalars(
        select(PointLedger).where(PointLedger.action == "revocation")
    ).all()
    assert len(revocations) == 1
    audited = db.session.scalars(select(AuditLog).where(AuditLog.action == "points.revoke")).all()
    assert [a.entity_id for a in audited] == [revocations[0].id]


def test_parallel_retries_of_one_adjustment_are_audited_once(app, backend, park, point_rules):
    """The same request_id sent ten times at once: one entry, one audit row, ten equal answers."""
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    body = {"member_id": park.member_b.id, "delta": 10, "reason": "奖励", "request_id": "r-race"}
    answers = _parallel(
        app,
        10,
        lambda c: c.post("/api/v1/points/adjustments", json=body, headers=park.headers.committee),
    )
    assert sorted(code for code, _ in answers) == [201] * 10
    assert len({b["id"] for _, b in answers}) == 1
    db.session.rollback()
    audited = db.session.scalars(select(AuditLog).where(AuditLog.action == "points.adjust")).all()
    assert len(audited) == 1
