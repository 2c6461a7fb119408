"""党费 (issue 19): brackets and their edges by hand, the append-only ledger, reversals,
reductions approved by the level above, the month sheet and 未交名单, streaks, exports."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.dues.rules import DEFAULT_BRACKETS, amount_for, monthly_due, round_half_up
from app.timeutil import local_tz

ON_JOB, RETIRED = DEFAULT_BRACKETS["on_job"], DEFAULT_BRACKETS["retired"]


@pytest.mark.parametrize(
    ("base_yuan_fen", "expected_fen"),
    [
        (0, 0),
        (100_000, 500),  # 1,000.00 元 × 0.5 % = 5.00 元
        (300_000, 1_500),  # exactly 3,000.00: still 0.5 % → 15.00
        (300_001, 3_000),  # 3,000.01 × 1 % = 30.0001 → 30.00 (the rate on the whole base)
        (400_000, 4_000),  # 4,000.00 × 1 % = 40.00
        (500_000, 5_000),  # exactly 5,000.00: 1 % → 50.00
        (500_001, 7_500),  # 5,000.01 × 1.5 % = 75.00015 → 75.00
        (1_000_000, 15_000),  # exactly 10,000.00: 1.5 % → 150.00
        (1_000_001, 20_000),  # 10,000.01 × 2 % = 200.0002 → 200.00
        (1_234_567, 24_691),  # 12,345.67 × 2 % = 246.9134 → 246.91
        (100_100, 501),  # 1,001.00 × 0.5 % = 5.005 → half up → 5.01
        (100_099, 500),  # 1,000.99 × 0.5 % = 5.00495 → 5.00
        (333_333, 3_333),  # 3,333.33 × 1 % = 33.3333 → 33.33
        (833_300, 12_500),  # 8,333.00 × 1.5 % = 124.995 → half up → 125.00
    ],
)
def test_on_the_job_brackets_by_hand(base_yuan_fen, expected_fen):
    assert amount_for(ON_JOB, base_yuan_fen) == expected_fen


@pytest.mark.parametrize(
    ("base_fen", "expected_fen"),
    [
        (300_000, 1_500),  # 3,000.00 retired × 0.5 % = 15.00
        (500_000, 2_500),  # exactly 5,000.00 → 0.5 % = 25.00
        (500_001, 5_000),  # 5,000.01 × 1 % = 50.0001 → 50.00
        (800_000, 8_000),  # 8,000.00 × 1 % = 80.00
    ],
)
def test_retired_brackets_by_hand(base_fen, expected_fen):
    assert amount_for(RETIRED, base_fen) == expected_fen


def test_rounding_is_half_up_in_integers():
    assert round_half_up(5, 10) == 1  # 0.5 → 1
    assert round_half_up(4, 10) == 0
    assert round_half_up(15, 10) == 2  # 1.5 → 2 (not banker's 2… nor 1)
    assert round_half_up(25, 10) == 3  # 2.5 → 3 (banker's rounding would give 2)


def test_low_income_pays_twenty_fen_and_fixed_is_the_base(app):
    month = date(2026, 3, 1)
    assert monthly_due("low_income", 0, month) == 20
    assert monthly_due("low_income", 9_999_999, month) == 20
    assert monthly_due("fixed", 1_234, month) == 1_234


def test_rates_are_effective_dated_data(app, client, park):
    """An admin's new on-the-job set applies from its month; earlier months keep the old."""
    h = park.headers.admin
    body = {
        "category": "on_job",
        "effective_from": "2030-01",
        "brackets": [{"upper_fen": 300_000, "rate_bp": 100}, {"upper_fen": None, "rate_bp": 300}],
    }
    r = client.post("/api/v1/dues/rates", json=body, headers=h)
    assert r.status_code == 201, r.json
    assert monthly_due("on_job", 300_000, date(2029, 12, 1)) == 1_500
    assert monthly_due("on_job", 300_000, date(2030, 1, 1)) == 3_000
    assert monthly_due("on_job", 300_001, date(2030, 2, 1)) == 9_000
    again = client.post("/api/v1/dues/rates", json=body, headers=h)
    assert again.status_code == 409
    bad = {**body, "effective_from": "2031-01", "brackets": [{"upper_fen": 1, "rate_bp": 1}]}
    assert client.post("/api/v1/dues/rates", json=bad, headers=h).status_code == 400
    denied = client.post("/api/v1/dues/rates", json=body, headers=park.headers.committee)
    assert denied.status_code == 403


def _base(client, park, member, base_fen, month="2026-01", category="on_job"):
    r = client.post(
        f"/api/v1/dues/members/{member.id}/bases",
        json={"category": category, "base_fen": base_fen, "effective_from": month},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 201, r.json
    return r.json


def test_base_payment_and_member_view(client, park):
    _base(client, park, park.member_a, 400_000)  # 40.00 元 a month
    h = park.headers.secretary_a
    r = client.post(
        "/api/v1/dues/payments",
        json={
            "member_id": park.member_a.id,
            "months": ["2026-01", "2026-02", "2026-03"],
            "method": "wechat",
            "reference": "4200001234",
            "idempotency_key": "pay-a-2026q1",
        },
        headers=h,
    )
    assert r.status_code == 201, r.json
    assert [p["amount_fen"] for p in r.json["payments"]] == [4_000, 4_000, 4_000]
    assert [p["month"] for p in r.json["payments"]] == ["2026-01", "2026-02", "2026-03"]
    replay = client.post(
        "/api/v1/dues/payments",
        json={
            "member_id": park.member_a.id,
            "months": ["2026-01", "2026-02", "2026-03"],
            "idempotency_key": "pay-a-2026q1",
        },
        headers=h,
    )
    assert replay.status_code == 200 and not replay.json["created"]
    assert [p["id"] for p in replay.json["payments"]] == [p["id"] for p in r.json["payments"]]
    twice = client.post(
        "/api/v1/dues/payments",
        json={"member_id": park.member_a.id, "months": ["2026-02"], "idempotency_key": "other-key"},
        headers=h,
    )
    assert twice.status_code == 409 and twice.json["error"]["code"] == "dues.already_paid"
    me = client.get("/api/v1/dues/me", headers=park.headers.member_a).json
    assert me["base_fen"] == 400_000
    assert len(me["ledger"]) == 3
    paid = {m["month"]: m["status"] for m in me["months"]}
    assert paid["2026-01"] == paid["2026-03"] == "paid"


def test_no_base_and_outsiders(client, park):
    h = park.headers.secretary_a
    r = client.post(
        "/api/v1/dues/payments",
        json={"member_id": park.member_a2.id, "months": ["2026-01"], "idempotency_key": "k-nobase"},
        headers=h,
    )
    assert r.status_code == 422 and r.json["error"]["code"] == "dues.no_base"
    other = client.post(
        f"/api/v1/dues/members/{park.member_b.id}/bases",
        json={"category": "on_job", "base_fen": 1, "effective_from": "2026-01"},
        headers=h,
    )
    assert other.status_code == 403
    floaty = client.post(
        f"/api/v1/dues/members/{park.member_a.id}/bases",
        json={"category": "on_job", "base_fen": 3000.5, "effective_from": "2026-01"},
        headers=h,
    )
    assert floaty.status_code == 400  # fen are integers, never floats


def test_reversal_is_append_only_and_once(client, park, app):
    from app.audit.models import AuditLog
    from app.dues.models import DuesPayment
    from app.extensions import db

    _base(client, park, park.member_a, 200_000)  # 10.00 元
    h = park.headers.secretary_a
    pay = client.post(
        "/api/v1/dues/payments",
        json={"member_id": park.member_a.id, "months": ["2026-02"], "idempotency_key": "key-rev-1"},
        headers=h,
    ).json["payments"][0]
    rev = client.post(
        f"/api/v1/dues/payments/{pay['id']}/reversal", json={"reason": "记错人了"}, headers=h
    )
    assert rev.status_code == 201 and rev.json["amount_fen"] == -1_000
    assert rev.json["reverses_id"] == pay["id"]
    again = client.post(
        f"/api/v1/dues/payments/{pay['id']}/reversal", json={"reason": "再冲一次"}, headers=h
    )
    assert again.status_code == 409
    # the month is unpaid again and can be paid anew; the original line is untouched
    repay = client.post(
        "/api/v1/dues/payments",
        json={"member_id": park.member_a.id, "months": ["2026-02"], "idempotency_key": "key-rev-2"},
        headers=h,
    )
    assert repay.status_code == 201
    rows = db.session.query(DuesPayment).order_by(DuesPayment.id).all()
    assert [(r.kind, r.amount_fen, r.seq) for r in rows] == [
        ("payment", 1_000, 0),
        ("reversal", -1_000, 0),
        ("payment", 1_000, 1),
    ]
    audit = db.session.query(AuditLog).filter_by(action="dues.reverse").one()
    assert audit.reason == "记错人了" and audit.old_value == "10.00"


def test_reduction_needs_the_level_above(client, park):
    _base(client, park, park.member_a, 400_000)
    h = park.headers.secretary_a
    r = client.post(
        "/api/v1/dues/reductions",
        json={
            "member_id": park.member_a.id,
            "kind": "waive",
            "from_month": "2026-04",
            "to_month": "2026-06",
            "reason": "长期病休，生活困难",
        },
        headers=h,
    )
    assert r.status_code == 201 and r.json["status"] == "pending"
    own = client.post(
        f"/api/v1/dues/reductions/{r.json['id']}/decision", json={"approve": True}, headers=h
    )
    assert own.status_code == 403  # the branch cannot approve its own request
    ok = client.post(
        f"/api/v1/dues/reductions/{r.json['id']}/decision",
        json={"approve": True, "note": "同意"},
        headers=park.headers.committee,
    )
    assert ok.status_code == 200 and ok.json["status"] == "approved" and ok.json["decided_at"]
    sheet = client.get(
        "/api/v1/dues/sheet",
        query_string={"org_id": park.branch_a.id, "month": "2026-05"},
        headers=h,
    ).json
    row = next(r for r in sheet["rows"] if r["member_id"] == park.member_a.id)
    assert row["status"] == "waived" and row["due_fen"] == 0


def test_unpaid_list_shrinks_with_a_bulk_month(client, park):
    for m in (park.member_a, park.member_a2, park.secretary_a):
        _base(client, park, m, 300_000)
    h = park.headers.secretary_a
    q = {"org_id": park.branch_a.id, "month": "2026-03"}
    before = client.get("/api/v1/dues/unpaid", query_string=q, headers=h).json
    assert before["unpaid"] == 3 and before["unpaid_fen"] == 4_500
    bulk = client.post(
        "/api/v1/dues/payments/bulk",
        json={
            "org_id": park.branch_a.id,
            "month": "2026-03",
            "member_ids": [park.member_a.id, park.member_a2.id],
            "idempotency_key": "sheet-2026-03",
        },
        headers=h,
    )
    assert bulk.status_code == 201 and len(bulk.json["payments"]) == 2
    after = client.get("/api/v1/dues/unpaid", query_string=q, headers=h).json
    assert [r["member_id"] for r in after["rows"]] == [park.secretary_a.id]
    assert after["unpaid_fen"] == 1_500
    outsider = client.post(
        "/api/v1/dues/payments/bulk",
        json={
            "org_id": park.branch_a.id,
            "month": "2026-04",
            "member_ids": [park.member_b.id],
            "idempotency_key": "x-outside",
        },
        headers=h,
    )
    assert outsider.status_code in (400, 403)
    csv = client.get("/api/v1/dues/unpaid", query_string={**q, "format": "csv"}, headers=h)
    text = csv.get_data(as_text=True)
    assert "未交名单" in text and park.secretary_a.name in text and park.member_a.name not in text
    xlsx = client.get(
        "/api/v1/dues/report", query_string={"year": 2026, "format": "xlsx"}, headers=h
    )
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_collection_report_by_hand(client, park, app):
    from app.dues.reports import collection
    from app.identities import principal_for

    _base(client, park, park.member_a, 400_000)  # 40.00 a month from January
    _base(client, park, park.member_a2, 0, category="low_income")  # 0.20 a month
    h = park.headers.secretary_a
    client.post(
        "/api/v1/dues/payments",
        json={
            "member_id": park.member_a.id,
            "months": ["2026-01", "2026-02"],
            "idempotency_key": "key-col-1",
        },
        headers=h,
    )
    client.post(
        "/api/v1/dues/handovers",
        json={
            "org_id": park.branch_a.id,
            "month": "2026-02",
            "amount_fen": 8_000,
            "handed_on": "2026-03-05",
        },
        headers=h,
    )
    now = datetime(2026, 3, 15, 12, tzinfo=local_tz())
    report = collection(principal_for(f"u:{park.committee.id}"), park.park.id, 2026, now)
    row = next(r for r in report["rows"] if r["org_id"] == park.branch_a.id)
    # Jan–Mar: member_a 3 × 4,000, member_a2 3 × 20; secretary_a has no base
    assert row["due_fen"] == 3 * 4_000 + 3 * 20
    assert row["paid_fen"] == 8_000
    # arrears are the closed months unpaid: member_a2's January and February (March is running)
    assert row["arrears_fen"] == 40
    assert row["handed_over_fen"] == 8_000


def test_unpaid_streaks_alert_at_three_and_five_months_once(app, park, make_member):
    from app.dues.models import DuesBase
    from app.extensions import db
    from app.notify.models import Notification
    from app.notify.reminders import run_due

    db.session.add(
        DuesBase(
            member_id=park.member_a.id,
            effective_from=date(2026, 1, 1),
            category="on_job",
            base_fen=100_000,
        )
    )
    db.session.commit()
    # 3 April: January, February, March unpaid → 3 months
    at = datetime(2026, 4, 3, 10, tzinfo=local_tz())
    run_due(at)
    db.session.commit()
    run_due(at + timedelta(hours=1))
    db.session.commit()
    rows = db.session.query(Notification).filter_by(kind="dues_arrears").all()
    assert len(rows) == 1 and rows[0].member_id == park.secretary_a.id
    assert "连续3个月" in rows[0].title and "15.00" in rows[0].body
    # 2 June: five months → one more alert, the 3-month one is not repeated
    run_due(datetime(2026, 6, 2, 10, tzinfo=local_tz()))
    db.session.commit()
    titles = sorted(n.title for n in db.session.query(Notification).filter_by(kind="dues_arrears"))
    assert titles == ["党员连续3个月未交党费", "党员连续5个月未交党费"]
    # two months only (a payment breaks the streak): no alert for member_a2
    db.session.add(
        DuesBase(
            member_id=park.member_a2.id,
            effective_from=date(2026, 4, 1),
            category="on_job",
            base_fen=100_000,
        )
    )
    db.session.commit()
    assert not any(
        "李四" in n.body for n in db.session.query(Notification).filter_by(kind="dues_arrears")
    )


def test_member_reminder_on_the_configured_day_once(app, park):
    from app.dues.models import DuesBase
    from app.extensions import db
    from app.notify.models import Notification
    from app.notify.reminders import run_due

    db.session.add(
        DuesBase(
            member_id=park.member_a.id,
            effective_from=date(2026, 1, 1),
            category="fixed",
            base_fen=500,
        )
    )
    db.session.commit()
    run_due(datetime(2026, 5, 4, 10, tzinfo=local_tz()))
    assert db.session.query(Notification).filter_by(kind="dues_owed").count() == 0
    for hour in (10, 15):
        run_due(datetime(2026, 5, 5, hour, tzinfo=local_tz()))
        db.session.commit()
    rows = db.session.query(Notification).filter_by(kind="dues_owed").all()
    assert [r.member_id for r in rows] == [park.member_a.id]
    run_due(datetime(2026, 5, 31, 10, tzinfo=local_tz()))
    db.session.commit()
    end = db.session.query(Notification).filter_by(kind="dues_month_end").all()
    assert [r.member_id for r in end] == [park.secretary_a.id] and "1名" in end[0].title


def _race(app, n, fire_one):
    import threading

    barrier = threading.Barrier(n)
    answers, lock = [], threading.Lock()

    def fire(i):
        client = app.test_client()
        barrier.wait()
        r = fire_one(client, i)
        with lock:
            answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def test_concurrent_payments_record_one_line(app, backend, client, park):
    """Twenty identical submissions (same key) and twenty different keys for the same month:
    the ledger holds exactly one payment for the member-month."""
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    from app.dues.models import DuesPayment
    from app.extensions import db

    _base(client, park, park.member_a, 400_000)
    h = park.headers.secretary_a
    member_id = park.member_a.id  # read before the threads: they have no session of ours

    def same_key(c, i):
        body = {
            "member_id": member_id,
            "months": ["2026-05"],
            "idempotency_key": "race-same",
        }
        return c.post("/api/v1/dues/payments", json=body, headers=h)

    answers = _race(app, 20, same_key)
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) == 1 and codes.count(200) == 19, codes
    assert len({body["payments"][0]["id"] for _, body in answers}) == 1

    def other_keys(c, i):
        body = {
            "member_id": member_id,
            "months": ["2026-06"],
            "idempotency_key": f"race-{i:04d}",
        }
        return c.post("/api/v1/dues/payments", json=body, headers=h)

    answers = _race(app, 20, other_keys)
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) == 1 and codes.count(409) == 19, codes
    db.session.rollback()
    months = [p.month for p in db.session.query(DuesPayment).order_by(DuesPayment.month)]
    assert months == [date(2026, 5, 1), date(2026, 6, 1)]


def test_concurrent_reversals_reverse_once(app, backend, client, park):
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    from app.dues.models import DuesPayment
    from app.extensions import db

    _base(client, park, park.member_a, 400_000)
    h = park.headers.secretary_a
    pay = client.post(
        "/api/v1/dues/payments",
        json={
            "member_id": park.member_a.id,
            "months": ["2026-05"],
            "idempotency_key": "race-rev-0",
        },
        headers=h,
    ).json["payments"][0]
    url = f"/api/v1/dues/payments/{pay['id']}/reversal"
    answers = _race(app, 12, lambda c, i: c.post(url, json={"reason": "冲正"}, headers=h))
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) == 1 and codes.count(409) == 11, codes
    db.session.rollback()
    assert db.session.query(DuesPayment).filter_by(kind="reversal").count() == 1


def test_members_report_carries_unpaid_dues_beside_the_absence_flag(client, park):
    from app.dues.models import DuesBase
    from app.dues.rules import add_months, month_start
    from app.extensions import db
    from app.timeutil import local_day, utcnow

    start = add_months(month_start(local_day(utcnow())), -4)  # four closed months unpaid
    db.session.add(
        DuesBase(member_id=park.member_a.id, effective_from=start, category="fixed", base_fen=100)
    )
    db.session.commit()
    r = client.get(
        "/api/v1/reports/members",
        query_string={"org_id": park.branch_a.id},
        headers=park.headers.secretary_a,
    )
    rows = {row["member_id"]: row for row in r.json["rows"]}
    assert (rows[park.member_a.id]["dues_unpaid_months"], rows[park.member_a.id]["dues_flag"]) == (
        4,
        3,
    )
    assert rows[park.member_a2.id]["dues_unpaid_months"] == 0
    csv = client.get(
        "/api/v1/reports/members",
        query_string={"org_id": park.branch_a.id, "format": "csv"},
        headers=park.headers.secretary_a,
    ).get_data(as_text=True)
    assert "连续未交党费(月)" in csv
