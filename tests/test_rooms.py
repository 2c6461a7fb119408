"""党群服务中心 rooms and bookings (issue 21, part 3): rules, approval, overlap under
concurrency, the tie to activities, and usage."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest

from app.timeutil import local_day, local_tz, utcnow

TZ = local_tz()


def _day(weeks_ahead=1, weekday=1) -> date:
    """A local day `weeks_ahead` weeks from now, on ISO `weekday` (always in the future)."""
    today = local_day(utcnow())
    monday = today - timedelta(days=today.isoweekday() - 1)
    return monday + timedelta(weeks=weeks_ahead, days=weekday - 1)


def _at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), TZ).isoformat()


def _room(client, park, **body):
    payload = {
        "org_id": park.park.id,
        "name": "多功能厅",
        "place": "党群服务中心二楼",
        "capacity": 30,
        "equipment": ["投影仪", "音响"],
        "open_weekdays": [1, 2, 3, 4, 5],
        "opens_at": "08:30",
        "closes_at": "21:00",
    }
    payload.update(body)
    r = client.post("/api/v1/rooms", json=payload, headers=park.headers.committee)
    assert r.status_code == 201, r.json
    return r.json


def _book(client, park, room_id, start, end, headers=None, **body):
    payload = {
        "room_id": room_id,
        "org_id": body.pop("org_id", None) or park.branch_a.id,
        "title": "支部党员大会",
        "attendance": 12,
        "starts_at": start,
        "ends_at": end,
    }
    payload.update(body)
    return client.post(
        "/api/v1/bookings", json=payload, headers=headers or park.headers.secretary_a
    )


def test_room_setup_by_the_committee_only(client, park):
    room = _room(client, park)
    assert room["hours_label"] == "周一至周五 08:30–21:00"
    assert room["location_label"] == "党群服务中心二楼 多功能厅"
    assert room["equipment"] == ["投影仪", "音响"]
    body = {"org_id": park.park.id, "name": "阅览室", "capacity": 10}
    by_secretary = client.post("/api/v1/rooms", json=body, headers=park.headers.secretary_a)
    assert by_secretary.status_code == 403
    on_branch = client.post(
        "/api/v1/rooms", json={**body, "org_id": park.branch_a.id}, headers=park.headers.admin
    )
    assert on_branch.status_code == 400 and on_branch.json["error"]["code"] == "rooms.org_not_park"
    twin = client.post(
        "/api/v1/rooms", json={**body, "name": "多功能厅"}, headers=park.headers.committee
    )
    assert twin.status_code == 409 and twin.json["error"]["code"] == "rooms.duplicate_name"
    bad_hours = client.post(
        "/api/v1/rooms",
        json={**body, "opens_at": "18:00", "closes_at": "09:00"},
        headers=park.headers.committee,
    )
    assert bad_hours.status_code == 400
    # the branch secretary sees the park's rooms; members have no room screen
    listed = client.get("/api/v1/rooms", headers=park.headers.secretary_a).json
    assert [r["name"] for r in listed["items"]] == ["多功能厅"]
    assert client.get("/api/v1/rooms", headers=park.headers.member_a).status_code == 403
    patched = client.patch(
        f"/api/v1/rooms/{room['id']}", json={"capacity": 40}, headers=park.headers.secretary_a
    )
    assert patched.status_code == 403


def test_booking_rules_refuse_clearly(client, park):
    room = _room(client, park)
    mon, sat = _day(1, 1), _day(1, 6)
    cases = [
        ((_at(mon, 8, 0), _at(mon, 10)), {}, 400, "rooms.closed"),  # before opening
        ((_at(mon, 20, 0), _at(mon, 21, 30)), {}, 400, "rooms.closed"),  # after closing
        ((_at(sat, 9), _at(sat, 11)), {}, 400, "rooms.closed"),  # closed on Saturdays
        ((_at(mon, 20), _at(_day(1, 2), 9)), {}, 400, "rooms.closed"),  # over night
        ((_at(mon, 9), _at(mon, 11)), {"attendance": 31}, 400, "rooms.capacity"),
        ((_at(mon, 11), _at(mon, 9)), {}, 400, "validation_error"),  # end before start
        ((_at(mon, 9), _at(mon, 9)), {}, 400, "validation_error"),  # end == start
    ]
    for (start, end), extra, status, code in cases:
        r = _book(client, park, room["id"], start, end, **extra)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (start, end, extra)
    past = _day(-1, 1)
    r = _book(client, park, room["id"], _at(past, 9), _at(past, 11))
    assert (r.status_code, r.json["error"]["code"]) == (400, "rooms.in_past")
    # exactly the opening window is fine, and capacity equal to the attendance too
    ok = _book(client, park, room["id"], _at(mon, 8, 30), _at(mon, 21), attendance=30)
    assert ok.status_code == 201 and ok.json["status"] == "approved", ok.json
    assert ok.json["hours"] == 12.5
    # branch B's org cannot be booked by branch A's secretary; an org outside the park neither
    other = _book(client, park, room["id"], _at(_day(1, 2), 9), _at(_day(1, 2), 10),
                  org_id=park.branch_b.id)  # fmt: skip
    assert other.status_code == 403


def test_overlap_refused_adjacent_allowed(client, park):
    room = _room(client, park)
    tue = _day(1, 2)
    first = _book(client, park, room["id"], _at(tue, 9), _at(tue, 11))
    assert first.status_code == 201
    clash = _book(client, park, room["id"], _at(tue, 10), _at(tue, 12),
                  headers=park.headers.committee, org_id=park.branch_b.id)  # fmt: skip
    assert clash.status_code == 409 and clash.json["error"]["code"] == "rooms.overlap"
    assert clash.json["error"]["details"]["conflict"]["org_name"] == "A企业党支部"
    inside = _book(client, park, room["id"], _at(tue, 9, 30), _at(tue, 10))
    assert inside.status_code == 409
    before = _book(client, park, room["id"], _at(tue, 8, 30), _at(tue, 9))  # ends at its start
    after = _book(client, park, room["id"], _at(tue, 11), _at(tue, 12))  # starts at its end
    assert (before.status_code, after.status_code) == (201, 201)
    # another room at the same time is free; a cancelled booking frees its slot
    hall = _room(client, park, name="报告厅")
    assert _book(client, park, hall["id"], _at(tue, 10), _at(tue, 12)).status_code == 201
    cancel = client.post(
        f"/api/v1/bookings/{first.json['id']}/cancel",
        json={"reason": "改期"},
        headers=park.headers.secretary_a,
    )
    assert cancel.status_code == 200 and cancel.json["status"] == "cancelled"
    again = client.post(
        f"/api/v1/bookings/{first.json['id']}/cancel", json={}, headers=park.headers.secretary_a
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "rooms.not_live"
    assert _book(client, park, room["id"], _at(tue, 10), _at(tue, 11)).status_code == 201


def test_approval_where_the_room_asks(client, park):
    room = _room(client, park, needs_approval=True)
    wed = _day(1, 3)
    r = _book(client, park, room["id"], _at(wed, 14), _at(wed, 16))
    assert r.status_code == 201 and r.json["status"] == "pending"
    bid = r.json["id"]
    # a pending booking already holds the slot
    clash = _book(client, park, room["id"], _at(wed, 15), _at(wed, 17))
    assert clash.status_code == 409
    by_secretary = client.post(
        f"/api/v1/bookings/{bid}/decision",
        json={"decision": "approve"},
        headers=park.headers.secretary_a,
    )
    assert by_secretary.status_code == 403
    pending = client.get("/api/v1/bookings?status=pending", headers=park.headers.committee).json
    assert [(b["id"], b["can_decide"]) for b in pending["items"]] == [(bid, True)]
    rejected = client.post(
        f"/api/v1/bookings/{bid}/decision",
        json={"decision": "reject", "note": "当天有检查"},
        headers=park.headers.committee,
    )
    assert rejected.json["status"] == "rejected" and rejected.json["decision_note"] == "当天有检查"
    twice = client.post(
        f"/api/v1/bookings/{bid}/decision",
        json={"decision": "approve"},
        headers=park.headers.committee,
    )
    assert twice.status_code == 409 and twice.json["error"]["code"] == "rooms.not_pending"
    # the rejected slot is free again; the next one is approved by the committee
    second = _book(client, park, room["id"], _at(wed, 15), _at(wed, 17)).json
    ok = client.post(
        f"/api/v1/bookings/{second['id']}/decision",
        json={"decision": "approve"},
        headers=park.headers.committee,
    )
    assert ok.json["status"] == "approved" and ok.json["decided_by"] == "园区综合党委"


def test_week_window_lists_overlapping_bookings(client, park):
    room = _room(client, park)
    mon, fri = _day(1, 1), _day(1, 5)
    _book(client, park, room["id"], _at(mon, 9), _at(mon, 10))
    _book(client, park, room["id"], _at(fri, 19), _at(fri, 21))
    _book(client, park, room["id"], _at(_day(2, 1), 9), _at(_day(2, 1), 10))  # next week
    week = client.get(
        "/api/v1/bookings",
        query_string={
            "room_id": room["id"],
            "starts_from": _at(mon, 0),
            "starts_before": _at(_day(2, 1), 0),
        },
        headers=park.headers.secretary_a,
    ).json
    assert [b["starts_at"] for b in week["items"]] == [_at(mon, 9), _at(fri, 19)]


def _race(app, n, fire_one):
    barrier, lock, answers = threading.Barrier(n), threading.Lock(), []

    def fire(i):
        c = app.test_client()
        barrier.wait()
        r = fire_one(c, i)
        with lock:
            answers.append((r.status_code, (r.get_json() or {}).get("error", {}).get("code")))

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_twenty_concurrent_bookings_of_one_slot_make_one(app, backend, client, park):
    """PostgreSQL's exclusion constraint (SQLite: the check under the write lock every
    transaction takes at BEGIN IMMEDIATE) lets exactly one through."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.rooms.models import Booking

    room = _room(client, park)
    thu = _day(1, 4)
    h, org_id = park.headers.secretary_a, park.branch_a.id  # threads never touch ORM rows
    n = 20 if backend == "postgresql" else 5  # SQLite queues writers on its busy timeout
    db.session.rollback()  # the test's own session must not hold SQLite's write lock
    answers = _race(
        app,
        n,
        lambda c, i: _book(
            c, None, room["id"], _at(thu, 9 + i % 3), _at(thu, 12), headers=h, org_id=org_id
        ),
    )
    assert sorted(answers) == [(201, None)] + [(409, "rooms.overlap")] * (n - 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    db.session.rollback()
    # adjacent slots, raced: both succeed (end == start is no overlap)
    fri = _day(1, 5)
    slots = [(_at(fri, 9), _at(fri, 10)), (_at(fri, 10), _at(fri, 11))]
    both = _race(
        app, 2, lambda c, i: _book(c, None, room["id"], *slots[i], headers=h, org_id=org_id)
    )
    assert sorted(both) == [(201, None), (201, None)]


def test_the_database_itself_refuses_an_overlap(app, backend, client, park):
    """Past the service's check, PostgreSQL's exclusion constraint answers the same 409."""
    if backend != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    from unittest import mock

    from app.rooms import services

    room = _room(client, park)
    thu = _day(1, 4)
    assert _book(client, park, room["id"], _at(thu, 9), _at(thu, 11)).status_code == 201
    with mock.patch.object(services, "_conflict", return_value=None):
        r = _book(client, park, room["id"], _at(thu, 10), _at(thu, 12))
    assert r.status_code == 409 and r.json["error"]["code"] == "rooms.overlap"


def test_racing_writers_past_the_lock_meet_the_exclusion_constraint(app, backend, client, park):
    """Without the room lock and the check, concurrent inserts are still refused by the
    constraint (or its deadlock breaker): one booking, the rest a 409."""
    if backend != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    from unittest import mock

    from sqlalchemy import func, select

    from app.extensions import db
    from app.rooms import services
    from app.rooms.models import Booking

    room = _room(client, park)
    wed = _day(1, 3)
    h, org_id = park.headers.secretary_a, park.branch_a.id
    n = 6  # within the pool (5 + 5), so no request waits for a connection
    with (
        mock.patch.object(services, "_conflict", return_value=None),
        mock.patch.object(services, "_lock_room"),
    ):
        answers = _race(
            app,
            n,
            lambda c, i: _book(
                c, None, room["id"], _at(wed, 9 + i % 2), _at(wed, 12), headers=h, org_id=org_id
            ),
        )
    assert sorted(answers) == [(201, None)] + [(409, "rooms.overlap")] * (n - 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_usage_per_room_and_org(client, park):
    room = _room(client, park)
    hall = _room(client, park, name="报告厅", capacity=100, needs_approval=True)
    mon, tue = _day(1, 1), _day(1, 2)
    _book(client, park, room["id"], _at(mon, 9), _at(mon, 11))  # A: 2 h
    _book(client, park, room["id"], _at(tue, 9), _at(tue, 10, 30))  # A: 1.5 h
    _book(client, park, room["id"], _at(tue, 14), _at(tue, 15),
          headers=park.headers.committee, org_id=park.branch_b.id)  # B: 1 h  # fmt: skip
    _book(client, park, hall["id"], _at(mon, 9), _at(mon, 12))  # pending: not counted
    period = {"from": mon.isoformat(), "to": _day(1, 7).isoformat()}
    r = client.get("/api/v1/rooms/usage", query_string=period, headers=park.headers.committee)
    assert r.status_code == 200, r.json
    assert r.json["rooms"] == [
        {"room_id": room["id"], "room_name": "多功能厅", "bookings": 3, "hours": 4.5}
    ]
    assert [(o["org_name"], o["bookings"], o["hours"]) for o in r.json["orgs"]] == [
        ("A企业党支部", 2, 3.5),
        ("B企业党支部", 1, 1.0),
    ]
    assert (r.json["total_bookings"], r.json["total_hours"]) == (3, 4.5)
    # branch A's secretary counts only branch A's bookings
    mine = client.get("/api/v1/rooms/usage", query_string=period, headers=park.headers.secretary_a)
    assert [(o["org_name"], o["hours"]) for o in mine.json["orgs"]] == [("A企业党支部", 3.5)]
    csv = client.get(
        "/api/v1/rooms/usage",
        query_string={**period, "format": "csv"},
        headers=park.headers.committee,
    )
    text = csv.data.decode("utf-8-sig")
    assert "多功能厅" in text and "A企业党支部" in text and "4.5" in text
    xlsx = client.get(
        "/api/v1/rooms/usage",
        query_string={**period, "format": "xlsx"},
        headers=park.headers.committee,
    )
    assert xlsx.data[:2] == b"PK"
    backwards = client.get(
        "/api/v1/rooms/usage",
        query_string={"from": "2026-02-01", "to": "2026-01-01"},
        headers=park.headers.committee,
    )
    assert backwards.status_code == 400


# --- activities held in a room ---------------------------------------------------------------


def _activity(client, park, start, end, **body):
    payload = {
        "org_id": park.branch_a.id,
        "type": "general_meeting",
        "title": "第四季度支部党员大会",
        "starts_at": start,
        "ends_at": end,
        "location": "会议室",
    }
    payload.update(body)
    return client.post("/api/v1/activities", json=payload, headers=park.headers.secretary_a)


def test_activity_with_a_room_takes_its_location_and_holds_the_slot(client, park):
    room = _room(client, park)
    mon = _day(1, 1)
    r = _activity(client, park, _at(mon, 14), _at(mon, 16), room_id=room["id"])
    assert r.status_code == 201, r.json
    act = r.json
    assert act["location"] == "党群服务中心二楼 多功能厅"
    assert act["room_booking"]["room_name"] == "多功能厅"
    assert act["room_booking"]["status"] == "approved"
    booking = client.get(
        f"/api/v1/bookings/{act['room_booking']['booking_id']}", headers=park.headers.secretary_a
    ).json
    assert (booking["activity_id"], booking["title"]) == (act["id"], "第四季度支部党员大会")
    # branch A has 张三, 李四, 赵书记: the default attendance is the expected attendees
    assert booking["attendance"] == 3
    # another activity at an overlapping time in the same room: refused, nothing stored
    clash = _activity(client, park, _at(mon, 15), _at(mon, 17), room_id=room["id"], title="冲突")
    assert clash.status_code == 409 and clash.json["error"]["code"] == "rooms.overlap"
    titles = [
        a["title"]
        for a in client.get("/api/v1/activities", headers=park.headers.secretary_a).json["items"]
    ]
    assert "冲突" not in titles
    # without a room the location is as typed (existing behaviour)
    plain = _activity(client, park, _at(mon, 15), _at(mon, 17))
    assert plain.json["location"] == "会议室" and plain.json["room_booking"] is None
    # moving the activity moves its booking; into another's slot is refused
    _book(client, park, room["id"], _at(mon, 18), _at(mon, 19))
    moved = client.patch(
        f"/api/v1/activities/{act['id']}",
        json={"starts_at": _at(mon, 9), "ends_at": _at(mon, 11)},
        headers=park.headers.secretary_a,
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["room_booking"]["starts_at"] == _at(mon, 9)
    blocked = client.patch(
        f"/api/v1/activities/{act['id']}",
        json={"starts_at": _at(mon, 17), "ends_at": _at(mon, 19)},
        headers=park.headers.secretary_a,
    )
    assert blocked.status_code == 409 and blocked.json["error"]["code"] == "rooms.overlap"
    still = client.get(f"/api/v1/activities/{act['id']}", headers=park.headers.secretary_a).json
    assert still["starts_at"] == _at(mon, 9) and still["room_booking"]["starts_at"] == _at(mon, 9)
    # cancelling the activity releases the room
    cancel = client.post(
        f"/api/v1/activities/{act['id']}/cancel",
        json={"reason": "改期"},
        headers=park.headers.secretary_a,
    )
    assert cancel.status_code == 200
    gone = client.get(
        f"/api/v1/bookings/{act['room_booking']['booking_id']}", headers=park.headers.secretary_a
    ).json
    assert (gone["status"], gone["cancel_reason"]) == ("cancelled", "改期")
    assert _book(client, park, room["id"], _at(mon, 9), _at(mon, 11)).status_code == 201


def test_activity_in_a_slot_booked_beforehand(client, park):
    room = _room(client, park, capacity=10)
    tue = _day(1, 2)
    slot = _book(client, park, room["id"], _at(tue, 8, 30), _at(tue, 12), attendance=8).json
    outside = _activity(client, park, _at(tue, 11), _at(tue, 13), room_booking_id=slot["id"])
    assert outside.status_code == 400 and outside.json["error"]["code"] == "rooms.outside_booking"
    r = _activity(client, park, _at(tue, 9), _at(tue, 11), room_booking_id=slot["id"])
    assert r.status_code == 201, r.json
    assert r.json["location"] == "党群服务中心二楼 多功能厅"
    assert r.json["room_booking"]["booking_id"] == slot["id"]
    taken = _activity(client, park, _at(tue, 9), _at(tue, 10), room_booking_id=slot["id"])
    assert taken.status_code == 409 and taken.json["error"]["code"] == "rooms.booking_taken"
    # B's activity cannot be held in branch A's slot, even by the committee
    other = client.post(
        "/api/v1/activities",
        json={
            "org_id": park.branch_b.id,
            "type": "theme_day",
            "title": "B主题党日",
            "starts_at": _at(tue, 9),
            "ends_at": _at(tue, 10),
            "room_booking_id": slot["id"],
        },
        headers=park.headers.committee,
    )
    assert other.status_code in (400, 409)
    # giving the room back with room_id: null keeps the typed location, frees the slot
    freed = client.patch(
        f"/api/v1/activities/{r.json['id']}",
        json={"room_booking_id": None},
        headers=park.headers.secretary_a,
    )
    assert freed.status_code == 200 and freed.json["room_booking"] is None
    assert (
        _book(client, park, room["id"], _at(tue, 9), _at(tue, 10), attendance=5).status_code == 201
    )
    # capacity counts: 12 expected in a room for 10
    big = _activity(
        client, park, _at(tue, 14), _at(tue, 15), room_id=room["id"], room_attendance=12
    )
    assert big.status_code == 400 and big.json["error"]["code"] == "rooms.capacity"


def test_demo_rooms_seed_once_and_keep_the_rules(app, park):
    """The demo centre: three rooms, this week's bookings inside opening hours and capacity,
    none overlapping; seeding again adds nothing."""
    from sqlalchemy import select

    from app.extensions import db
    from app.rooms.demo import seed_demo_rooms
    from app.rooms.models import Booking, Room
    from app.rooms.services import check_slot

    now = utcnow()
    assert seed_demo_rooms(park.park.name, now) is True
    db.session.commit()
    assert seed_demo_rooms(park.park.name, now) is False
    rooms = db.session.scalars(select(Room)).all()
    assert sorted(r.name for r in rooms) == ["党员活动室", "多功能厅", "报告厅"]
    bookings = db.session.scalars(select(Booking).order_by(Booking.starts_at)).all()
    assert len(bookings) == 5
    monday = local_day(now) - timedelta(days=local_day(now).isoweekday() - 1)
    for b in bookings:
        assert monday <= local_day(b.starts_at) < monday + timedelta(days=7)
        check_slot(b.room, b.starts_at, b.ends_at, b.attendance, b.starts_at)  # raises if not
        assert not any(
            o.id != b.id and o.room_id == b.room_id and o.starts_at < b.ends_at < o.ends_at
            for o in bookings
        )


def test_a_decision_reaches_the_booking_branch_secretary_once(client, park):
    """Approve or reject: the booking branch's secretary finds the answer (room, time, the
    committee's note) in the inbox — one notice per decision, none for a booking that needed
    no approval, and nothing for the deciding committee itself."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.notify.models import Notification

    def notices(member_id):
        db.session.rollback()
        return db.session.scalars(
            select(Notification)
            .where(Notification.member_id == member_id, Notification.kind == "booking_decided")
            .order_by(Notification.id)
        ).all()

    open_room = _room(client, park)
    thu = _day(1, 4)
    assert _book(client, park, open_room["id"], _at(thu, 9), _at(thu, 10)).json["status"] == (
        "approved"
    )
    assert notices(park.secretary_a.id) == []
    room = _room(client, park, needs_approval=True, name="二楼会议室")
    first = _book(client, park, room["id"], _at(thu, 14), _at(thu, 16)).json
    second = _book(client, park, room["id"], _at(thu, 16), _at(thu, 17)).json
    r = client.post(
        f"/api/v1/bookings/{first['id']}/decision",
        json={"decision": "reject", "note": "当天有检查"},
        headers=park.headers.committee,
    )
    assert r.status_code == 200, r.json
    again = client.post(
        f"/api/v1/bookings/{first['id']}/decision",
        json={"decision": "approve"},
        headers=park.headers.committee,
    )
    assert again.status_code == 409
    r = client.post(
        f"/api/v1/bookings/{second['id']}/decision",
        json={"decision": "approve"},
        headers=park.headers.committee,
    )
    assert r.status_code == 200, r.json
    got = notices(park.secretary_a.id)
    assert [(n.title, n.data["booking_id"]) for n in got] == [
        ("活动室预约未通过", first["id"]),
        ("活动室预约已通过", second["id"]),
    ]
    assert "二楼会议室" in got[0].body and "14:00–16:00" in got[0].body
    assert got[0].body.endswith("未通过。审批意见：当天有检查")
    assert got[1].body.endswith("已通过，请按时使用。")
    total = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "booking_decided")
    )
    assert total == 2  # the committee and other branches are not told
