"""组织关系转接 (issue 21, part 1): approvals on both sides (and the park committees across
parks), the history moving on the effective day with both branches' past reports unchanged,
outside transfers, reject and cancel, one open transfer per member, and exactly-once moves."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditLog
from app.errors import APIError
from app.extensions import db
from app.members.models import Member, MemberHistory
from app.reports import members as report_members
from app.reports.compliance import compliance_report
from app.reports.services import Scope, attendance_report
from app.transfers import reporting, services
from app.transfers.models import REPORTING, Transfer
from tests.test_reports import NOW, activity, at, mark

TODAY = date(2026, 11, 21)


@pytest.fixture
def two(park, make_member, grant):
    """Branch B gets its own secretary; a March theme day in each branch, member_a present."""
    secretary_b = make_member(park.branch_b, name="钱书记")
    grant(park.branch_b, "secretary", member=secretary_b)
    a_march = activity(park.branch_a, at(3, 10))
    b_march = activity(park.branch_b, at(3, 12))
    mark(a_march, park.member_a)
    mark(b_march, park.member_b)
    return secretary_b


def _snapshot(park):
    """The past the transfer must not touch: compliance of the past months and attendance of
    March (per branch and per activity, with the expected counts), on both sides."""
    out = {}
    for branch in (park.branch_a, park.branch_b):
        march = Scope(branch, date(2026, 3, 1), date(2026, 4, 1))
        out[branch.id] = (
            # the past months (January … October); December's yearly items count today's members
            [b["months"][:10] for b in compliance_report(branch, 2026, NOW)["branches"]],
            attendance_report(march, NOW, False),
            attendance_report(march, NOW, True),
        )
    return out


def _history(member_id):
    rows = db.session.scalars(
        select(MemberHistory).where(MemberHistory.member_id == member_id).order_by(MemberHistory.id)
    ).all()
    return [(r.org_id, r.valid_from, r.valid_to) for r in rows]


def test_member_asks_both_sides_approve_and_the_past_stays(park, principal_of, two):
    """The member asks; secretary A approves, secretary B approves: on the effective day the
    member belongs to B, the history moved that day, and March reads the same on both sides."""
    secretary_b = two
    before = _snapshot(park)
    member = principal_of(park.member_a)
    t = services.create_transfer(
        member,
        {
            "to_org_id": park.branch_b.id,
            "letter_no": "园党转〔2026〕7号",
            "report_by": date(2026, 12, 1),
        },
        NOW,
    )
    db.session.commit()
    assert (t.status, t.side_list) == ("pending", ["from", "to"])
    # the member cannot approve, nor can A's secretary approve B's side
    with pytest.raises(APIError) as refused:
        services.approve(principal_of(park.secretary_a), t.id, {"side": "to"}, NOW)
    assert refused.value.status == 403
    db.session.rollback()
    services.approve(principal_of(park.secretary_a), t.id, {}, NOW)
    db.session.commit()
    assert (t.status, db.session.get(Member, park.member_a.id).org_id) == (
        "pending",
        park.branch_a.id,
    )
    services.approve(principal_of(secretary_b), t.id, {}, NOW)
    db.session.commit()
    assert (t.status, t.effective_on) == ("completed", TODAY)
    assert db.session.get(Member, park.member_a.id).org_id == park.branch_b.id
    assert _history(park.member_a.id) == [
        (park.branch_a.id, None, TODAY),
        (park.branch_b.id, TODAY, None),
    ]
    assert _snapshot(park) == before
    # every decision is in the audit log, the move with old → new
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "transfer").order_by(AuditLog.id)
    ).all()
    assert actions == [
        "transfer.request",
        "transfer.approved",
        "transfer.approved",
        "transfer.complete",
    ]
    move = db.session.scalar(select(AuditLog).where(AuditLog.action == "transfer.complete"))
    assert (move.old_value, move.new_value) == ("A企业党支部", "B企业党支部")
    # today's members report lists the member under B, with this year's March attendance
    rows = {r["member_id"]: r for r in report_members.member_rows(park.park, NOW, 2026)}
    assert (rows[park.member_a.id]["org_id"], rows[park.member_a.id]["attended"]) == (
        park.branch_b.id,
        1,
    )


def test_across_parks_the_committees_approve_too(
    park, make_org, make_member, make_user, grant, principal_of
):
    """From park 1 to park 2: both branches and both park committees; a branch secretary
    cannot decide a park's side; three approvals leave it pending."""
    park2 = make_org("二号园区综合党委", "general_committee", park.work)
    branch_c = make_org("C企业党支部", "branch", park2)
    secretary_c = make_member(branch_c, name="孙书记")
    grant(branch_c, "secretary", member=secretary_c)
    committee2 = make_user("committee2")
    grant(park2, "secretary", user=committee2)
    t = services.create_transfer(
        principal_of(park.secretary_a),
        {"member_id": park.member_a.id, "to_org_id": branch_c.id},
        NOW,
    )
    db.session.commit()
    assert t.side_list == ["from", "to", "from_park", "to_park"]
    with pytest.raises(APIError) as refused:
        services.approve(principal_of(secretary_c), t.id, {"side": "to_park"}, NOW)
    assert refused.value.status == 403
    db.session.rollback()
    services.approve(principal_of(park.secretary_a), t.id, {}, NOW)
    services.approve(principal_of(secretary_c), t.id, {}, NOW)
    services.approve(principal_of(committee2), t.id, {"side": "to_park"}, NOW)
    db.session.commit()
    assert t.status == "pending"
    assert db.session.get(Member, park.member_a.id).org_id == park.branch_a.id
    # the park committee of the sending side decides its own side
    services.approve(principal_of(park.committee), t.id, {"side": "from_park"}, NOW)
    db.session.commit()
    assert t.status == "completed"
    assert db.session.get(Member, park.member_a.id).org_id == branch_c.id


def test_reject_needs_a_reason_and_ends_the_transfer(park, principal_of, two):
    t = services.create_transfer(principal_of(park.member_a), {"to_org_id": park.branch_b.id}, NOW)
    db.session.commit()
    with pytest.raises(APIError) as bare:
        services.reject(principal_of(two), t.id, {}, NOW)
    assert (bare.value.status, bare.value.code) == (400, "transfer.reason_required")
    services.reject(principal_of(two), t.id, {"reason": "接收单位不符"}, NOW)
    db.session.commit()
    assert (t.status, t.reject_reason) == ("rejected", "接收单位不符")
    with pytest.raises(APIError) as late:
        services.approve(principal_of(park.secretary_a), t.id, {}, NOW)
    assert (late.value.status, late.value.code) == (409, "transfer.not_pending")
    db.session.rollback()
    assert db.session.get(Member, park.member_a.id).org_id == park.branch_a.id
    # a rejected transfer is closed: the member may ask again
    again = services.create_transfer(
        principal_of(park.member_a), {"to_org_id": park.branch_b.id}, NOW
    )
    assert again.status == "pending"


def test_one_open_transfer_per_member_and_cancel(park, principal_of, two):
    member = principal_of(park.member_a)
    t = services.create_transfer(member, {"to_org_id": park.branch_b.id}, NOW)
    db.session.commit()
    with pytest.raises(APIError) as twice:
        services.create_transfer(
            principal_of(park.secretary_a),
            {"member_id": park.member_a.id, "kind": "out", "external_org_name": "某市委"},
            NOW,
        )
    assert (twice.value.status, twice.value.code) == (409, "transfer.already_open")
    db.session.rollback()
    # the database itself refuses a second open transfer
    db.session.add(
        Transfer(
            kind="out",
            member_id=park.member_a.id,
            from_org_id=park.branch_a.id,
            external_org_name="x",
            sides="from",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # someone else cannot cancel (they cannot even see it); the member can
    with pytest.raises(APIError) as other:
        services.cancel(principal_of(park.member_a2), t.id, {}, NOW)
    assert other.value.status == 404
    services.cancel(member, t.id, {"reason": "不走了"}, NOW)
    db.session.commit()
    assert t.status == "cancelled"
    with pytest.raises(APIError) as closed:
        services.approve(principal_of(two), t.id, {}, NOW)
    assert closed.value.code == "transfer.not_pending"


def test_a_future_effective_day_moves_the_member_on_that_day_once(park, principal_of, two):
    effective = TODAY + timedelta(days=10)
    t = services.create_transfer(
        principal_of(park.secretary_a),
        {"member_id": park.member_a.id, "to_org_id": park.branch_b.id, "effective_on": effective},
        NOW,
    )
    services.approve(principal_of(park.secretary_a), t.id, {}, NOW)
    services.approve(principal_of(two), t.id, {}, NOW)
    db.session.commit()
    assert t.status == "approved"
    assert services.apply_due(NOW + timedelta(days=9)) == 0
    assert db.session.get(Member, park.member_a.id).org_id == park.branch_a.id
    assert services.apply_due(NOW + timedelta(days=10)) == 1
    assert services.apply_due(NOW + timedelta(days=11)) == 0
    db.session.commit()
    assert t.status == "completed"
    assert _history(park.member_a.id)[-1] == (park.branch_b.id, effective, None)


def test_dates_are_checked(park, principal_of):
    member = principal_of(park.member_a)
    with pytest.raises(APIError) as past:
        services.create_transfer(
            member, {"to_org_id": park.branch_b.id, "effective_on": TODAY - timedelta(days=1)}, NOW
        )
    assert past.value.code == "transfer.effective_in_past"
    with pytest.raises(APIError) as early:
        services.create_transfer(
            member,
            {
                "to_org_id": park.branch_b.id,
                "effective_on": TODAY + timedelta(days=5),
                "report_by": TODAY,
            },
            NOW,
        )
    assert early.value.code == "transfer.report_by_too_early"
    with pytest.raises(APIError) as own:
        services.create_transfer(member, {"to_org_id": park.branch_a.id}, NOW)
    assert own.value.code == "transfer.bad_target"
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 0


def test_outside_transfers_need_one_side(park, principal_of):
    """Out of the system: the sending side alone, the member leaves. In from outside: the
    receiving side alone, the member is created in the branch from the effective day."""
    secretary = principal_of(park.secretary_a)
    out = services.create_transfer(
        secretary,
        {"member_id": park.member_a2.id, "kind": "out", "external_org_name": "外省某公司党委"},
        NOW,
    )
    assert out.side_list == ["from"]
    services.approve(secretary, out.id, {}, NOW)
    db.session.commit()
    left = db.session.get(Member, park.member_a2.id)
    assert (out.status, left.is_active) == ("completed", False)
    assert _history(left.id) == [(park.branch_a.id, None, TODAY)]
    arriving = services.create_transfer(
        secretary,
        {
            "kind": "in",
            "to_org_id": park.branch_a.id,
            "external_org_name": "某县委组织部",
            "member_name": "周新",
            "member_phone": "13800000001",
        },
        NOW,
    )
    assert (arriving.side_list, arriving.member_id) == (["to"], None)
    services.approve(secretary, arriving.id, {}, NOW)
    db.session.commit()
    new = db.session.get(Member, arriving.member_id)
    assert (new.name, new.org_id, new.status) == ("周新", park.branch_a.id, "full")
    assert _history(new.id) == [(park.branch_a.id, TODAY, None)]


def test_transfer_report_counts_in_and_out_per_branch(park, principal_of, two, client):
    """A→B in November: A out 1, B in 1; nothing in October; the CSV has the same figures."""
    t = services.create_transfer(principal_of(park.member_a), {"to_org_id": park.branch_b.id}, NOW)
    services.approve(principal_of(park.secretary_a), t.id, {}, NOW)
    services.approve(principal_of(two), t.id, {}, NOW)
    db.session.commit()
    from app.transfers.reports import transfer_report

    committee = principal_of(park.committee)
    nov = transfer_report(committee, {"period": "month", "on": TODAY}, NOW)
    counts = {r["org_name"]: (r["in"], r["out"]) for r in nov["rows"]}
    assert counts == {"A企业党支部": (0, 1), "B企业党支部": (1, 0)}
    assert (nov["total_in"], nov["total_out"], nov["label"]) == (1, 1, "2026年11月")
    octo = transfer_report(committee, {"period": "month", "on": date(2026, 10, 5)}, NOW)
    assert octo["transfers"] == []
    year = transfer_report(committee, {"period": "quarter", "on": TODAY}, NOW)
    assert [x["member_name"] for x in year["transfers"]] == ["张三"]


def test_secretary_b_sees_the_incoming_and_member_b_does_not(park, principal_of, two):
    t = services.create_transfer(principal_of(park.member_a), {"to_org_id": park.branch_b.id}, NOW)
    db.session.commit()
    args = {"page": 1, "per_page": 20}
    incoming = services.list_transfers(principal_of(two), {**args, "direction": "in"})
    assert [x.id for x in incoming["items"]] == [t.id]
    assert incoming["items"][0].my_sides == ["to"]
    outgoing = services.list_transfers(principal_of(two), {**args, "direction": "out"})
    assert outgoing["items"] == []
    assert services.list_transfers(principal_of(park.member_b), args)["items"] == []
    with pytest.raises(APIError):
        services.get_transfer(principal_of(park.member_b), t.id)


def test_concurrent_approvals_move_the_member_once(app, backend, park, two, auth_headers):
    """Both secretaries approve at once, ten times each: exactly one move, one history row
    opened, one completion in the log (PostgreSQL: real concurrent writers)."""
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    member_id, branch_b = park.member_a.id, park.branch_b.id
    h_member = auth_headers(park.member_a)
    client = app.test_client()
    t = client.post("/api/v1/transfers", json={"to_org_id": branch_b}, headers=h_member).json
    heads = [park.headers.secretary_a, auth_headers(two)]
    barrier = threading.Barrier(20)
    answers, lock = [], threading.Lock()

    def fire(i):
        c = app.test_client()
        barrier.wait()
        r = c.post(f"/api/v1/transfers/{t['id']}/approve", json={}, headers=heads[i % 2])
        with lock:
            answers.append(r.status_code)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sorted(answers).count(200) == 2 and set(answers) <= {200, 409}
    db.session.expire_all()
    assert db.session.get(Member, member_id).org_id == branch_b
    opened = db.session.scalar(
        select(func.count())
        .select_from(MemberHistory)
        .where(MemberHistory.member_id == member_id, MemberHistory.org_id == branch_b)
    )
    completions = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "transfer.complete")
    )
    assert (opened, completions) == (1, 1)


def test_the_api_answers_and_the_member_sees_their_own(client, park, two, auth_headers):
    h = park.headers.member_a
    bad = client.post("/api/v1/transfers", json={"to_org_id": 999999}, headers=h)
    assert (bad.status_code, bad.json["error"]["code"]) == (422, "transfer.org_invalid")
    made = client.post(
        "/api/v1/transfers", json={"to_org_id": park.branch_b.id, "letter_no": "7号"}, headers=h
    )
    assert made.status_code == 201
    body = made.json
    assert (body["status_label"], body["to_org_name"], body["can_cancel"]) == (
        "待审批",
        "B企业党支部",
        True,
    )
    assert [s["side_label"] for s in body["steps"]] == ["转出支部", "接收支部"]
    mine = client.get("/api/v1/transfers?mine=true", headers=h).json
    assert [x["id"] for x in mine["items"]] == [body["id"]]
    assert (
        client.get(f"/api/v1/transfers/{body['id']}", headers=park.headers.member_b).status_code
        == 404
    )
    approved = client.post(
        f"/api/v1/transfers/{body['id']}/approve", json={}, headers=auth_headers(two)
    )
    assert approved.json["steps"][1]["decision"] == "approved"
    branches = client.get("/api/v1/transfers/branches", headers=h).json["items"]
    assert {"name": "B企业党支部", "park_name": "园区综合党委"}.items() <= next(
        b for b in branches if b["id"] == park.branch_b.id
    ).items()
    csv = client.get(
        "/api/v1/transfers/report?format=csv&period=year", headers=park.headers.committee
    )
    assert csv.status_code == 200 and "转入" in csv.get_data(as_text=True)


def test_reporting_is_confirmed_once_by_the_receiving_side_and_a_missed_deadline_reminded_once(
    park, principal_of, two
):
    """报到: the receiving branch confirms it (not the sending side, not twice, not for a day
    in the future or before the approval); a deadline passed unconfirmed reminds the
    receiving secretary and the member once each — and no more once it is confirmed."""
    from app.notify.models import Notification
    from app.notify.services import write_reminder

    t = services.create_transfer(
        principal_of(park.secretary_a),
        {"member_id": park.member_a.id, "to_org_id": park.branch_b.id, "report_by": TODAY},
        NOW,
    )
    db.session.commit()
    with pytest.raises(APIError) as pending:
        reporting.confirm_report(principal_of(two), t.id, {}, NOW)
    assert pending.value.code == "transfer.not_approved"
    services.approve(principal_of(park.secretary_a), t.id, {}, NOW)
    services.approve(principal_of(two), t.id, {}, NOW)
    db.session.commit()
    assert t.status in REPORTING

    def remind(now):
        return sum(write_reminder(r, now) for r in reporting.report_overdue(now))

    assert reporting.report_overdue(NOW) == []  # the deadline day itself is not past
    later = NOW + timedelta(days=1)
    reminders = reporting.report_overdue(later)
    assert {tuple(r.member_ids) for r in reminders} == {(two.id,), (park.member_a.id,)}
    assert remind(later) == 2 and remind(later + timedelta(hours=3)) == 0
    db.session.commit()
    titles = db.session.scalars(
        select(Notification.title)
        .where(Notification.kind == "transfer_report_overdue")
        .order_by(Notification.member_id)
    ).all()
    assert sorted(titles) == ["党员未按期报到", "请尽快到新支部报到"]

    with pytest.raises(APIError) as sender:
        reporting.confirm_report(principal_of(park.secretary_a), t.id, {}, later)
    assert sender.value.status == 403
    for day in (TODAY + timedelta(days=2), TODAY - timedelta(days=1)):
        with pytest.raises(APIError) as bad:
            reporting.confirm_report(principal_of(two), t.id, {"reported_on": day}, later)
        assert bad.value.code == "transfer.reported_on_invalid"
    done = reporting.confirm_report(principal_of(two), t.id, {"reported_on": TODAY}, later)
    db.session.commit()
    assert (done.reported_on, done.reported_by) == (TODAY, "钱书记")
    with pytest.raises(APIError) as twice:
        reporting.confirm_report(principal_of(two), t.id, {}, later)
    assert twice.value.code == "transfer.already_reported"
    assert reporting.report_overdue(later + timedelta(days=1)) == []
    audit = db.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "transfer.report", AuditLog.entity_id == t.id)
    )
    assert audit == 1


def test_reporting_through_the_api(client, park, two, auth_headers):
    """The receiving secretary sees the button's flag and the overdue mark; confirming answers
    the transfer with the day and who confirmed; a member may not confirm."""
    made = client.post(
        "/api/v1/transfers",
        json={"to_org_id": park.branch_b.id},
        headers=park.headers.member_a,
    ).json
    url = f"/api/v1/transfers/{made['id']}"
    for h in (park.headers.secretary_a, auth_headers(two)):
        assert client.post(f"{url}/approve", json={}, headers=h).status_code == 200
    theirs = client.get(url, headers=auth_headers(two)).json
    assert theirs["can_confirm_report"] is True and theirs["reported_on"] is None
    assert client.get(url, headers=park.headers.secretary_a).json["can_confirm_report"] is False
    refused = client.post(f"{url}/reported", json={}, headers=park.headers.member_a)
    assert refused.status_code == 403
    bad = client.post(f"{url}/reported", json={"reported_on": "明天"}, headers=auth_headers(two))
    assert bad.status_code in (400, 422) and "error" in bad.json
    ok = client.post(f"{url}/reported", json={}, headers=auth_headers(two))
    assert ok.status_code == 200, ok.json
    assert ok.json["reported_by"] == "钱书记" and ok.json["reported_on"] is not None
    assert ok.json["can_confirm_report"] is False and ok.json["report_overdue"] is False
    again = client.post(f"{url}/reported", json={}, headers=auth_headers(two))
    assert (again.status_code, again.json["error"]["code"]) == (409, "transfer.already_reported")
