"""Authorization-matrix entries for the Party–masses centre's rooms and bookings (issue 21,
part 3). Kept beside tests/test_authz_matrix.py, which counts them in its every-route check.

Rooms belong to the park (the committee's); a branch secretary books for their own branch;
"A"/"B" are bookings made by branch A/B."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.extensions import db
from app.rooms.models import Booking, Room
from app.timeutil import local_day, local_tz
from tests.test_authz_matrix import STAFF, Route

R = Route
PARK = "secretary_a committee admin"  # staff of the park: its rooms and calendar
COMMITTEE = "committee:AB admin:AB"
BOOKER = "secretary_a:A committee:AB admin:AB"  # the booking org's managers, or the park's


def _slot(w, v, hour):
    day = local_day(w.now) + timedelta(days=8)
    day += timedelta(days=(8 - day.isoweekday()) % 7 + (v == "B"))  # a Monday (B: the Tuesday)
    start = datetime.combine(day, time(hour), local_tz())
    return start, start + timedelta(hours=1)


def _booking_body(w, v):
    # a fresh slot per call, so an allowed role's booking never meets an earlier one
    w.slot_hour = getattr(w, "slot_hour", 8) + 1
    start, end = _slot(w, v, w.slot_hour % 12 + 9)
    return {
        "room_id": w.room.id,
        "org_id": w.branch[v].id,
        "title": "支部会议",
        "attendance": 5,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
    }


ROOM_ROUTES = [
    R("GET", "/api/v1/rooms", PARK),
    R(
        "POST",
        "/api/v1/rooms",
        "committee admin",
        body=lambda w, v: {"org_id": w.park.id, "name": f"新活动室{id(v)}", "capacity": 10},
    ),
    R(
        "GET",
        "/api/v1/rooms/usage",
        STAFF,
        query=lambda w, v: {"from": "2026-01-01", "to": "2026-12-31"},
    ),
    R("GET", "/api/v1/rooms/<int:room_id>", PARK, path=lambda w, v: {"room_id": w.room.id}),
    R(
        "PATCH",
        "/api/v1/rooms/<int:room_id>",
        "committee admin",
        path=lambda w, v: {"room_id": w.room.id},
        body=lambda w, v: {"capacity": 30},
    ),
    R("GET", "/api/v1/bookings", PARK),
    R("POST", "/api/v1/bookings", BOOKER, variants=("A", "B"), body=_booking_body),
    R(
        "GET",
        "/api/v1/bookings/<int:booking_id>",
        "secretary_a:AB committee:AB admin:AB",
        variants=("A", "B"),
        path=lambda w, v: {"booking_id": w.booking[v].id},
    ),
    R(
        "POST",
        "/api/v1/bookings/<int:booking_id>/decision",
        COMMITTEE,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"booking_id": w.booking[v].id},
        body=lambda w, v: {"decision": "approve"},
    ),
    R(
        "POST",
        "/api/v1/bookings/<int:booking_id>/cancel",
        BOOKER,
        once=True,
        variants=("A", "B"),
        path=lambda w, v: {"booking_id": w.booking[v].id},
        body=lambda w, v: {"reason": "改期"},
    ),
]


def add_room_objects(w, park) -> None:
    """A room of the park needing approval, and one pending booking by each branch."""
    w.room = Room(
        org_id=park.park.id,
        name="多功能厅",
        capacity=20,
        equipment=["投影仪"],
        open_weekdays=[1, 2, 3, 4, 5, 6, 7],
        opens_at=time(8, 0),
        closes_at=time(22, 0),
        needs_approval=True,
    )
    db.session.add(w.room)
    db.session.flush()
    w.booking = {}
    for v in "AB":
        start, end = _slot(w, v, 8)
        w.booking[v] = Booking(
            room_id=w.room.id,
            org_id=w.branch[v].id,
            title=f"{v}支部会议",
            attendance=5,
            starts_at=start,
            ends_at=end,
            status="pending",
        )
        db.session.add(w.booking[v])
    db.session.commit()
