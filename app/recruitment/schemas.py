"""Recruitment schemas (the boundary and the OpenAPI)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.activities.schemas import id_field
from app.recruitment.models import JOB_CATEGORIES
from app.recruitment.models import STAGE_LABELS as STAGE_LABEL
from app.recruitment.services import STEPS
from app.schemas import day_field, sane_day  # noqa: F401 — shared with the reviews


class ApplicantCreateSchema(ma.Schema):
    """An application: an existing person of the branch (`member_id`) or a new one (`name`)."""

    org_id = id_field(required=True)
    member_id = id_field(allow_none=True, load_default=None)
    name = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=50))
    birth_date = day_field(required=True)
    applied_on = day_field(required=True)
    job_category = ma.fields.String(load_default="other", validate=validate.OneOf(JOB_CATEGORIES))


class RecruitmentStepSchema(ma.Schema):
    """One step on its day; the extra fields the step needs."""

    step = ma.fields.String(required=True, validate=validate.OneOf(list(STEPS)))
    on = day_field(required=True)
    contact_ids = ma.fields.List(id_field(), load_default=list, validate=validate.Length(max=10))
    introducer_ids = ma.fields.List(id_field(), load_default=list, validate=validate.Length(max=10))
    training_days = ma.fields.Float(
        allow_none=True, load_default=None, validate=validate.Range(min=0, max=365)
    )
    training_hours = ma.fields.Float(
        allow_none=True, load_default=None, validate=validate.Range(min=0, max=5000)
    )
    notice_days = ma.fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=1, max=60)
    )
    vote_id = id_field(allow_none=True, load_default=None)
    until = day_field(allow_none=True, load_default=None)
    note = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class ApplicantListArgsSchema(ma.Schema):
    """`?org_id=` (optional) limits to one org's subtree."""

    org_id = id_field(load_default=None)


class RecruitmentFunnelArgsSchema(ma.Schema):
    """`?org_id=&year=`."""

    org_id = id_field(required=True)
    year = ma.fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class ApplicantAssessmentSchema(ma.Schema):
    """A half-year assessment."""

    half = ma.fields.String()
    assessed_on = ma.fields.Date()
    note = ma.fields.String()


class ApplicantSchema(ma.Schema):
    """An applicant with every stage's date."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    name = ma.fields.Function(lambda a: a.member.name)
    org_id = ma.fields.Integer()
    stage = ma.fields.String()
    stage_label = ma.fields.Function(lambda a: STAGE_LABEL[a.stage])
    job_category = ma.fields.String()
    birth_date = ma.fields.Date()
    applied_on = ma.fields.Date()
    talk_on = ma.fields.Date(allow_none=True)
    activist_on = ma.fields.Date(allow_none=True)
    contact_ids = ma.fields.List(ma.fields.Integer(), allow_none=True)
    candidate_on = ma.fields.Date(allow_none=True)
    review_on = ma.fields.Date(allow_none=True)
    training_days = ma.fields.Float(allow_none=True)
    training_hours = ma.fields.Float(allow_none=True)
    introducer_ids = ma.fields.List(ma.fields.Integer(), allow_none=True)
    notice_from = ma.fields.Date(allow_none=True)
    notice_days = ma.fields.Integer(allow_none=True)
    admission_vote_id = ma.fields.Integer(allow_none=True)
    admitted_on = ma.fields.Date(allow_none=True)
    approved_on = ma.fields.Date(allow_none=True)
    pledge_on = ma.fields.Date(allow_none=True)
    extended_until = ma.fields.Date(allow_none=True)
    confirmation_vote_id = ma.fields.Integer(allow_none=True)
    confirmed_on = ma.fields.Date(allow_none=True)
    cancelled_on = ma.fields.Date(allow_none=True)
    assessments = ma.fields.List(ma.fields.Nested(ApplicantAssessmentSchema))


class RecruitmentFunnelStageSchema(ma.Schema):
    """Reached a stage in the year, with the job categories."""

    stage = ma.fields.String()
    label = ma.fields.String()
    count = ma.fields.Integer()
    frontline = ma.fields.Integer()
    technical = ma.fields.Integer()
    management = ma.fields.Integer()
    other = ma.fields.Integer()


class RecruitmentFunnelSchema(ma.Schema):
    """The recruitment funnel of an org's subtree in one year."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer()
    stages = ma.fields.List(ma.fields.Nested(RecruitmentFunnelStageSchema))
