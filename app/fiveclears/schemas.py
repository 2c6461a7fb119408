"""The enterprise ledger at the boundary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.fiveclears.models import OPERATING, ORG_STATUSES
from app.org.schemas import EnterpriseSchema, TrimmedString
from app.schemas import LocalDateTime

COUNT = validate.Range(min=0, max=10**6)


class FiveClearsSchema(ma.Schema):
    """五清: operations, staff, Party members, investor, Party organisation; dates."""

    operating_status = ma.fields.String(validate=validate.OneOf(OPERATING))
    operating_note = ma.fields.String(validate=validate.Length(max=500))
    staff_note = ma.fields.String(validate=validate.Length(max=500))
    party_members = ma.fields.Integer(validate=COUNT)
    full_members = ma.fields.Integer(validate=COUNT)
    investor_name = ma.fields.String(validate=validate.Length(max=50))
    investor_is_member = ma.fields.Boolean()
    party_org_status = ma.fields.String(validate=validate.OneOf(ORG_STATUSES))
    entered_on = ma.fields.Date(allow_none=True)
    last_checked_on = ma.fields.Date(allow_none=True)


class EnterpriseAssigneeSchema(ma.Schema):
    """A current instructor or contact leader."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    kind = ma.fields.String()
    name = ma.fields.Function(lambda a: a.member.name)
    since = ma.fields.Date()


class EnterpriseDetailSchema(EnterpriseSchema):
    """An enterprise with its five clears, coverage mode and assignees."""

    profile = ma.fields.Nested(FiveClearsSchema, dump_only=True)
    coverage_mode = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "standalone / should_standalone / joint_or_affiliated / dispatched"
        },
    )
    coverage_mode_label = ma.fields.String(dump_only=True)
    coverage_met = ma.fields.Boolean(dump_only=True)
    assignees = ma.fields.List(ma.fields.Nested(EnterpriseAssigneeSchema), dump_only=True)


class EnterprisePatchSchema(FiveClearsSchema):
    """Changes to an enterprise and its five clears (each change is kept with the reason)."""

    name = TrimmedString(validate=validate.Length(min=1, max=200))
    industry = ma.fields.String(validate=validate.Length(max=100))
    staff_count = ma.fields.Integer(validate=validate.Range(min=0, max=10**7))
    above_scale = ma.fields.Boolean()
    high_tech = ma.fields.Boolean()
    covering_org_id = ma.fields.Integer(allow_none=True)
    work_covered = ma.fields.Boolean()
    reason = ma.fields.String(validate=validate.Length(max=200))


class EnterpriseChangeSchema(ma.Schema):
    """One change in an enterprise's history."""

    id = ma.fields.Integer()
    field = ma.fields.String()
    old_value = ma.fields.String(allow_none=True)
    new_value = ma.fields.String(allow_none=True)
    reason = ma.fields.String()
    changed_by = ma.fields.String()
    changed_at = LocalDateTime()


class CoverageModesArgsSchema(ma.Schema):
    """Which park, and the format."""

    org_id = ma.fields.Integer()
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class ModeCountSchema(ma.Schema):
    """Enterprises in one coverage mode and how many meet it."""

    mode = ma.fields.String()
    label = ma.fields.String()
    count = ma.fields.Integer()
    met = ma.fields.Integer()


class ModeCountsSchema(ma.Schema):
    """Counts by mode for a set of enterprises."""

    enterprises = ma.fields.Integer()
    gaps = ma.fields.Integer(metadata={"description": "enterprises whose mode is not met"})
    by_mode = ma.fields.List(ma.fields.Nested(ModeCountSchema))


class CoverageModeRowSchema(ma.Schema):
    """One enterprise's coverage mode."""

    enterprise_id = ma.fields.Integer()
    name = ma.fields.String()
    above_scale = ma.fields.Boolean()
    high_tech = ma.fields.Boolean()
    staff_count = ma.fields.Integer()
    party_members = ma.fields.Integer()
    full_members = ma.fields.Integer()
    covering_org_name = ma.fields.String(allow_none=True)
    instructors = ma.fields.String()
    mode = ma.fields.String()
    mode_label = ma.fields.String()
    met = ma.fields.Boolean()
    last_checked_on = ma.fields.Date(allow_none=True)


class CoverageModesSchema(ma.Schema):
    """The coverage report: counts for all, 规上 and 高新, and every enterprise."""

    org_id = ma.fields.Integer(allow_none=True)
    org_name = ma.fields.String()
    all = ma.fields.Nested(ModeCountsSchema)
    above_scale = ma.fields.Nested(ModeCountsSchema)
    high_tech = ma.fields.Nested(ModeCountsSchema)
    rows = ma.fields.List(ma.fields.Nested(CoverageModeRowSchema))
