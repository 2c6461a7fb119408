"""Org, role grant and enterprise schemas (the request fields are fixed by the spec)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.org.models import BUILD_MODES, ORG_TYPES, ROLES
from app.schemas import LocalDateTime, PageArgsSchema


class TrimmedString(ma.fields.String):
    """Text with surrounding whitespace removed before it is validated (so "  " is empty)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class WarningSchema(ma.Schema):
    """A branch rule the org currently breaks (shown, not enforced)."""

    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class OrgSchema(ma.Schema):
    """An organisation as the API shows it."""

    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    type_label = ma.fields.String(dump_only=True)
    parent_id = ma.fields.Integer(allow_none=True)
    build_mode = ma.fields.String(allow_none=True)
    theme_day = ma.fields.Integer(allow_none=True)
    founded_on = ma.fields.Date(allow_none=True)
    committee_term_years = ma.fields.Integer(allow_none=True)
    public_ranking = ma.fields.Boolean()
    depth = ma.fields.Integer(dump_only=True)
    is_active = ma.fields.Boolean(dump_only=True)
    member_count = ma.fields.Integer(dump_only=True)
    full_member_count = ma.fields.Integer(dump_only=True)
    warnings = ma.fields.List(ma.fields.Nested(WarningSchema), dump_only=True)
    created_at = LocalDateTime(dump_only=True)


class OrgCreateSchema(ma.Schema):
    """Fields to create an org."""

    name = TrimmedString(required=True, validate=validate.Length(min=1, max=100))
    type = ma.fields.String(required=True, validate=validate.OneOf(ORG_TYPES))
    parent_id = ma.fields.Integer(allow_none=True, load_default=None)
    build_mode = ma.fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(BUILD_MODES)
    )
    theme_day = ma.fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=1, max=28)
    )
    public_ranking = ma.fields.Boolean(load_default=True)
    founded_on = ma.fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "成立日期（默认：创建当天）；此前不计三会一课要求"},
    )
    committee_term_years = ma.fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=10),
        metadata={"description": "支委会任期（年），默认3年；村、社区党组织填5"},
    )


class OrgUpdateSchema(ma.Schema):
    """Fields that may change on an org (all optional)."""

    name = TrimmedString(validate=validate.Length(min=1, max=100))
    type = ma.fields.String(validate=validate.OneOf(ORG_TYPES))
    parent_id = ma.fields.Integer(allow_none=True)
    build_mode = ma.fields.String(allow_none=True, validate=validate.OneOf(BUILD_MODES))
    theme_day = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=28))
    public_ranking = ma.fields.Boolean()
    founded_on = ma.fields.Date(metadata={"description": "成立日期；此前不计三会一课要求"})
    committee_term_years = ma.fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=10),
        metadata={"description": "支委会任期（年），默认3年；村、社区党组织填5"},
    )


class OrgListArgsSchema(PageArgsSchema):
    """Filters for the org list."""

    type = ma.fields.String(validate=validate.OneOf(ORG_TYPES))
    parent_id = ma.fields.Integer()
    q = ma.fields.String(validate=validate.Length(max=50))


class RoleGrantSchema(ma.Schema):
    """Grant a role on an org to a member or a console user."""

    member_id = ma.fields.Integer(allow_none=True, load_default=None)
    user_id = ma.fields.Integer(allow_none=True, load_default=None)
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    since = ma.fields.Date(
        allow_none=True, load_default=None, metadata={"description": "任职（当选）日期，默认今天"}
    )
    until = ma.fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "任职结束日期（不含），默认不限"},
    )

    @ma.validates_schema
    def _one_holder(self, data, **kwargs):
        if (data.get("member_id") is None) == (data.get("user_id") is None):
            raise ma.ValidationError("member_id 与 user_id 须且只须提供一个", "member_id")


class RoleSchema(ma.Schema):
    """A role grant as shown."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    member_id = ma.fields.Integer(allow_none=True)
    user_id = ma.fields.Integer(allow_none=True)
    holder_name = ma.fields.String()
    role = ma.fields.String()
    role_label = ma.fields.String()
    since = ma.fields.Date(allow_none=True)
    until = ma.fields.Date(allow_none=True)
    term_ends_on = ma.fields.Date(allow_none=True, metadata={"description": "本届任期届满日期"})
    created_at = LocalDateTime()


class RoleEndArgsSchema(ma.Schema):
    """When a role ends (default today)."""

    effective_on = ma.fields.Date(metadata={"description": "离任日期（默认今天）"})


class EnterpriseSchema(ma.Schema):
    """A park enterprise and its coverage."""

    id = ma.fields.Integer(dump_only=True)
    name = TrimmedString(required=True, validate=validate.Length(min=1, max=200))
    credit_code = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(r"^[0-9A-HJ-NPQRTUWXY]{18}$", error="统一社会信用代码应为18位"),
    )
    industry = ma.fields.String(load_default="", validate=validate.Length(max=100))
    staff_count = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=10**7))
    above_scale = ma.fields.Boolean(load_default=False)
    high_tech = ma.fields.Boolean(load_default=False)
    park_org_id = ma.fields.Integer(required=True)
    covering_org_id = ma.fields.Integer(allow_none=True, load_default=None)
    work_covered = ma.fields.Boolean(load_default=False)
    organisation_covered = ma.fields.Boolean(dump_only=True)
    created_at = LocalDateTime(dump_only=True)


class EnterpriseListArgsSchema(PageArgsSchema):
    """Filters for the enterprise list."""

    org_id = ma.fields.Integer()
    covered = ma.fields.Boolean()


class CoverageArgsSchema(ma.Schema):
    """Which park the coverage figures are for."""

    org_id = ma.fields.Integer()


class CoverageSchema(ma.Schema):
    """两个覆盖 as figures."""

    enterprises = ma.fields.Integer()
    staff = ma.fields.Integer()
    organisation_covered = ma.fields.Integer()
    work_covered = ma.fields.Integer()
    organisation_coverage_rate = ma.fields.Float()
    work_coverage_rate = ma.fields.Float()
