"""Requests, ratings, routing, staff invites and the report at the boundary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import LocalDateTime, PageArgsSchema
from app.servicedesk.models import KINDS, STATUSES, TEAMS

FORMATS = ("json", "csv", "xlsx")


class ServiceRequestInSchema(ma.Schema):
    """A request as filed from a phone."""

    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    team = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(TEAMS),
        metadata={"description": "服务预约的发展服务团：legal 法律 / finance 财务 / tech 科技 / "
                  "banking 金融 / talent 人才"},
    )  # fmt: skip
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=5000))
    enterprise_id = ma.fields.Integer(load_default=None, allow_none=True)
    anonymous = ma.fields.Boolean(load_default=False)
    idempotency_key = ma.fields.String(
        required=True,
        validate=validate.Length(min=8, max=64),
        metadata={"description": "客户端生成；重试时原样发送，只会登记一次"},
    )


class RequestRatingSchema(ma.Schema):
    """The submitter's rating."""

    score = ma.fields.Integer()
    comment = ma.fields.String()


class ServiceRequestSchema(ma.Schema):
    """A request as the caller may see it (an anonymous submitter shows as 匿名)."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    team = ma.fields.String(allow_none=True)
    team_label = ma.fields.String()
    title = ma.fields.String()
    text = ma.fields.String()
    enterprise_id = ma.fields.Integer(allow_none=True)
    enterprise_name = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    anonymous = ma.fields.Boolean()
    submitter_name = ma.fields.String()
    submitter_kind = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    status_label = ma.fields.String()
    handler_user_id = ma.fields.Integer(allow_none=True)
    handler_name = ma.fields.String()
    due_on = ma.fields.Date(allow_none=True)
    overdue = ma.fields.Boolean()
    created_at = LocalDateTime()
    routed_at = LocalDateTime(allow_none=True)
    started_at = LocalDateTime(allow_none=True)
    answer = ma.fields.String(allow_none=True)
    answered_at = LocalDateTime(allow_none=True)
    answered_by = ma.fields.String()
    rating = ma.fields.Nested(RequestRatingSchema, allow_none=True)


class MyRequestsArgsSchema(PageArgsSchema):
    """My requests, a page at a time."""


class RequestInboxArgsSchema(PageArgsSchema):
    """The handling inbox's filters, or a CSV/XLSX ledger of them."""

    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    org_id = ma.fields.Integer()
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class RequestRouteSchema(ma.Schema):
    """To whom, and by when."""

    handler_user_id = ma.fields.Integer(required=True)
    due_on = ma.fields.Date(required=True)


class RequestTransitionSchema(ma.Schema):
    """The next status short of the answer (only 办理中 for now)."""

    status = ma.fields.String(required=True, validate=validate.OneOf(("in_progress",)))


class RequestAnswerSchema(ma.Schema):
    """The written answer and how it ends."""

    outcome = ma.fields.String(required=True, validate=validate.OneOf(("resolved", "declined")))
    answer = ma.fields.String(required=True, validate=validate.Length(min=1, max=5000))


class RequestRatingInSchema(ma.Schema):
    """1 to 5 stars, once."""

    score = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=500))


class RequestOptionSchema(ma.Schema):
    """A value and its Chinese label."""

    value = ma.fields.String()
    label = ma.fields.String()


class RequestEnterpriseOptionSchema(ma.Schema):
    """An enterprise one may name."""

    id = ma.fields.Integer()
    name = ma.fields.String()


class RequestOptionsSchema(ma.Schema):
    """What the filing form offers the caller."""

    kinds = ma.fields.List(ma.fields.Nested(RequestOptionSchema))
    teams = ma.fields.List(ma.fields.Nested(RequestOptionSchema))
    enterprises = ma.fields.List(ma.fields.Nested(RequestEnterpriseOptionSchema))
    account = ma.fields.String(metadata={"description": "member 党员 / staff 职工"})
    name = ma.fields.String()


class RequestHandlerSchema(ma.Schema):
    """A user a request may be routed to."""

    id = ma.fields.Integer()
    name = ma.fields.String()


class RequestHandlerListSchema(ma.Schema):
    """Users in the caller's managed subtree."""

    items = ma.fields.List(ma.fields.Nested(RequestHandlerSchema))


class StaffInviteInSchema(ma.Schema):
    """An enterprise's employee to invite (the phone keeps one account across invites)."""

    enterprise_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^1\d{10}$")
    )


class StaffInviteSchema(ma.Schema):
    """The one-time code to hand over, and its link."""

    code = ma.fields.String()
    link = ma.fields.String()
    expires_at = LocalDateTime()
    staff_id = ma.fields.Integer()
    name = ma.fields.String()
    enterprise_id = ma.fields.Integer()
    enterprise_name = ma.fields.String()


class StaffListArgsSchema(PageArgsSchema):
    """Filter the staff accounts: one enterprise, active or not, a name contains."""

    enterprise_id = ma.fields.Integer(validate=validate.Range(min=1))
    active = ma.fields.Boolean()
    q = ma.fields.String(validate=validate.Length(max=50))


class StaffAccountSchema(ma.Schema):
    """An employee's light account as the committee manages it (the phone masked)."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "masked: 138****1234"})
    enterprise_id = ma.fields.Integer()
    enterprise_name = ma.fields.String()
    is_active = ma.fields.Boolean()
    bound_at = LocalDateTime(allow_none=True, metadata={"description": "null: never bound"})
    invite_expires_at = LocalDateTime(
        allow_none=True, metadata={"description": "the newest unused invite's expiry"}
    )
    created_at = LocalDateTime()


class StaffActiveInSchema(ma.Schema):
    """Why the account is stopped or restored (kept in the audit log)."""

    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class RequestReportArgsSchema(ma.Schema):
    """Which org and year; JSON or a download."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class RequestMonthFiguresSchema(ma.Schema):
    """One month's figures."""

    month = ma.fields.Integer()
    received = ma.fields.Integer()
    resolved = ma.fields.Integer()
    overdue = ma.fields.Integer()


class RequestKindFiguresSchema(ma.Schema):
    """One kind's figures for the year and per month."""

    kind = ma.fields.String()
    label = ma.fields.String()
    received = ma.fields.Integer()
    resolved = ma.fields.Integer()
    overdue = ma.fields.Integer()
    months = ma.fields.List(ma.fields.Nested(RequestMonthFiguresSchema))


class RequestTotalsSchema(ma.Schema):
    """All kinds together."""

    received = ma.fields.Integer()
    resolved = ma.fields.Integer()
    overdue = ma.fields.Integer()


class RequestReportSchema(ma.Schema):
    """Received, resolved and overdue per kind and month, and the one-line summary."""

    org_name = ma.fields.String()
    year = ma.fields.Integer()
    kinds = ma.fields.List(ma.fields.Nested(RequestKindFiguresSchema))
    totals = ma.fields.Nested(RequestTotalsSchema)
    summary = ma.fields.String()
