"""Room usage for a period: hours booked and bookings, per room and per booking org."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from app.auth import Principal, path_filter
from app.errors import forbidden, validation_error
from app.extensions import db
from app.org.models import Organization
from app.rooms.models import Booking, Room
from app.timeutil import local_midnight

MAX_DAYS = 366


def usage(principal: Principal, start: date, end: date) -> dict[str, Any]:
    """Approved bookings starting in [start, end] (local days): per room and per org.

    The committee counts every booking of the rooms it runs; a secretary only their
    subtree's bookings."""
    if not principal.is_staff:
        raise forbidden("无权查看")
    if end < start or (end - start).days >= MAX_DAYS:
        raise validation_error({"fields": {"to": ["结束日期须不早于开始日期，且跨度不超过一年"]}})
    booking_org, room_org = aliased(Organization), aliased(Organization)
    stmt = (
        select(Booking, Room, booking_org)
        .join(Room, Room.id == Booking.room_id)
        .join(room_org, room_org.id == Room.org_id)
        .join(booking_org, booking_org.id == Booking.org_id)
        .where(
            Booking.status == "approved",
            Booking.starts_at >= local_midnight(start),
            Booking.starts_at < local_midnight(end + timedelta(days=1)),
            or_(
                path_filter(room_org.path, principal.manage_paths()),
                path_filter(booking_org.path, principal.read_paths()),
            ),
        )
        .order_by(Room.id, Booking.starts_at)
    )
    rooms: dict[int, dict[str, Any]] = {}
    orgs: dict[int, dict[str, Any]] = {}
    for booking, room, org in db.session.execute(stmt):
        hours = (booking.ends_at - booking.starts_at).total_seconds() / 3600
        r = rooms.setdefault(
            room.id,
            {"room_id": room.id, "room_name": room.name, "bookings": 0, "hours": 0.0},
        )
        o = orgs.setdefault(
            org.id, {"org_id": org.id, "org_name": org.name, "bookings": 0, "hours": 0.0}
        )
        for row in (r, o):
            row["bookings"] += 1
            row["hours"] += hours
    for row in (*rooms.values(), *orgs.values()):
        row["hours"] = round(row["hours"], 2)
    by_org = sorted(orgs.values(), key=lambda x: (-x["hours"], x["org_name"]))
    return {
        "from_day": start,
        "to_day": end,
        "rooms": list(rooms.values()),
        "orgs": by_org,
        "total_bookings": sum(r["bookings"] for r in rooms.values()),
        "total_hours": round(sum(r["hours"] for r in rooms.values()), 2),
    }
