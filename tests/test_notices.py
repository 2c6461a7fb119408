"""通知公告 (issue 19): audiences, scheduled publishing, read and confirm exactly once,
counts and who has not confirmed, and the one reminder."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.extensions import db
from app.notify.models import Notification
from app.timeutil import utcnow


def _post(client, park, headers=None, **body):
    payload = {
        "org_id": park.branch_a.id,
        "title": "关于开展主题党日的通知",
        "body": "**周五**下午三点",
    }
    payload.update(body)
    return client.post("/api/v1/notices", json=payload, headers=headers or park.headers.secretary_a)


def test_subtree_notice_reaches_the_branch_only(client, park):
    r = _post(client, park, needs_confirmation=True, pinned=True)
    assert r.status_code == 201, r.json
    assert r.json["audience_count"] == 3  # 张三, 李四, 赵书记 — not 王五 of branch B
    assert "<strong>周五</strong>" in r.json["body_html"]
    mine = client.get("/api/v1/notices/mine", headers=park.headers.member_a).json
    assert [n["id"] for n in mine["items"]] == [r.json["id"]] and mine["unconfirmed"] == 1
    theirs = client.get("/api/v1/notices/mine", headers=park.headers.member_b).json
    assert theirs["total"] == 0
    other = client.get(f"/api/v1/notices/{r.json['id']}", headers=park.headers.member_b)
    assert other.status_code == 404


def test_markdown_cannot_carry_script(client, park):
    r = _post(client, park, body="<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script>" not in r.json["body_html"]
    assert 'href="javascript' not in r.json["body_html"]  # left as text, never a link


def test_audience_of_orgs_and_members_stays_in_scope(client, park):
    ok = _post(client, park, audience="members", member_ids=[park.member_a.id])
    assert ok.status_code == 201 and ok.json["audience_count"] == 1
    outside = _post(client, park, audience="members", member_ids=[park.member_b.id])
    assert outside.status_code == 403
    orgs = _post(client, park, audience="orgs", org_ids=[park.branch_b.id])
    assert orgs.status_code == 403
    committee = _post(
        client,
        park,
        headers=park.headers.committee,
        org_id=park.park.id,
        audience="orgs",
        org_ids=[park.branch_a.id, park.branch_b.id],
    )
    assert committee.status_code == 201 and committee.json["audience_count"] == 4
    empty = _post(client, park, audience="orgs", org_ids=[])
    assert empty.status_code == 400


def test_scheduled_notice_is_hidden_until_its_time_and_announced_once(client, park, app):
    from app.notify.reminders import run_due

    later = utcnow() + timedelta(hours=2)
    r = _post(client, park, publish_at=later.isoformat())
    assert client.get("/api/v1/notices/mine", headers=park.headers.member_a).json["total"] == 0
    assert (
        client.get(f"/api/v1/notices/{r.json['id']}", headers=park.headers.member_a).status_code
        == 404
    )
    run_due(utcnow())
    db.session.commit()
    assert db.session.query(Notification).filter_by(kind="notice").count() == 0
    for extra in (3, 4):
        run_due(utcnow() + timedelta(hours=extra))
        db.session.commit()
    assert db.session.query(Notification).filter_by(kind="notice").count() == 3


def test_read_confirm_counts_and_remind_once(client, park):
    nid = _post(client, park, needs_confirmation=True).json["id"]
    h = park.headers.member_a
    read = client.get(f"/api/v1/notices/{nid}", headers=h)
    assert read.status_code == 200 and read.json["read_at"] and read.json["confirmed_at"] is None
    first = client.post(f"/api/v1/notices/{nid}/confirm", headers=h)
    again = client.post(f"/api/v1/notices/{nid}/confirm", headers=h)
    assert first.status_code == again.status_code == 200
    assert first.json["confirmed_at"] == again.json["confirmed_at"]
    counts = client.get(f"/api/v1/notices/{nid}/receipts", headers=park.headers.secretary_a).json
    assert (counts["audience"], counts["read"], counts["confirmed"]) == (3, 1, 1)
    assert sorted(p["name"] for p in counts["not_confirmed"]) == ["李四", "赵书记"]
    remind = client.post(f"/api/v1/notices/{nid}/remind", headers=park.headers.secretary_a)
    assert remind.status_code == 200 and remind.json["reminded"] == 2
    twice = client.post(f"/api/v1/notices/{nid}/remind", headers=park.headers.secretary_a)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "notice.already_reminded"
    rows = db.session.query(Notification).filter_by(kind="notice_remind").all()
    assert sorted(r.member_id for r in rows) == sorted([park.member_a2.id, park.secretary_a.id])
    plain = _post(client, park).json["id"]
    assert client.post(f"/api/v1/notices/{plain}/confirm", headers=h).status_code == 409
    denied = client.post(f"/api/v1/notices/{nid}/remind", headers=park.headers.member_a)
    assert denied.status_code == 403


def test_pin_and_withdraw(client, park):
    a = _post(client, park, title="甲").json["id"]
    b = _post(client, park, title="乙").json["id"]
    client.patch(f"/api/v1/notices/{a}", json={"pinned": True}, headers=park.headers.secretary_a)
    mine = client.get("/api/v1/notices/mine", headers=park.headers.member_a).json["items"]
    assert [n["id"] for n in mine] == [a, b]
    client.patch(f"/api/v1/notices/{a}", json={"withdrawn": True}, headers=park.headers.secretary_a)
    mine = client.get("/api/v1/notices/mine", headers=park.headers.member_a).json["items"]
    assert [n["id"] for n in mine] == [b]


def test_concurrent_confirmations_keep_one_time(app, backend, client, park, auth_headers):
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    nid = _post(client, park, needs_confirmation=True).json["id"]
    h = auth_headers(park.member_a)
    n = 16
    barrier, lock, answers = threading.Barrier(n), threading.Lock(), []

    def fire():
        c = app.test_client()
        barrier.wait()
        r = c.post(f"/api/v1/notices/{nid}/confirm", headers=h)
        with lock:
            answers.append((r.status_code, r.get_json()["confirmed_at"]))

    threads = [threading.Thread(target=fire) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == n and {code for code, _ in answers} == {200}
    assert len({at for _, at in answers}) == 1  # every answer names the first confirmation

    def remind():
        c = app.test_client()
        barrier.wait()
        r = c.post(f"/api/v1/notices/{nid}/remind", headers=park_headers)
        with lock:
            reminds.append(r.status_code)

    park_headers, reminds = park.headers.secretary_a, []
    threads = [threading.Thread(target=remind) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(reminds) == [200] + [409] * (n - 1)
    db.session.rollback()
    assert db.session.query(Notification).filter_by(kind="notice_remind").count() == 2


def test_home_shows_notices_to_confirm_and_dues_owed(client, park):
    from app.dues.models import DuesBase
    from app.dues.rules import month_start
    from app.timeutil import local_day

    this_month = month_start(local_day(utcnow()))
    db.session.add(
        DuesBase(
            member_id=park.member_a.id, effective_from=this_month, category="fixed", base_fen=150
        )
    )
    db.session.commit()
    _post(client, park, needs_confirmation=True)
    home = client.get("/api/mp/v1/home", headers=park.headers.member_a).json
    assert home["ledgers"] == {"notices_unconfirmed": 1, "owed_fen": 150, "owed_months": 1}
    other = client.get("/api/mp/v1/home", headers=park.headers.member_b).json
    assert other["ledgers"] == {"notices_unconfirmed": 0, "owed_fen": 0, "owed_months": 0}
