"""The points core used by check-in: rules as data, daily caps, exactly-once awards."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.points import services as points
from app.points.models import MemberPoints, PointLedger, PointRule

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def member(park, point_rules):
    return park.member_a


def award(member, action, key, now=NOW, quantity=1):
    entry = points.award(
        member.id,
        action,
        source_type="test",
        source_id=None,
        idempotency_key=key,
        now=now,
        quantity=quantity,
    )
    db.session.commit()
    return entry


def total(member):
    row = db.session.get(MemberPoints, member.id)
    return row.total if row else 0


def ledger_sum(member):
    return db.session.scalar(
        select(func.coalesce(func.sum(PointLedger.delta), 0)).where(
            PointLedger.member_id == member.id
        )
    )


def test_default_rules_are_seeded_once_and_keep_admin_edits(app, point_rules):
    rules = {r.action: r for r in db.session.scalars(select(PointRule))}
    assert rules["attendance_present"].points == 2 and rules["attendance_late"].points == 1
    assert rules["quiz_correct"].daily_count_cap == 5
    assert (
        rules["read_minutes"].daily_minute_cap == 6
        and rules["read_minutes"].daily_count_cap is None
    )
    assert rules["volunteer_hour"].daily_count_cap == 4
    rules["daily_signin"].points = 3
    db.session.commit()
    assert points.ensure_default_rules() == 0
    assert (
        db.session.scalar(select(PointRule.points).where(PointRule.action == "daily_signin")) == 3
    )
    assert len(points.DEFAULT_RULES) == db.session.scalar(
        select(func.count()).select_from(PointRule)
    )


def test_an_idempotency_key_awards_once(member):
    first = award(member, "attendance_present", "attendance:1:1")
    second = award(member, "attendance_present", "attendance:1:1")
    assert first.delta == 2 and second.id == first.id
    assert total(member) == 2 == ledger_sum(member)


def test_daily_count_cap_clips_then_refuses_and_resets_at_shanghai_midnight(member):
    assert award(member, "quiz_correct", "quiz:a", quantity=3).delta == 3
    assert award(member, "quiz_correct", "quiz:b", quantity=3).delta == 2  # cap 5
    assert award(member, "quiz_correct", "quiz:c") is None
    before_midnight = datetime(2030, 5, 15, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Shanghai
    assert award(member, "quiz_correct", "quiz:d", now=before_midnight) is None
    midnight = datetime(2030, 5, 15, 16, 0, tzinfo=UTC)  # 00:00 on the 16th in Shanghai
    entry = award(member, "quiz_correct", "quiz:e", now=midnight)
    assert entry.delta == 1 and entry.day == date(2030, 5, 16)
    assert total(member) == 6 == ledger_sum(member)


def test_minute_cap(member):
    assert award(member, "read_minutes", "read:1", quantity=4).delta == 4
    assert award(member, "read_minutes", "read:2", quantity=4).delta == 2
    assert award(member, "read_minutes", "read:3", quantity=1) is None


def test_inactive_or_missing_rules_award_nothing_without_error(member):
    rule = db.session.scalar(select(PointRule).where(PointRule.action == "attendance_late"))
    rule.active = False
    db.session.commit()
    assert award(member, "attendance_late", "late:1") is None
    db.session.execute(delete(PointRule).where(PointRule.action == "attendance_present"))
    db.session.commit()
    assert award(member, "attendance_present", "present:1") is None
    assert award(member, "no_such_action", "x:1") is None
    assert total(member) == 0 and ledger_sum(member) == 0


def test_adjustments_are_appended_and_move_the_total(member):
    award(member, "attendance_present", "attendance:9:1")
    fix = points.adjust(
        member.id,
        -2,
        action="attendance_adjust",
        source_type="activity",
        source_id=9,
        idempotency_key="adjust:1",
        now=NOW + timedelta(minutes=5),
        reason="考勤调整",
    )
    db.session.commit()
    assert fix.delta == -2 and fix.rule_id is None
    assert total(member) == 0 == ledger_sum(member)
    assert db.session.scalar(select(func.count()).select_from(PointLedger)) == 2


def test_concurrent_awards_respect_the_daily_cap(app, backend, member):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises every writer)")
    member_id = member.id
    barrier = threading.Barrier(12)
    errors = []

    def fire(i):
        with app.app_context():
            barrier.wait()
            try:
                points.award(
                    member_id,
                    "quiz_correct",
                    source_type="test",
                    source_id=None,
                    idempotency_key=f"race:{i % 8}",  # some keys collide, some do not
                    now=NOW,
                )
                db.session.commit()
            except Exception as exc:  # the assertion below reports it
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    db.session.rollback()
    assert errors == []
    assert ledger_sum(member) == 5 == total(member)  # 8 distinct keys, cap 5
