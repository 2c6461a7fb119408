"""Activity, check-in, attendance, leave and audit schemas (request fields fixed by the spec)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.activities.models import ACTIVITY_STATUSES, ACTIVITY_TYPES, ATTENDANCE_STATUSES
from app.fastdump import FastDumpSchema
from app.schemas import LocalDateTime, PageArgsSchema, id_field, sane_time


def _time(**kw) -> LocalDateTime:
    return LocalDateTime(validate=sane_time, **kw)


LAT = validate.Range(min=-90, max=90)
LNG = validate.Range(min=-180, max=180)
MINUTES = validate.Range(min=0, max=1440)
ID_LIST = {"validate": validate.Length(max=200)}


class GeofenceSchema(FastDumpSchema):
    """Where check-in is allowed: a circle (radius defaults to GEOFENCE_DEFAULT_RADIUS_M)."""

    lat = ma.fields.Float(required=True, validate=LAT, allow_nan=False)
    lng = ma.fields.Float(required=True, validate=LNG, allow_nan=False)
    radius_m = ma.fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=20, max=10_000)
    )


class NamedRefSchema(FastDumpSchema):
    """An id and a name."""

    id = ma.fields.Integer()
    name = ma.fields.String()


class ActivityRoomSchema(FastDumpSchema):
    """The room of the Party–masses centre an activity holds (its live booking)."""

    booking_id = ma.fields.Integer()
    room_id = ma.fields.Integer()
    room_name = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending (awaiting approval) | approved"})
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()


class _RoomFields(FastDumpSchema):
    room_id = id_field(
        allow_none=True,
        metadata={"description": "book this room for the activity's time; location from it"},
    )
    room_booking_id = id_field(
        allow_none=True,
        metadata={"description": "hold the activity in a slot booked beforehand"},
    )
    room_attendance = ma.fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "people expected in the room (default: expected attendees)"},
    )


class ActivitySchema(FastDumpSchema):
    """An activity as shown, with its computed phase and check-in window."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    type = ma.fields.String()
    type_label = ma.fields.String()
    title = ma.fields.String()
    agenda = ma.fields.String()
    location = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    status = ma.fields.String(metadata={"description": "draft | published | cancelled"})
    status_label = ma.fields.String()
    phase = ma.fields.String(
        metadata={"description": "upcoming | checkin_open | in_progress | ended"}
    )
    phase_label = ma.fields.String()
    checkin_opens_before_minutes = ma.fields.Integer()
    checkin_closes_after_minutes = ma.fields.Integer()
    late_after_minutes = ma.fields.Integer()
    checkin_opens_at = LocalDateTime()
    checkin_closes_at = LocalDateTime()
    late_at = LocalDateTime(metadata={"description": "check-ins after this instant are late"})
    geofence = ma.fields.Nested(GeofenceSchema, allow_none=True)
    invited_org_ids = ma.fields.List(ma.fields.Integer())
    invited_orgs = ma.fields.List(ma.fields.Nested(NamedRefSchema))
    invited_member_ids = ma.fields.List(ma.fields.Integer())
    pending_org_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "invited orgs outside the host's subtree, not yet accepted"},
    )
    pending_member_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "invited members outside the host's subtree, not yet accepted"},
    )
    summary = ma.fields.String(allow_none=True)
    decisions = ma.fields.List(ma.fields.String(), allow_none=True)
    volunteer_hours = ma.fields.Float(allow_none=True)
    study_hours = ma.fields.Float(allow_none=True)
    recorded_at = LocalDateTime(allow_none=True)
    published_at = LocalDateTime(allow_none=True)
    cancelled_at = LocalDateTime(allow_none=True)
    cancel_reason = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    room_booking = ma.fields.Nested(
        ActivityRoomSchema,
        allow_none=True,
        metadata={"description": "set on a single activity's answers (not in lists)"},
    )


class _WindowFields(FastDumpSchema):
    checkin_opens_before_minutes = ma.fields.Integer(allow_none=True, validate=MINUTES)
    checkin_closes_after_minutes = ma.fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=1440)
    )
    late_after_minutes = ma.fields.Integer(allow_none=True, validate=MINUTES)


class ActivityCreateSchema(_WindowFields, _RoomFields):
    """Fields to create an activity (window minutes default to the configuration); with
    `room_id` or `room_booking_id` the location is the room's."""

    org_id = id_field(required=True)
    type = ma.fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = _time(required=True)
    ends_at = _time(required=True)
    location = ma.fields.String(load_default="", validate=validate.Length(max=200))
    agenda = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    geofence = ma.fields.Nested(GeofenceSchema, allow_none=True, load_default=None)
    invited_org_ids = ma.fields.List(id_field(), load_default=list, **ID_LIST)
    invited_member_ids = ma.fields.List(id_field(), load_default=list, **ID_LIST)
    publish = ma.fields.Boolean(
        load_default=False, metadata={"description": "publish at once instead of a draft"}
    )
    study_hours = ma.fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=200),
        metadata={"description": "学时：计入党员学习时长的小时数（默认：时长，每天最多8小时）"},
    )

    @ma.validates_schema
    def _order(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ma.ValidationError("结束时间须晚于开始时间", "ends_at")


class ActivityUpdateSchema(_WindowFields, _RoomFields):
    """Fields that may change on an activity (all optional; `geofence: null` removes it,
    `room_id: null` gives the room back)."""

    type = ma.fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    starts_at = _time()
    ends_at = _time()
    location = ma.fields.String(validate=validate.Length(max=200))
    agenda = ma.fields.String(validate=validate.Length(max=5000))
    geofence = ma.fields.Nested(GeofenceSchema, allow_none=True)
    invited_org_ids = ma.fields.List(id_field(), **ID_LIST)
    invited_member_ids = ma.fields.List(id_field(), **ID_LIST)
    study_hours = ma.fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, max=200),
        metadata={"description": "学时：计入党员学习时长的小时数（默认：时长，每天最多8小时）"},
    )

    @ma.post_load
    def _drop_null_minutes(self, data, **kwargs):
        for key in (
            "checkin_opens_before_minutes",
            "checkin_closes_after_minutes",
            "late_after_minutes",
        ):
            if key in data and data[key] is None:
                del data[key]
        return data


class ActivityListArgsSchema(PageArgsSchema):
    """Filters: org subtree, type, status, start period, title."""

    org_id = id_field()
    type = ma.fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    status = ma.fields.String(validate=validate.OneOf(ACTIVITY_STATUSES))
    starts_from = _time(metadata={"description": "starts at or after"})
    starts_before = _time(metadata={"description": "starts before"})
    q = ma.fields.String(validate=validate.Length(max=50))


class CancelSchema(FastDumpSchema):
    """Why the activity is cancelled."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class RecordSchema(FastDumpSchema):
    """The meeting record (会议记录) and, for volunteer service, its hours."""

    summary = ma.fields.String(allow_none=True, validate=validate.Length(max=20_000))
    decisions = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=500)),
        allow_none=True,
        validate=validate.Length(max=50),
    )
    volunteer_hours = ma.fields.Float(
        allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=24)
    )


# --- check-in --------------------------------------------------------------------------------


class CheckinSchema(FastDumpSchema):
    """`token` (or the scan URL) from the QR, or the 6-digit `code`; location when required."""

    token = ma.fields.String(validate=validate.Length(min=1, max=512))
    code = ma.fields.String(
        validate=validate.Regexp(r"^\d{6}$", error="签到码应为6位数字"),
    )
    lat = ma.fields.Float(allow_none=True, load_default=None, validate=LAT, allow_nan=False)
    lng = ma.fields.Float(allow_none=True, load_default=None, validate=LNG, allow_nan=False)
    device_id = ma.fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=128)
    )

    @ma.validates_schema
    def _one_of(self, data, **kwargs):
        if bool(data.get("token")) == bool(data.get("code")):
            raise ma.ValidationError("token 与 code 须且只须提供一个", "token")
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ma.ValidationError("lat 与 lng 须同时提供", "lat")


class AttendanceSchema(FastDumpSchema):
    """One member's attendance at one activity."""

    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    status = ma.fields.String(metadata={"description": "present | late | leave | absent | makeup"})
    status_label = ma.fields.String()
    method = ma.fields.String(metadata={"description": "qr | code | scan | manual"})
    checked_in_at = LocalDateTime(allow_none=True)
    distance_m = ma.fields.Float(allow_none=True)
    new_device = ma.fields.Boolean()
    flags = ma.fields.List(ma.fields.String(), metadata={"description": "e.g. new_device"})
    reason = ma.fields.String(allow_none=True)
    updated_at = LocalDateTime()


class CheckinCodeSchema(FastDumpSchema):
    """What the secretary's screen shows; poll again after `refresh_in_seconds`."""

    activity_id = ma.fields.Integer()
    token = ma.fields.String()
    scan_url = ma.fields.String()
    code = ma.fields.String(metadata={"description": "6-digit fallback code, rotates too"})
    window = ma.fields.Integer()
    expires_at = LocalDateTime(metadata={"description": "when the next token appears"})
    valid_until = LocalDateTime(metadata={"description": "when this token stops working"})
    refresh_in_seconds = ma.fields.Float()
    rotate_seconds = ma.fields.Integer()
    checkin_closes_at = LocalDateTime()


class MemberCodeSchema(FastDumpSchema):
    """The member's personal rotating code, to show as a QR to the secretary."""

    member_id = ma.fields.Integer()
    code = ma.fields.String()
    expires_at = LocalDateTime()
    valid_until = LocalDateTime()
    refresh_in_seconds = ma.fields.Float()


class ScanMemberSchema(FastDumpSchema):
    """The personal code read from the member's phone."""

    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


# --- the sheet and the live count -------------------------------------------------------------


class SheetRowSchema(FastDumpSchema):
    """An expected attendee and their status."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    member_status = ma.fields.String()
    member_status_label = ma.fields.String()
    status = ma.fields.String(
        metadata={"description": "present | late | leave | makeup | absent | pending"}
    )
    status_label = ma.fields.String()
    checked_in_at = LocalDateTime(allow_none=True)
    method = ma.fields.String(allow_none=True)
    flags = ma.fields.List(ma.fields.String())
    reason = ma.fields.String(allow_none=True)
    leave_request_id = ma.fields.Integer(allow_none=True)


class CountsSchema(FastDumpSchema):
    """Head counts per status."""

    present = ma.fields.Integer()
    late = ma.fields.Integer()
    leave = ma.fields.Integer()
    absent = ma.fields.Integer()
    makeup = ma.fields.Integer()
    pending = ma.fields.Integer()


class QuorumSchema(FastDumpSchema):
    """支部党员大会: quorate when present full members exceed half of the expected voters."""

    expected_voters = ma.fields.Integer()
    present_voters = ma.fields.Integer()
    required = ma.fields.Integer()
    quorate = ma.fields.Boolean()


class SheetSchema(FastDumpSchema):
    """The attendance sheet; rate = (present + late + makeup) / (expected − leave)."""

    activity = ma.fields.Nested(ActivitySchema)
    expected = ma.fields.Integer()
    attended = ma.fields.Integer()
    counts = ma.fields.Nested(CountsSchema)
    rate = ma.fields.Float(allow_none=True)
    quorum = ma.fields.Nested(QuorumSchema, allow_none=True)
    items = ma.fields.List(ma.fields.Nested(SheetRowSchema))


class ArrivalSchema(FastDumpSchema):
    """A recent arrival on the projector."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    checked_in_at = LocalDateTime()


class LiveSchema(FastDumpSchema):
    """Counts and the latest arrivals, for a screen polling every few seconds."""

    activity_id = ma.fields.Integer()
    title = ma.fields.String()
    phase = ma.fields.String()
    checkin_closes_at = LocalDateTime()
    expected = ma.fields.Integer()
    present = ma.fields.Integer()
    late = ma.fields.Integer()
    leave = ma.fields.Integer()
    checked_in = ma.fields.Integer()
    rate = ma.fields.Float(allow_none=True)
    latest = ma.fields.List(ma.fields.Nested(ArrivalSchema))
    now = LocalDateTime()


class ManualStatusSchema(FastDumpSchema):
    """A status set by the secretary, with the reason the audit log keeps."""

    status = ma.fields.String(required=True, validate=validate.OneOf(ATTENDANCE_STATUSES))
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class AttendeeCorrectionSchema(FastDumpSchema):
    """A hand correction of the fixed list of expected attendees (audited)."""

    expected = ma.fields.Boolean(required=True, metadata={"description": "是否在应到名单中"})
    voter = ma.fields.Boolean(
        metadata={"description": "是否有表决权（正式党员且未经批准免予参加）"}
    )
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class AttendeeSchema(FastDumpSchema):
    """A member's place on the fixed list after a correction."""

    activity_id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    expected = ma.fields.Boolean()
    voter = ma.fields.Boolean()


# --- leave and make-up ------------------------------------------------------------------------


class ReasonSchema(FastDumpSchema):
    """Why the member asks."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class DecisionSchema(FastDumpSchema):
    """Approve or reject, with an optional note."""

    approve = ma.fields.Boolean(required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class RequestSchema(FastDumpSchema):
    """A leave or make-up request."""

    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()
    activity_starts_at = LocalDateTime()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "leave | makeup"})
    kind_label = ma.fields.String()
    reason = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending | approved | rejected"})
    status_label = ma.fields.String()
    decided_at = LocalDateTime(allow_none=True)
    decision_note = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()


class RequestListArgsSchema(PageArgsSchema):
    """Filters for leave and make-up requests."""

    activity_id = id_field()
    member_id = id_field()
    status = ma.fields.String(validate=validate.OneOf(("pending", "approved", "rejected")))
    kind = ma.fields.String(validate=validate.OneOf(("leave", "makeup")))
    mine = ma.fields.Boolean(metadata={"description": "only the caller's own requests"})


class InvitationSchema(FastDumpSchema):
    """An invitation from another branch's activity, awaiting the caller's acceptance."""

    activity_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    starts_at = LocalDateTime(required=True)
    host_org_id = ma.fields.Integer(required=True)
    host_org_name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "org | member"})
    org_id = ma.fields.Integer(allow_none=True)
    org_name = ma.fields.String(allow_none=True)
    member_id = ma.fields.Integer(allow_none=True)
    member_name = ma.fields.String(allow_none=True)


class InvitationAnswerSchema(FastDumpSchema):
    """Which invitation of the activity: to an org (`org_id`) or to a member (`member_id`)."""

    org_id = id_field()
    member_id = id_field()

    @ma.validates_schema
    def _one(self, data, **kwargs):
        if ("org_id" in data) == ("member_id" in data):
            raise ma.ValidationError("须且只能填写 org_id 或 member_id 之一", "_schema")


class InvitationResultSchema(FastDumpSchema):
    """The invitation after the answer: `accepted` or `declined` (removed)."""

    activity_id = ma.fields.Integer(required=True)
    org_id = ma.fields.Integer(allow_none=True)
    member_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(required=True)
