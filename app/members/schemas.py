"""Member schemas: what each audience sees, and what may be written."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.fastdump import FastDumpSchema
from app.members.models import GENDERS, MEMBER_STATUSES
from app.org.schemas import TrimmedString
from app.schemas import LocalDateTime, PageArgsSchema

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="手机号应为11位中国大陆手机号")


class MemberSchema(FastDumpSchema):
    """A member as shown; `phone` is masked in lists unless the viewer may see it."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(attribute="display_phone", allow_none=True)
    status = ma.fields.String()
    status_label = ma.fields.String()
    gender = ma.fields.String(allow_none=True)
    joined_on = ma.fields.Date(allow_none=True)
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    excused = ma.fields.Boolean()
    probation_started_on = ma.fields.Date(allow_none=True)
    full_due_on = ma.fields.Date(
        allow_none=True, metadata={"description": "预备期满、应讨论转正的日期"}
    )
    bound = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    created_at = LocalDateTime()


class MemberCreateSchema(ma.Schema):
    """Fields to create a member (the fixed request fields of the spec)."""

    name = TrimmedString(required=True, validate=validate.Length(min=1, max=50))
    phone = ma.fields.String(allow_none=True, load_default=None, validate=PHONE)
    status = ma.fields.String(load_default="full", validate=validate.OneOf(MEMBER_STATUSES))
    org_id = ma.fields.Integer(required=True)
    joined_on = ma.fields.Date(allow_none=True, load_default=None)
    gender = ma.fields.String(allow_none=True, load_default=None, validate=validate.OneOf(GENDERS))
    excused = ma.fields.Boolean(load_default=False)
    member_since = ma.fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "编入本组织的日期（默认：入党日期与组织成立日期中较晚者）"},
    )
    probation_started_on = ma.fields.Date(allow_none=True, load_default=None)


class MemberUpdateSchema(ma.Schema):
    """Fields that may change on a member (all optional)."""

    name = TrimmedString(validate=validate.Length(min=1, max=50))
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    status = ma.fields.String(validate=validate.OneOf(MEMBER_STATUSES))
    org_id = ma.fields.Integer()
    joined_on = ma.fields.Date(allow_none=True)
    gender = ma.fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    excused = ma.fields.Boolean(
        metadata={"description": "免予参加组织生活：须上级党组织决定（见 /excusals）"}
    )
    is_active = ma.fields.Boolean()
    probation_started_on = ma.fields.Date(allow_none=True)
    effective_on = ma.fields.Date(
        metadata={"description": "身份、组织关系或在册状态变更的生效日期（默认今天）"}
    )
    reason = ma.fields.String(validate=validate.Length(max=500))


class ExcusalCreateSchema(ma.Schema):
    """An excusal from organisation life, decided by the level above the branch."""

    from_on = ma.fields.Date(required=True)
    to_on = ma.fields.Date(allow_none=True, load_default=None)
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=500))


class ExcusalSchema(ma.Schema):
    """An excusal as shown."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    from_on = ma.fields.Date(allow_none=True)
    to_on = ma.fields.Date(allow_none=True)
    reason = ma.fields.String()
    decided_by_org_id = ma.fields.Integer(allow_none=True)
    created_at = LocalDateTime()


class MemberListArgsSchema(PageArgsSchema):
    """Filters for an org's member list."""

    status = ma.fields.String(validate=validate.OneOf(MEMBER_STATUSES))
    q = ma.fields.String(validate=validate.Length(max=50))
    include_inactive = ma.fields.Boolean(load_default=False)


class ImportFormSchema(ma.Schema):
    """The org that rows without their own org column go to."""

    org_id = ma.fields.Integer()


class ImportFileSchema(ma.Schema):
    """The uploaded CSV or XLSX file."""

    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportResultSchema(ma.Schema):
    """How many rows were imported."""

    imported = ma.fields.Integer()
    member_ids = ma.fields.List(ma.fields.Integer())


class InviteSchema(ma.Schema):
    """A one-time binding invite and its QR code."""

    code = ma.fields.String()
    member_id = ma.fields.Integer()
    expires_at = LocalDateTime()
    scan_url = ma.fields.String()
    qr_svg = ma.fields.String(metadata={"description": "SVG markup of a QR code of scan_url"})
