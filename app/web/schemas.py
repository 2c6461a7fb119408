"""What the pages' scripts read: the check-in screen's state."""

from __future__ import annotations

import marshmallow as ma

from app.schemas import LocalDateTime


class ScreenActivitySchema(ma.Schema):
    """The activity as the screen shows it."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    type_label = ma.fields.String()
    org_name = ma.fields.String()
    location = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    when = ma.fields.String()
    cancel_reason = ma.fields.String(allow_none=True)


class ScreenCodeSchema(ma.Schema):
    """The current QR window and 6-digit code."""

    window = ma.fields.Integer()
    code = ma.fields.String()
    image_url = ma.fields.String()
    expires_at = LocalDateTime()
    refresh_in = ma.fields.Float()
    rotate_seconds = ma.fields.Integer()


class ScreenCountsSchema(ma.Schema):
    """Expected, present (on time), late, on leave, checked in, and the rate."""

    expected = ma.fields.Integer()
    present = ma.fields.Integer()
    late = ma.fields.Integer()
    leave = ma.fields.Integer()
    checked_in = ma.fields.Integer()
    rate = ma.fields.Float(allow_none=True)


class ScreenArrivalSchema(ma.Schema):
    """One arrival: a name and a time, nothing more."""

    name = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    checked_in_at = LocalDateTime()


class ScreenPendingSchema(ma.Schema):
    """Who has not checked in: always the count, the names when asked."""

    total = ma.fields.Integer()
    names = ma.fields.List(ma.fields.String(), allow_none=True)


class ScreenStateSchema(ma.Schema):
    """Everything the check-in screen shows at one moment."""

    activity = ma.fields.Nested(ScreenActivitySchema)
    phase = ma.fields.String()
    opens_at = LocalDateTime()
    closes_at = LocalDateTime()
    late_at = LocalDateTime()
    opens_in = ma.fields.Float()
    closes_in = ma.fields.Float()
    code = ma.fields.Nested(ScreenCodeSchema, allow_none=True)
    counts = ma.fields.Nested(ScreenCountsSchema)
    latest = ma.fields.List(ma.fields.Nested(ScreenArrivalSchema))
    pending = ma.fields.Nested(ScreenPendingSchema, allow_none=True)
    now = LocalDateTime()


screen_state_schema = ScreenStateSchema()
