"""党群服务中心 rooms (一室多用): rooms, bookings with approval, and usage per room and org."""

from __future__ import annotations

from typing import Any

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.reports.exports import Column, export
from app.rooms import services
from app.rooms.schemas import (
    BookingCancelSchema,
    BookingDecisionSchema,
    BookingInSchema,
    BookingListArgsSchema,
    BookingSchema,
    RoomInSchema,
    RoomSchema,
    RoomUpdateSchema,
    RoomUsageArgsSchema,
    RoomUsageSchema,
)
from app.rooms.usage import usage
from app.schemas import PageArgsSchema, page_of
from app.timeutil import utcnow

blp = Blueprint("rooms", __name__, url_prefix="/api/v1", description="Party–masses centre rooms")


@blp.route("/rooms", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(RoomSchema))
@access(Access.STAFF)
def list_rooms(args):
    """Rooms of the centre of the caller's park."""
    return services.list_rooms(current_principal(), args)


@blp.route("/rooms", methods=["POST"])
@blp.arguments(RoomInSchema)
@blp.response(201, RoomSchema)
@access(Access.STAFF)
def create_room(data):
    """The committee sets up a room: capacity, equipment, opening hours, approval."""
    room = services.create_room(current_principal(), data, utcnow())
    db.session.commit()
    return room


@blp.route("/rooms/usage", methods=["GET"])
@blp.arguments(RoomUsageArgsSchema, location="query")
@blp.response(200, RoomUsageSchema)
@blp.doc(responses=downloads(RoomUsageSchema))
@access(Access.STAFF)
def room_usage(args):
    """Hours booked and bookings per room and per org for a period (JSON, CSV, Excel)."""
    result = usage(current_principal(), args["from_day"], args["to_day"])
    if args["format"] == "json":
        return result
    return export(args["format"], *usage_table(result))


@blp.route("/rooms/<int:room_id>", methods=["GET"])
@blp.response(200, RoomSchema)
@access(Access.STAFF)
def get_room(room_id):
    """One room."""
    return services.get_room(current_principal(), room_id)


@blp.route("/rooms/<int:room_id>", methods=["PATCH"])
@blp.arguments(RoomUpdateSchema)
@blp.response(200, RoomSchema)
@access(Access.STAFF)
def update_room(data, room_id):
    """Change a room (the committee); `is_active: false` retires it."""
    room = services.update_room(current_principal(), room_id, data)
    db.session.commit()
    return room


@blp.route("/bookings", methods=["GET"])
@blp.arguments(BookingListArgsSchema, location="query")
@blp.response(200, page_of(BookingSchema))
@access(Access.STAFF)
def list_bookings(args):
    """Bookings of the caller's park rooms (default: pending and approved), e.g. one week."""
    return services.list_bookings(current_principal(), args)


@blp.route("/bookings", methods=["POST"])
@blp.arguments(BookingInSchema)
@blp.response(201, BookingSchema)
@access(Access.STAFF)
def create_booking(data):
    """Book a slot (pending where the room needs approval); an overlap is a 409."""
    booking = services.create_booking(current_principal(), data, utcnow())
    db.session.commit()
    return booking


@blp.route("/bookings/<int:booking_id>", methods=["GET"])
@blp.response(200, BookingSchema)
@access(Access.STAFF)
def get_booking(booking_id):
    """One booking."""
    return services.get_booking(current_principal(), booking_id)


@blp.route("/bookings/<int:booking_id>/decision", methods=["POST"])
@blp.arguments(BookingDecisionSchema)
@blp.response(200, BookingSchema)
@access(Access.STAFF)
def decide(data, booking_id):
    """The committee approves or rejects a pending booking."""
    booking = services.decide(current_principal(), booking_id, data, utcnow())
    db.session.commit()
    return booking


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@blp.arguments(BookingCancelSchema)
@blp.response(200, BookingSchema)
@access(Access.STAFF)
def cancel(data, booking_id):
    """The booking org (or the committee) cancels a live booking."""
    booking = services.cancel(current_principal(), booking_id, data["reason"], utcnow())
    db.session.commit()
    return booking


def usage_table(report: dict[str, Any]):
    """Rooms first, then orgs, in one table."""
    rows = [{"kind": "活动室", "name": r["room_name"], **r} for r in report["rooms"]]
    rows += [{"kind": "组织", "name": r["org_name"], **r} for r in report["orgs"]]
    columns = [
        Column("分类", "kind", 8),
        Column("名称", "name", 28),
        Column("预约次数", "bookings", 10),
        Column("预约时长（小时）", "hours", 16, "0.00"),
    ]
    period = f"{report['from_day']:%Y-%m-%d}至{report['to_day']:%Y-%m-%d}"
    return "rooms-usage", f"党群服务中心活动室使用情况 {period}", columns, rows
