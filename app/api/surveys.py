"""Surveys (问卷): create, answer once, counts, export."""

from __future__ import annotations

from app.api.votes import FILE
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.timeutil import utcnow
from app.votes import surveys
from app.votes.schemas import (
    ExportArgsSchema,
    SurveyAnswerSchema,
    SurveyCreateSchema,
    SurveyResultSchema,
    SurveySchema,
)

blp = Blueprint("surveys", __name__, url_prefix="/api/v1/surveys", description="问卷")


@blp.route("", methods=["GET"])
@blp.response(200, SurveySchema(many=True))
@access(Access.AUTHENTICATED)
def list_surveys():
    """Surveys of the caller's scope and those addressed to the member."""
    p = current_principal()
    return [surveys.view(p, s) for s in surveys.list_for(p)]


@blp.route("", methods=["POST"])
@blp.arguments(SurveyCreateSchema)
@blp.response(201, SurveySchema)
@access(Access.STAFF)
def create_survey(data):
    """A survey to the members of an org's subtree."""
    p = current_principal()
    row = surveys.create(p, data, utcnow())
    db.session.commit()
    return surveys.view(p, row)


@blp.route("/<int:survey_id>", methods=["GET"])
@blp.response(200, SurveySchema)
@access(Access.AUTHENTICATED)
def get_survey(survey_id):
    """One survey."""
    p = current_principal()
    return surveys.view(p, surveys.readable(p, survey_id))


@blp.route("/<int:survey_id>/answers", methods=["POST"])
@blp.arguments(SurveyAnswerSchema)
@blp.response(201, SurveySchema)
@access(Access.MEMBER)
def answer_survey(data, survey_id):
    """Answer once."""
    p = current_principal()
    row = surveys.answer(p, survey_id, data["answers"], utcnow())
    db.session.commit()
    return surveys.view(p, row)


@blp.route("/<int:survey_id>/results", methods=["GET"])
@blp.response(200, SurveyResultSchema)
@access(Access.STAFF)
def survey_results(survey_id):
    """Counts per option and the short texts."""
    return surveys.results(current_principal(), survey_id)


@blp.route("/<int:survey_id>/export", methods=["GET"])
@blp.arguments(ExportArgsSchema, location="query")
@blp.doc(responses=FILE)
@access(Access.STAFF)
def export_survey(args, survey_id):
    """The answers as CSV or XLSX."""
    return surveys.export_results(current_principal(), survey_id, args["format"])


@blp.route("/<int:survey_id>/close", methods=["POST"])
@blp.response(200, SurveySchema)
@access(Access.STAFF)
def close_survey(survey_id):
    """Stop taking answers."""
    p = current_principal()
    row = surveys.close(p, survey_id)
    db.session.commit()
    return surveys.view(p, row)
