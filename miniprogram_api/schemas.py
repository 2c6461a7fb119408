"""Request and response shapes of the mini-program surface."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.activities.schemas import AttendanceSchema, GeofenceSchema
from app.fastdump import FastDumpSchema
from app.points.schemas import StreakSchema
from app.schemas import LocalDateTime
from app.study.schemas import StudyItemSchema


class WxLoginSchema(FastDumpSchema):
    """The `code` from wx.login()."""

    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class WxLoginResultSchema(FastDumpSchema):
    """Tokens for a bound member, or a bind token to use with an invite code."""

    needs_binding = ma.fields.Boolean(required=True)
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    bind_token = ma.fields.String(metadata={"description": "Valid 10 minutes; send to /bind"})


class BindSchema(FastDumpSchema):
    """Bind the WeChat account to a member with the secretary's invite code."""

    bind_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=512))
    invite_code = ma.fields.String(required=True, validate=validate.Length(min=4, max=200))


class TokenPairSchema(FastDumpSchema):
    """Access and refresh token."""

    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String()
    account = ma.fields.String(
        metadata={
            "description": "staff: an enterprise employee's light "
            "account (only /m/requests); absent for members"
        }
    )


class ScanSchema(FastDumpSchema):
    """Whatever the phone's camera read, plus the location and device for a check-in."""

    content = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    lat = ma.fields.Float(
        allow_none=True, load_default=None, allow_nan=False, validate=validate.Range(-90, 90)
    )
    lng = ma.fields.Float(
        allow_none=True, load_default=None, allow_nan=False, validate=validate.Range(-180, 180)
    )
    device_id = ma.fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=128)
    )
    ticket = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=512),
        metadata={
            "description": "from the /c/<token> page: the token was current when the page opened"
        },
    )

    @ma.validates_schema
    def _pair(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ma.ValidationError("lat 与 lng 须同时提供", "lat")


class ScanResultSchema(FastDumpSchema):
    """`checkin`: the attendance (201 new, 200 repeat); `invite`: go to binding with the code."""

    kind = ma.fields.String(required=True, metadata={"description": "checkin | invite"})
    attendance = ma.fields.Nested(AttendanceSchema)
    created = ma.fields.Boolean()
    invite_code = ma.fields.String()


class MyStatusRequestSchema(FastDumpSchema):
    """The member's open leave or make-up request."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    status = ma.fields.String()


class MyStatusSchema(FastDumpSchema):
    """The member's own status at an activity."""

    status = ma.fields.String(
        metadata={"description": "present | late | leave | makeup | absent | pending"}
    )
    status_label = ma.fields.String()
    checked_in_at = LocalDateTime(allow_none=True)
    request = ma.fields.Nested(MyStatusRequestSchema, allow_none=True)


class HomeActivitySchema(FastDumpSchema):
    """An upcoming or running activity on the home screen."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    type = ma.fields.String()
    type_label = ma.fields.String()
    org_name = ma.fields.String()
    location = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    checkin_opens_at = LocalDateTime()
    checkin_closes_at = LocalDateTime()
    phase = ma.fields.String()
    phase_label = ma.fields.String()
    geofence = ma.fields.Nested(GeofenceSchema, allow_none=True)
    my = ma.fields.Nested(MyStatusSchema)


class HomeMemberSchema(FastDumpSchema):
    """Who is logged in."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    status = ma.fields.String()


class HomePointsSchema(FastDumpSchema):
    """Points earned today (Asia/Shanghai day) and the balance."""

    today = ma.fields.Integer()
    total = ma.fields.Integer()
    signin_awarded = ma.fields.Boolean(
        metadata={"description": "this call awarded the day's sign-in point"}
    )


class HomeLedgersSchema(FastDumpSchema):
    """Notices waiting for the member's confirmation and dues unpaid (issue 19)."""

    notices_unconfirmed = ma.fields.Integer()
    owed_fen = ma.fields.Integer(metadata={"description": "unpaid dues, fen"})
    owed_months = ma.fields.Integer()


class HomeSchema(FastDumpSchema):
    """The home screen in one call."""

    member = ma.fields.Nested(HomeMemberSchema)
    next_activities = ma.fields.List(ma.fields.Nested(HomeActivitySchema))
    study_today = ma.fields.Nested(
        StudyItemSchema,
        allow_none=True,
        metadata={"description": "today's morning brief with the member's progress, if any"},
    )
    streak = ma.fields.Nested(StreakSchema)
    unread_notifications = ma.fields.Integer(metadata={"description": "unread inbox rows"})
    ledgers = ma.fields.Nested(HomeLedgersSchema)
    points = ma.fields.Nested(HomePointsSchema)
    now = LocalDateTime()


PRINTABLE_ASCII = validate.Regexp(r"^[\x20-\x7e]*$", error="只能包含字母、数字和常用符号")
NO_CONTROL = validate.Regexp(r"^[^\x00-\x1f\x7f\ud800-\udfff]*$", error="包含无效字符")


class BrowserBindSchema(FastDumpSchema):
    """Bind this browser to the member an invite code names."""

    invite_code = ma.fields.String(
        required=True,
        validate=[validate.Length(min=4, max=200), PRINTABLE_ASCII],
        metadata={"description": "the 8 characters, or the invite URL …/i/<code>"},
    )
    device_label = ma.fields.String(
        load_default="",
        validate=[validate.Length(max=120), NO_CONTROL],
        metadata={"description": "what the member will see in their device list"},
    )


class DeviceSchema(FastDumpSchema):
    """A phone or browser the member is logged in on."""

    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "wechat | browser | oa"})
    kind_label = ma.fields.String()
    label = ma.fields.String()
    created_at = LocalDateTime()
    last_seen_at = LocalDateTime()
    current = ma.fields.Boolean(metadata={"description": "the device making this request"})


class DeviceListSchema(FastDumpSchema):
    """The member's logged-in devices."""

    items = ma.fields.List(ma.fields.Nested(DeviceSchema))


class OALoginSchema(FastDumpSchema):
    """The `code` WeChat's web authorisation (snsapi_base) put on the redirect URL."""

    code = ma.fields.String(
        required=True, validate=[validate.Length(min=1, max=128), PRINTABLE_ASCII]
    )
