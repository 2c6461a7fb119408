"""Instructor assignments and visits at the boundary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import LocalDateTime, PageArgsSchema
from app.visits.models import ASSIGNMENT_KINDS

FORMATS = ("json", "csv", "xlsx")


class AssignmentInSchema(ma.Schema):
    """Send a member to an enterprise."""

    enterprise_id = ma.fields.Integer(required=True)
    member_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(load_default="instructor", validate=validate.OneOf(ASSIGNMENT_KINDS))
    since = ma.fields.Date(load_default=None, allow_none=True)


class AssignmentEndSchema(ma.Schema):
    """When an assignment ends (default today)."""

    until = ma.fields.Date(load_default=None, allow_none=True)


class AssignmentSchema(ma.Schema):
    """An assignment."""

    id = ma.fields.Integer()
    enterprise_id = ma.fields.Integer()
    enterprise_name = ma.fields.String()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    since = ma.fields.Date()
    until = ma.fields.Date(allow_none=True)
    assigned_by = ma.fields.String()


class AssignmentArgsSchema(PageArgsSchema):
    """Filters for assignments."""

    org_id = ma.fields.Integer()
    enterprise_id = ma.fields.Integer()
    include_ended = ma.fields.Boolean(load_default=False)


class VisitInSchema(ma.Schema):
    """A visit's log."""

    enterprise_id = ma.fields.Integer(required=True)
    member_id = ma.fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "走访人（默认本人）"}
    )
    visited_on = ma.fields.Date(required=True)
    people_met = ma.fields.String(load_default="", validate=validate.Length(max=200))
    topics = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    problems = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    follow_up = ma.fields.String(load_default="", validate=validate.Length(max=5000))


class VisitSchema(VisitInSchema):
    """A recorded visit."""

    id = ma.fields.Integer()
    member_name = ma.fields.String()
    enterprise_name = ma.fields.String()
    recorded_by = ma.fields.String()
    created_at = LocalDateTime()


class VisitArgsSchema(PageArgsSchema):
    """Filters for visits."""

    org_id = ma.fields.Integer()
    enterprise_id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()


class VisitReportArgsSchema(ma.Schema):
    """Which park and year."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class InstructorRowSchema(ma.Schema):
    """One instructor's visits by month."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    enterprises = ma.fields.Integer()
    months = ma.fields.List(ma.fields.Integer(), metadata={"description": "January … December"})
    total = ma.fields.Integer()


class VisitReportSchema(ma.Schema):
    """Visits per instructor per month."""

    org_name = ma.fields.String()
    year = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(InstructorRowSchema))


class OverdueArgsSchema(ma.Schema):
    """Which park; N days."""

    org_id = ma.fields.Integer()
    days = ma.fields.Integer(validate=validate.Range(min=1, max=3650))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class OverdueRowSchema(ma.Schema):
    """An enterprise without a recent visit."""

    enterprise_id = ma.fields.Integer()
    name = ma.fields.String()
    last_visited_on = ma.fields.Date(allow_none=True)
    days_since = ma.fields.Integer(allow_none=True)
    instructors = ma.fields.String()


class OverdueSchema(ma.Schema):
    """Enterprises without a visit in N days."""

    org_name = ma.fields.String()
    days = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(OverdueRowSchema))
