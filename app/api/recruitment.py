"""发展党员: applicants, their steps, the funnel report."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.recruitment import services, tracking
from app.recruitment.schemas import (
    ApplicantCreateSchema,
    ApplicantListArgsSchema,
    ApplicantSchema,
    RecruitmentFunnelArgsSchema,
    RecruitmentFunnelSchema,
    RecruitmentStepSchema,
)
from app.timeutil import utcnow

blp = Blueprint("recruitment", __name__, url_prefix="/api/v1", description="发展党员")


@blp.route("/applicants", methods=["GET"])
@blp.arguments(ApplicantListArgsSchema, location="query")
@blp.response(200, ApplicantSchema(many=True))
@access(Access.STAFF)
def list_applicants(args):
    """Applicants in the caller's managed subtree."""
    return services.list_applicants(current_principal(), args["org_id"])


@blp.route("/applicants", methods=["POST"])
@blp.arguments(ApplicantCreateSchema)
@blp.response(201, ApplicantSchema)
@access(Access.STAFF)
def create_applicant(data):
    """Record an application (入党申请; aged 18 or over)."""
    row = services.create_applicant(current_principal(), data, utcnow())
    db.session.commit()
    return row


@blp.route("/applicants/<int:applicant_id>", methods=["GET"])
@blp.response(200, ApplicantSchema)
@access(Access.STAFF)
def get_applicant(applicant_id):
    """One applicant with every stage's date."""
    return services.get_applicant(current_principal(), applicant_id)


@blp.route("/applicants/<int:applicant_id>/steps", methods=["POST"])
@blp.arguments(RecruitmentStepSchema)
@blp.response(200, ApplicantSchema)
@access(Access.STAFF)
def record_step(data, applicant_id):
    """Record one step (talk, activist, assessment … admit, approve, confirm, cancel)."""
    row = services.step(current_principal(), applicant_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/reports/recruitment", methods=["GET"])
@blp.arguments(RecruitmentFunnelArgsSchema, location="query")
@blp.response(200, RecruitmentFunnelSchema)
@access(Access.STAFF)
def funnel(args):
    """The funnel of one year: applicants → activists → candidates → probationary → full."""
    return tracking.funnel(current_principal(), args["org_id"], args["year"])
