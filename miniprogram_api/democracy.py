"""/api/mp/v1 for a member's part in branch democracy: the open votes where they may vote,
casting a secret ballot, the surveys addressed to them, answering once."""

from __future__ import annotations

from sqlalchemy import literal, select

from app.auth import Access, access, current_principal
from app.errors import forbidden
from app.extensions import db
from app.openapi import Blueprint
from app.org.models import Organization
from app.timeutil import utcnow
from app.votes import results, services, surveys
from app.votes.models import Vote
from app.votes.schemas import BallotSchema, SurveyAnswerSchema, SurveySchema, VoteSchema

blp = Blueprint(
    "mp_democracy", __name__, url_prefix="/api/mp/v1", description="Votes and surveys (member)"
)


@blp.route("/votes/open", methods=["GET"])
@blp.response(200, VoteSchema(many=True))
@access(Access.MEMBER)
def open_votes():
    """The open votes of the member's branch (and above) in which they are an elector."""
    p = current_principal()
    if p.member is None:
        raise forbidden("只有党员本人可以投票")
    votes = db.session.scalars(
        select(Vote)
        .join(Organization, Organization.id == Vote.org_id)
        .where(Vote.status == "open", literal(p.member.org.path).like(Organization.path + "%"))
        .order_by(Vote.id)
    ).all()
    mine = [v for v in votes if p.member_id in services.electorate_ids(v.activity)]
    return [results.view(p, v) for v in mine]


@blp.route("/votes", methods=["GET"])
@blp.response(200, VoteSchema(many=True))
@access(Access.MEMBER)
def my_votes():
    """My votes: the open ones where I am an elector, and results closed in the last 30 days."""
    return results.member_votes(current_principal(), utcnow())


@blp.route("/votes/<int:vote_id>/ballot", methods=["POST"])
@blp.arguments(BallotSchema)
@blp.response(201, VoteSchema)
@access(Access.MEMBER)
def cast(data, vote_id):
    """Vote once, secretly (a present elector)."""
    p = current_principal()
    vote = services.cast(p, vote_id, data, utcnow())
    db.session.commit()
    return results.view(p, vote)


@blp.route("/surveys", methods=["GET"])
@blp.response(200, SurveySchema(many=True))
@access(Access.MEMBER)
def my_surveys():
    """The open surveys addressed to the member."""
    p = current_principal()
    return [
        surveys.view(p, s)
        for s in surveys.list_for(p)
        if s.status == "open" and p.member is not None and p.member.org.path.startswith(s.org.path)
    ]


@blp.route("/surveys/<int:survey_id>/answers", methods=["POST"])
@blp.arguments(SurveyAnswerSchema)
@blp.response(201, SurveySchema)
@access(Access.MEMBER)
def answer(data, survey_id):
    """Answer a survey once."""
    p = current_principal()
    row = surveys.answer(p, survey_id, data["answers"], utcnow())
    db.session.commit()
    return surveys.view(p, row)
