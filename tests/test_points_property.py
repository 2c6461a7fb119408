"""Property: whatever sequence of awards, repeated keys, revocations, adjustments and day
changes happens, after every step the balance and every period total equal the ledger sums,
and no rule pays more than its daily cap."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.audit.models import AuditLog
from app.errors import APIError
from app.extensions import db
from app.points import admin
from app.points import services as points
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger, PointRule
from app.points.scope import period_keys

START = datetime(2030, 12, 29, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, a week/year edge near
ACTIONS = ("daily_signin", "quiz_correct", "read_minutes", "attendance_present", "volunteer_hour")

award_op = st.tuples(
    st.just("award"),
    st.integers(0, 2),  # which member
    st.sampled_from(ACTIONS),
    st.integers(1, 7),  # quantity
    st.integers(0, 5),  # key from a small pool, so keys repeat
)
revoke_op = st.tuples(st.just("revoke"), st.integers(0, 50))
adjust_op = st.tuples(
    st.just("adjust"), st.integers(0, 2), st.sampled_from([d for d in range(-9, 10) if d])
)
time_op = st.tuples(st.just("time"), st.sampled_from([1, 3, 20, 24, 24 * 6, 24 * 31]))
operations = st.lists(st.one_of(award_op, award_op, revoke_op, adjust_op, time_op), max_size=25)


def check_invariants(member_ids: list[int], caps: dict[str, int]) -> None:
    ledger = list(db.session.scalars(select(PointLedger)))
    expected: dict[tuple, int] = defaultdict(int)
    per_day: dict[tuple, int] = defaultdict(int)
    for e in ledger:
        for kind, key in period_keys(e.day):
            expected[(e.member_id, kind, key)] += e.delta
        if e.rule_id is not None:
            per_day[(e.member_id, e.day, e.action)] += e.delta
    periods = {
        (r.member_id, r.period_kind, r.period_key): r.points
        for r in db.session.scalars(select(MemberPointPeriod))
    }
    assert periods == dict(expected)
    totals = dict(db.session.execute(select(MemberPoints.member_id, MemberPoints.total)).all())
    for member_id in member_ids:
        balance = sum(e.delta for e in ledger if e.member_id == member_id)
        assert totals.get(member_id, 0) == balance
        assert periods.get((member_id, "all", "all"), 0) == balance
    for (_member, _day, action), earned in per_day.items():
        if action in caps:
            assert earned <= caps[action], (action, earned)


@settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# a revocation a month later corrects the period of the entry it revokes
@example(ops=[("award", 0, "attendance_present", 1, 0), ("time", 24 * 31), ("revoke", 0)])
@given(ops=operations)
def test_totals_always_equal_the_ledger_and_caps_hold(app, park, point_rules, principal_of, ops):
    for table in (AuditLog, PointLedger, MemberPointPeriod, MemberPoints):
        db.session.execute(delete(table))
    db.session.commit()
    members = [park.member_a, park.member_a2, park.member_b]
    member_ids = [m.id for m in members]
    committee = principal_of(park.committee)
    caps = {
        r.action: points.daily_cap(r) * r.points
        for r in db.session.scalars(select(PointRule))
        if points.daily_cap(r) is not None
    }
    now = START
    for op in ops:
        if op[0] == "award":
            _, who, action, quantity, key = op
            points.award(
                member_ids[who],
                action,
                source_type="test",
                source_id=None,
                idempotency_key=f"{action}:{who}:{key}",
                now=now,
                quantity=quantity,
            )
        elif op[0] == "revoke":
            entries = list(db.session.scalars(select(PointLedger).order_by(PointLedger.id)))
            if entries:
                entry = entries[op[1] % len(entries)]
                try:
                    admin.make_adjustment(committee, {"entry_id": entry.id, "reason": "撤销"}, now)
                except APIError as exc:  # already revoked, or not a rule award
                    assert exc.status == 409
        elif op[0] == "adjust":
            _, who, delta = op
            data = {"member_id": member_ids[who], "delta": delta, "reason": "调整"}
            admin.make_adjustment(committee, data, now)
        else:
            now += timedelta(hours=op[1])
        db.session.commit()
        check_invariants(member_ids, caps)
