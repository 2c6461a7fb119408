"""Votes at the 党员大会: prepare, written opinions, open, ballots, paper, close, results."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.timeutil import utcnow
from app.votes import results, services
from app.votes.schemas import (
    BallotSchema,
    CommitteeSchema,
    ElectorSchema,
    ExportArgsSchema,
    PaperSchema,
    VoteCreateSchema,
    VoteListArgsSchema,
    VoteSchema,
    WrittenOpinionSchema,
)

blp = Blueprint("votes", __name__, url_prefix="/api/v1/votes", description="Votes and elections")

FILE = {
    "200": {
        "description": "CSV or XLSX",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}


def _out(vote):
    return results.view(current_principal(), vote)


@blp.route("", methods=["GET"])
@blp.arguments(VoteListArgsSchema, location="query")
@blp.response(200, VoteSchema(many=True))
@access(Access.AUTHENTICATED)
def list_votes(args):
    """The votes of one meeting (staff in scope, or its electors)."""
    return results.list_votes(current_principal(), args["activity_id"])


@blp.route("", methods=["POST"])
@blp.arguments(VoteCreateSchema)
@blp.response(201, VoteSchema)
@access(Access.STAFF)
def create_vote(data):
    """Prepare a vote (draft) at a 党员大会."""
    vote = services.create_vote(current_principal(), data, utcnow())
    db.session.commit()
    return _out(vote)


@blp.route("/<int:vote_id>", methods=["GET"])
@blp.response(200, VoteSchema)
@access(Access.AUTHENTICATED)
def get_vote(vote_id):
    """One vote; the tally only after it closed."""
    return _out(services.readable_vote(current_principal(), vote_id))


@blp.route("/<int:vote_id>/written-opinions", methods=["POST"])
@blp.arguments(WrittenOpinionSchema)
@blp.response(201, VoteSchema)
@access(Access.STAFF)
def add_written_opinion(data, vote_id):
    """Enter an absent elector's 书面意见 before the vote opens."""
    vote = services.add_written_opinion(current_principal(), vote_id, data, utcnow())
    db.session.commit()
    return _out(vote)


@blp.route("/<int:vote_id>/open", methods=["POST"])
@blp.response(200, VoteSchema)
@access(Access.STAFF)
def open_vote(vote_id):
    """Open the vote (needs more than half of the electors present; 4/5 for elections)."""
    vote = services.open_vote(current_principal(), vote_id, utcnow())
    db.session.commit()
    return _out(vote)


@blp.route("/<int:vote_id>/ballot", methods=["POST"])
@blp.arguments(BallotSchema)
@blp.response(201, VoteSchema)
@access(Access.MEMBER)
def cast(data, vote_id):
    """Vote once, secretly (a present elector)."""
    vote = services.cast(current_principal(), vote_id, data, utcnow())
    db.session.commit()
    return _out(vote)


@blp.route("/<int:vote_id>/paper", methods=["POST"])
@blp.arguments(PaperSchema)
@blp.response(201, VoteSchema)
@access(Access.STAFF)
def record_paper(data, vote_id):
    """The tellers enter paper ballots and who handed them in."""
    vote = services.record_paper(current_principal(), vote_id, data, utcnow())
    db.session.commit()
    return _out(vote)


@blp.route("/<int:vote_id>/close", methods=["POST"])
@blp.response(200, VoteSchema)
@access(Access.STAFF)
def close_vote(vote_id):
    """Close the vote and count."""
    vote = services.close_vote(current_principal(), vote_id, utcnow())
    db.session.commit()
    return _out(vote)


@blp.route("/<int:vote_id>/electors", methods=["GET"])
@blp.response(200, ElectorSchema(many=True))
@access(Access.STAFF)
def electors(vote_id):
    """The electorate with presence and how each voted (never what)."""
    return results.turnout(current_principal(), vote_id)


@blp.route("/<int:vote_id>/export", methods=["GET"])
@blp.arguments(ExportArgsSchema, location="query")
@blp.doc(responses=FILE)
@access(Access.STAFF)
def export_vote(args, vote_id):
    """The whole record of a closed vote (electorate, turnout, tally, outcome)."""
    return results.export_vote(current_principal(), vote_id, args["format"])


@blp.route("/<int:vote_id>/committee", methods=["POST"])
@blp.arguments(CommitteeSchema)
@blp.response(200, VoteSchema)
@access(Access.STAFF)
def apply_committee(data, vote_id):
    """Seat the elected committee with their roles and term (an election's result)."""
    vote = results.apply_committee(current_principal(), vote_id, data, utcnow())
    db.session.commit()
    return _out(vote)
