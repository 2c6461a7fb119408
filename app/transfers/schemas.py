"""Transfers, mobile memberships and contacts at the boundary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.members.models import MEMBER_STATUSES
from app.schemas import LocalDateTime, PageArgsSchema
from app.transfers.models import CONTACT_METHODS, SIDES, TRANSFER_KINDS, TRANSFER_STATUSES

FORMATS = ("json", "csv", "xlsx")
NAME = validate.Length(max=100)


class TransferInSchema(ma.Schema):
    """A transfer request: internal (`to_org_id`), out (`external_org_name`), or in from
    outside (`to_org_id`, `external_org_name` and the arriving member's name)."""

    kind = ma.fields.String(load_default="internal", validate=validate.OneOf(TRANSFER_KINDS))
    member_id = ma.fields.Integer(metadata={"description": "默认本人"})
    to_org_id = ma.fields.Integer()
    external_org_name = ma.fields.String(load_default="", validate=NAME)
    letter_no = ma.fields.String(load_default="", validate=validate.Length(max=50))
    effective_on = ma.fields.Date(load_default=None, allow_none=True)
    report_by = ma.fields.Date(load_default=None, allow_none=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))
    member_name = ma.fields.String(load_default="", validate=validate.Length(max=50))
    member_phone = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^1\d{10}$")
    )
    member_status = ma.fields.String(load_default="full", validate=validate.OneOf(MEMBER_STATUSES))
    joined_on = ma.fields.Date(load_default=None, allow_none=True)


class TransferDecisionSchema(ma.Schema):
    """Which side decides (default: the first the caller may), and why (a rejection)."""

    side = ma.fields.String(validate=validate.OneOf(SIDES))
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class TransferCancelSchema(ma.Schema):
    """Why the transfer is withdrawn."""

    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class TransferStepSchema(ma.Schema):
    """One side's approval."""

    side = ma.fields.String()
    side_label = ma.fields.String()
    decision = ma.fields.String(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    reason = ma.fields.String()


class TransferSchema(ma.Schema):
    """A transfer with its sides' decisions."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    member_id = ma.fields.Integer(allow_none=True)
    member_name = ma.fields.String()
    from_org_id = ma.fields.Integer(allow_none=True)
    from_org_name = ma.fields.String()
    to_org_id = ma.fields.Integer(allow_none=True)
    to_org_name = ma.fields.String()
    external_org_name = ma.fields.String()
    letter_no = ma.fields.String()
    effective_on = ma.fields.Date(allow_none=True)
    report_by = ma.fields.Date(allow_none=True)
    reported_on = ma.fields.Date(
        allow_none=True, metadata={"description": "报到日期（接收方确认）"}
    )
    reported_by = ma.fields.String()
    report_overdue = ma.fields.Boolean(metadata={"description": "报到期限已过且尚未确认报到"})
    can_confirm_report = ma.fields.Boolean(metadata={"description": "我可确认报到（接收方）"})
    reason = ma.fields.String()
    reject_reason = ma.fields.String()
    requested_by = ma.fields.String()
    created_at = LocalDateTime()
    decided_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    steps = ma.fields.List(ma.fields.Nested(TransferStepSchema))
    my_sides = ma.fields.List(ma.fields.String(), metadata={"description": "我可审批的一方"})
    can_cancel = ma.fields.Boolean()


class TransferReportInSchema(ma.Schema):
    """The day the member reported (default today)."""

    reported_on = ma.fields.Date(load_default=None, allow_none=True)


class TransferArgsSchema(PageArgsSchema):
    """Filters: own (`mine`), an org and direction, a status."""

    mine = ma.fields.Boolean(load_default=False)
    org_id = ma.fields.Integer()
    direction = ma.fields.String(validate=validate.OneOf(("in", "out")))
    status = ma.fields.String(validate=validate.OneOf(TRANSFER_STATUSES))


class TransferBranchSchema(ma.Schema):
    """A branch a member may move to."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    park_name = ma.fields.String()


class TransferBranchListSchema(ma.Schema):
    """The branches."""

    items = ma.fields.List(ma.fields.Nested(TransferBranchSchema))


class TransferReportArgsSchema(ma.Schema):
    """Which subtree and period (the month, quarter or year containing `on`)."""

    org_id = ma.fields.Integer()
    period = ma.fields.String(
        load_default="month", validate=validate.OneOf(("month", "quarter", "year"))
    )
    on = ma.fields.Date(validate=lambda d: 2000 <= d.year <= 2100)
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class TransferCountSchema(ma.Schema):
    """One branch's transfers in and out."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    in_ = ma.fields.Integer(data_key="in", attribute="in")
    out = ma.fields.Integer()
    net = ma.fields.Integer()


class TransferLineSchema(ma.Schema):
    """A completed transfer in the period."""

    id = ma.fields.Integer()
    member_name = ma.fields.String()
    kind_label = ma.fields.String()
    from_org_name = ma.fields.String()
    to_org_name = ma.fields.String()
    letter_no = ma.fields.String()
    effective_on = ma.fields.Date()


class TransferReportSchema(ma.Schema):
    """Transfers in and out per branch in a period."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    period = ma.fields.String()
    start = ma.fields.Date()
    end = ma.fields.Date(metadata={"description": "the first day after the period"})
    label = ma.fields.String()
    total_in = ma.fields.Integer()
    total_out = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(TransferCountSchema))
    transfers = ma.fields.List(ma.fields.Nested(TransferLineSchema))


class MobileInSchema(ma.Schema):
    """A mobile registration: a host branch in the system, or an outside organisation."""

    member_id = ma.fields.Integer(metadata={"description": "默认本人"})
    host_org_id = ma.fields.Integer(load_default=None, allow_none=True)
    host_name = ma.fields.String(load_default="", validate=NAME)
    place = ma.fields.String(load_default="", validate=NAME)
    from_on = ma.fields.Date(required=True, validate=lambda d: 2000 <= d.year <= 2100)
    to_on = ma.fields.Date(load_default=None, allow_none=True, validate=lambda d: d.year <= 2100)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class MobileEndSchema(ma.Schema):
    """The last day away (default today)."""

    to_on = ma.fields.Date(load_default=None, allow_none=True)


class MobileParticipationInSchema(ma.Schema):
    """A 参加活动 entry from the host."""

    held_on = ma.fields.Date(required=True)
    title = ma.fields.String(load_default="", validate=validate.Length(max=200))


class MobileSchema(ma.Schema):
    """A registration with its member's flags."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    home_org_name = ma.fields.String()
    host_org_id = ma.fields.Integer(allow_none=True)
    host_name = ma.fields.String()
    host_label = ma.fields.String()
    outside = ma.fields.Boolean()
    place = ma.fields.String()
    from_on = ma.fields.Date()
    to_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String()
    current = ma.fields.Boolean()
    months_away = ma.fields.Integer()
    transfer_due = ma.fields.Boolean(metadata={"description": "应转接组织关系"})
    lost_contact = ma.fields.Boolean(metadata={"description": "失联"})
    last_contact = ma.fields.Date(allow_none=True)
    last_participation = ma.fields.Date(allow_none=True)
    registered_by = ma.fields.String()


class MobileArgsSchema(PageArgsSchema):
    """Filters: own (`mine`), an org, current only."""

    mine = ma.fields.Boolean(load_default=False)
    org_id = ma.fields.Integer()
    current = ma.fields.Boolean(load_default=False)


class MobileReportArgsSchema(ma.Schema):
    """Which subtree."""

    org_id = ma.fields.Integer()
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class MobileLineSchema(ma.Schema):
    """A mobile member away today."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    home_org_name = ma.fields.String()
    host_label = ma.fields.String()
    outside = ma.fields.Boolean()
    place = ma.fields.String()
    from_on = ma.fields.Date()
    to_on = ma.fields.Date(allow_none=True)
    months_away = ma.fields.Integer()
    transfer_due = ma.fields.Boolean()
    lost_contact = ma.fields.Boolean()
    last_contact = ma.fields.Date(allow_none=True)
    last_participation = ma.fields.Date(allow_none=True)
    flags = ma.fields.String()


class MobileReportSchema(ma.Schema):
    """Where the mobile members are today."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    on = ma.fields.Date()
    rows = ma.fields.List(ma.fields.Nested(MobileLineSchema))


class MemberContactInSchema(ma.Schema):
    """A contact with a member."""

    member_id = ma.fields.Integer(required=True)
    contacted_on = ma.fields.Date(required=True, validate=lambda d: d.year >= 2000)
    method = ma.fields.String(load_default="phone", validate=validate.OneOf(CONTACT_METHODS))
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class MemberContactSchema(ma.Schema):
    """A logged contact."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    contacted_on = ma.fields.Date()
    method = ma.fields.String()
    method_label = ma.fields.String()
    note = ma.fields.String()
    recorded_by = ma.fields.String()


class MemberContactArgsSchema(ma.Schema):
    """Whose log."""

    member_id = ma.fields.Integer(required=True)


class MemberContactListSchema(ma.Schema):
    """A member's contacts."""

    items = ma.fields.List(ma.fields.Nested(MemberContactSchema))
