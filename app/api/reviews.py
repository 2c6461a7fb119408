"""民主评议党员: rounds, self-assessments, peer ratings, decisions, follow-up."""

from __future__ import annotations

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.reports import tables
from app.reports.exports import export
from app.reviews import services
from app.reviews.schemas import (
    ReviewDecisionSchema,
    ReviewFollowUpSchema,
    ReviewMyGradeSchema,
    ReviewRatingsSchema,
    ReviewResultsArgsSchema,
    ReviewResultSchema,
    ReviewRoundCreateSchema,
    ReviewRoundListItemSchema,
    ReviewRoundSchema,
    ReviewSelfSchema,
)
from app.timeutil import utcnow

blp = Blueprint("reviews", __name__, url_prefix="/api/v1/reviews", description="民主评议党员")


@blp.route("", methods=["GET"])
@blp.response(200, ReviewRoundListItemSchema(many=True))
@access(Access.AUTHENTICATED)
def list_rounds():
    """Rounds of the caller's scope, or of the member's branch."""
    return services.list_rounds(current_principal())


@blp.route("", methods=["POST"])
@blp.arguments(ReviewRoundCreateSchema)
@blp.response(201, ReviewRoundSchema)
@access(Access.STAFF)
def create_round(data):
    """Open a branch's review of a year."""
    row = services.create_round(current_principal(), data, utcnow())
    db.session.commit()
    return services.view(current_principal(), row)


@blp.route("/mine", methods=["GET"])
@blp.response(200, ReviewMyGradeSchema(many=True))
@access(Access.MEMBER)
def mine():
    """The caller's grades by year."""
    return services.mine(current_principal())


@blp.route("/<int:round_id>", methods=["GET"])
@blp.response(200, ReviewRoundSchema)
@access(Access.AUTHENTICATED)
def get_round(round_id):
    """One round with the caller's own entries."""
    p = current_principal()
    return services.view(p, services.readable_round(p, round_id))


@blp.route("/<int:round_id>/self", methods=["PUT"])
@blp.arguments(ReviewSelfSchema)
@blp.response(200, ReviewRoundSchema)
@access(Access.MEMBER)
def put_self(data, round_id):
    """Write the caller's self-assessment."""
    p = current_principal()
    row = services.put_self(p, round_id, data["text"])
    db.session.commit()
    return services.view(p, row)


@blp.route("/<int:round_id>/ratings", methods=["PUT"])
@blp.arguments(ReviewRatingsSchema)
@blp.response(200, ReviewRoundSchema)
@access(Access.MEMBER)
def put_ratings(data, round_id):
    """Rate other members of the branch."""
    p = current_principal()
    row = services.put_ratings(p, round_id, data["ratings"])
    db.session.commit()
    return services.view(p, row)


@blp.route("/<int:round_id>/results", methods=["GET"])
@blp.arguments(ReviewResultsArgsSchema, location="query")
@blp.response(200, ReviewResultSchema(many=True))
@blp.doc(responses=downloads(ReviewResultSchema(many=True)))
@access(Access.STAFF)
def results(args, round_id):
    """Per member: self-assessment, peer grades counted, decision, follow-up
    (`format=csv|xlsx`: the same as a download for the branch's records)."""
    if args["format"] != "json":
        return export(args["format"], *tables.review_results(current_principal(), round_id))
    return services.results(current_principal(), round_id)


@blp.route("/<int:round_id>/decisions/<int:member_id>", methods=["PUT"])
@blp.arguments(ReviewDecisionSchema)
@blp.response(200, ReviewResultSchema(many=True))
@access(Access.STAFF)
def decide(data, round_id, member_id):
    """The branch's grade for one member."""
    out = services.decide(current_principal(), round_id, member_id, data, utcnow())
    db.session.commit()
    return out


@blp.route("/<int:round_id>/decisions/<int:member_id>/follow-up", methods=["PUT"])
@blp.arguments(ReviewFollowUpSchema)
@blp.response(200, ReviewResultSchema(many=True))
@access(Access.STAFF)
def follow_up(data, round_id, member_id):
    """限期改正 for a failing grade and its outcome."""
    out = services.follow_up(current_principal(), round_id, member_id, data, utcnow())
    db.session.commit()
    return out


@blp.route("/<int:round_id>/close", methods=["POST"])
@blp.response(200, ReviewRoundSchema)
@access(Access.STAFF)
def close_round(round_id):
    """Close the round."""
    p = current_principal()
    row = services.close_round(p, round_id, utcnow())
    db.session.commit()
    return services.view(p, row)
