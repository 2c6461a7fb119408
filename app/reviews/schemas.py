"""民主评议 schemas (the boundary and the OpenAPI)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.activities.schemas import id_field
from app.schemas import day_field

GRADE = validate.Length(min=1, max=16)


class ReviewRoundCreateSchema(ma.Schema):
    """A branch's review of a year; `grades` best first, the last one failing."""

    org_id = id_field(required=True)
    year = ma.fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    activity_id = id_field(allow_none=True, load_default=None)
    grades = ma.fields.List(
        ma.fields.String(validate=GRADE), load_default=None, validate=validate.Length(max=8)
    )


class ReviewSelfSchema(ma.Schema):
    """The self-assessment (自我评价)."""

    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ReviewRatingSchema(ma.Schema):
    """A grade for another member."""

    member_id = id_field(required=True)
    grade = ma.fields.String(required=True, validate=GRADE)


class ReviewRatingsSchema(ma.Schema):
    """Peer ratings (互评)."""

    ratings = ma.fields.List(
        ma.fields.Nested(ReviewRatingSchema), required=True, validate=validate.Length(max=500)
    )


class ReviewDecisionSchema(ma.Schema):
    """The branch's grade for a member."""

    grade = ma.fields.String(required=True, validate=GRADE)
    note = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    on = day_field(allow_none=True, load_default=None)


class ReviewFollowUpSchema(ma.Schema):
    """限期改正: the deadline (at most a year), and the outcome when known."""

    correction_deadline = day_field(required=True)
    outcome = ma.fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=500)
    )
    outcome_on = day_field(allow_none=True, load_default=None)


class ReviewMemberRefSchema(ma.Schema):
    """A member's id and name."""

    id = ma.fields.Integer()
    name = ma.fields.String()


class ReviewRoundSchema(ma.Schema):
    """A round: who is reviewed, the grades, the caller's own entries."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    year = ma.fields.Integer()
    activity_id = ma.fields.Integer(allow_none=True)
    grades = ma.fields.List(ma.fields.String())
    status = ma.fields.String()
    members = ma.fields.List(ma.fields.Nested(ReviewMemberRefSchema))
    my_self_assessment = ma.fields.String(allow_none=True)
    my_ratings = ma.fields.List(ma.fields.Nested(ReviewRatingSchema))


class ReviewRoundListItemSchema(ma.Schema):
    """A round in a list."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    year = ma.fields.Integer()
    status = ma.fields.String()
    grades = ma.fields.List(ma.fields.String())


class ReviewPeerCountSchema(ma.Schema):
    """How many peers gave a grade."""

    grade = ma.fields.String()
    count = ma.fields.Integer()


class ReviewResultsArgsSchema(ma.Schema):
    """JSON (default) or a download."""

    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class ReviewResultSchema(ma.Schema):
    """One reviewed member: self-assessment, peer counts, decision, follow-up."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    self_assessment = ma.fields.String(allow_none=True)
    peer = ma.fields.List(ma.fields.Nested(ReviewPeerCountSchema))
    grade = ma.fields.String(allow_none=True)
    correction_deadline = ma.fields.Date(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    outcome_on = ma.fields.Date(allow_none=True)


class ReviewMyGradeSchema(ma.Schema):
    """A year's grade in the member's record."""

    year = ma.fields.Integer()
    grade = ma.fields.String()
    correction_deadline = ma.fields.Date(allow_none=True)
