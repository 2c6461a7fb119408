"""Rooms, bookings and room usage at the boundary."""

from __future__ import annotations

from datetime import time

import marshmallow as ma
from marshmallow import validate

from app.org.schemas import TrimmedString
from app.rooms.models import ALL_WEEKDAYS, BOOKING_STATUSES
from app.schemas import LocalDateTime, PageArgsSchema, id_field, sane_time

EQUIPMENT = ma.fields.List(
    TrimmedString(validate=validate.Length(min=1, max=30)),
    validate=validate.Length(max=20),
    metadata={"description": "投影仪、音响、白板 …"},
)
WEEKDAYS = ma.fields.List(
    ma.fields.Integer(validate=validate.Range(min=1, max=7)),
    validate=validate.Length(min=1, max=7),
    metadata={"description": "ISO weekdays the room opens (1 = Monday … 7 = Sunday)"},
)


def _time(**kw) -> LocalDateTime:
    return LocalDateTime(validate=sane_time, **kw)


class RoomInSchema(ma.Schema):
    """A new room of the Party–masses centre."""

    org_id = id_field(required=True, metadata={"description": "the park org that owns it"})
    name = TrimmedString(required=True, validate=validate.Length(min=1, max=100))
    place = TrimmedString(load_default="", validate=validate.Length(max=100))
    capacity = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))
    equipment = EQUIPMENT
    open_weekdays = WEEKDAYS
    opens_at = ma.fields.Time(
        load_default=time(8, 30), metadata={"description": "local time, e.g. 08:30"}
    )
    closes_at = ma.fields.Time(load_default=time(21, 0))
    needs_approval = ma.fields.Boolean(load_default=False)

    @ma.post_load
    def _defaults(self, data, **kwargs):
        data.setdefault("equipment", [])
        data.setdefault("open_weekdays", list(ALL_WEEKDAYS))
        return data


class RoomUpdateSchema(ma.Schema):
    """Fields that may change on a room (all optional)."""

    name = TrimmedString(validate=validate.Length(min=1, max=100))
    place = TrimmedString(validate=validate.Length(max=100))
    capacity = ma.fields.Integer(validate=validate.Range(min=1, max=10_000))
    equipment = EQUIPMENT
    open_weekdays = WEEKDAYS
    opens_at = ma.fields.Time()
    closes_at = ma.fields.Time()
    needs_approval = ma.fields.Boolean()
    is_active = ma.fields.Boolean(metadata={"description": "false retires the room"})


class RoomSchema(ma.Schema):
    """A room as shown."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    name = ma.fields.String()
    place = ma.fields.String()
    location_label = ma.fields.String(metadata={"description": "what an activity here shows"})
    capacity = ma.fields.Integer()
    equipment = ma.fields.List(ma.fields.String())
    open_weekdays = ma.fields.List(ma.fields.Integer())
    opens_at = ma.fields.Time(format="%H:%M")
    closes_at = ma.fields.Time(format="%H:%M")
    hours_label = ma.fields.String()
    needs_approval = ma.fields.Boolean()
    is_active = ma.fields.Boolean()


class BookingInSchema(ma.Schema):
    """A slot to book: for a purpose, by an org (and optionally for a park enterprise)."""

    room_id = id_field(required=True)
    org_id = id_field(required=True, metadata={"description": "the booking org"})
    enterprise_id = id_field(load_default=None, allow_none=True)
    title = TrimmedString(required=True, validate=validate.Length(min=1, max=200))
    attendance = ma.fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "expected number of people"},
    )
    starts_at = _time(required=True)
    ends_at = _time(required=True)

    @ma.validates_schema
    def _order(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ma.ValidationError("结束时间须晚于开始时间", "ends_at")


class BookingSchema(ma.Schema):
    """A booking as shown."""

    id = ma.fields.Integer()
    room_id = ma.fields.Integer()
    room_name = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    enterprise_id = ma.fields.Integer(allow_none=True)
    enterprise_name = ma.fields.String(allow_none=True)
    activity_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    attendance = ma.fields.Integer()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    hours = ma.fields.Float()
    status = ma.fields.String(metadata={"description": "pending | approved | rejected | cancelled"})
    status_label = ma.fields.String()
    booked_by = ma.fields.String()
    decided_by = ma.fields.String(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    decision_note = ma.fields.String(allow_none=True)
    cancelled_at = LocalDateTime(allow_none=True)
    cancel_reason = ma.fields.String(allow_none=True)
    can_decide = ma.fields.Boolean(metadata={"description": "the caller may approve it"})
    can_cancel = ma.fields.Boolean(metadata={"description": "the caller may cancel it"})
    created_at = LocalDateTime()


class BookingListArgsSchema(PageArgsSchema):
    """Filters: a room, an org, a status (default: live ones), a window (the week view)."""

    room_id = id_field()
    org_id = id_field()
    status = ma.fields.String(validate=validate.OneOf(BOOKING_STATUSES))
    starts_from = _time(metadata={"description": "bookings ending after this instant"})
    starts_before = _time(metadata={"description": "bookings starting before this instant"})


class BookingDecisionSchema(ma.Schema):
    """Approve or reject a pending booking."""

    decision = ma.fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))


class BookingCancelSchema(ma.Schema):
    """Why the booking is cancelled."""

    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class RoomUsageArgsSchema(ma.Schema):
    """The period (local days, both inclusive) and the format."""

    from_day = ma.fields.Date(required=True, data_key="from")
    to_day = ma.fields.Date(required=True, data_key="to")
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class RoomUsageRowSchema(ma.Schema):
    """Hours and bookings of one room or one org."""

    room_id = ma.fields.Integer()
    room_name = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    bookings = ma.fields.Integer()
    hours = ma.fields.Float()


class RoomUsageSchema(ma.Schema):
    """Room usage for the period (approved bookings)."""

    from_day = ma.fields.Date(data_key="from")
    to_day = ma.fields.Date(data_key="to")
    rooms = ma.fields.List(ma.fields.Nested(RoomUsageRowSchema))
    orgs = ma.fields.List(ma.fields.Nested(RoomUsageRowSchema))
    total_bookings = ma.fields.Integer()
    total_hours = ma.fields.Float()
