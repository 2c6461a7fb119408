"""Vote schemas (the boundary and the OpenAPI)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.activities.schemas import id_field
from app.org.models import COMMITTEE_ROLES
from app.schemas import LocalDateTime
from app.votes.models import CHOICES, VOTE_KINDS
from app.votes.results import TERM_YEARS

IDS = {"validate": validate.Length(max=500)}


class VoteCreateSchema(ma.Schema):
    """A vote at a 党员大会: a motion, an admission/confirmation (subject), an election."""

    activity_id = id_field(required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(VOTE_KINDS))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    subject_member_id = id_field(allow_none=True, load_default=None)
    seats = ma.fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=1, max=50)
    )
    candidate_ids = ma.fields.List(id_field(), load_default=list, **IDS)


class BallotSchema(ma.Schema):
    """One ballot: `choice` (赞成/反对/弃权), or the marked candidates of an election."""

    choice = ma.fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CHOICES))
    candidate_ids = ma.fields.List(id_field(), load_default=list, validate=validate.Length(max=50))


class WrittenOpinionSchema(ma.Schema):
    """An absent elector's 书面意见, entered by the secretary before the vote opens."""

    member_id = id_field(required=True)
    choice = ma.fields.String(required=True, validate=validate.OneOf(CHOICES))


class PaperSchema(ma.Schema):
    """Paper ballots entered by the tellers: who handed one in, and the ballots (same count)."""

    member_ids = ma.fields.List(id_field(), required=True, **IDS)
    ballots = ma.fields.List(
        ma.fields.Nested(BallotSchema), required=True, validate=validate.Length(max=500)
    )


class RoleAssignmentSchema(ma.Schema):
    """An elected member's role on the new committee."""

    member_id = id_field(required=True)
    role = ma.fields.String(required=True, validate=validate.OneOf(sorted(COMMITTEE_ROLES)))


class CommitteeSchema(ma.Schema):
    """The new committee from an election: the term and each elected member's role."""

    term_start = ma.fields.Date(required=True)
    term_years = ma.fields.Integer(
        allow_none=True, load_default=None, validate=validate.OneOf(TERM_YEARS)
    )
    roles = ma.fields.List(
        ma.fields.Nested(RoleAssignmentSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class VoteListArgsSchema(ma.Schema):
    """`?activity_id=` the meeting whose votes to list."""

    activity_id = id_field(required=True)


class ExportArgsSchema(ma.Schema):
    """`?format=csv|xlsx`."""

    format = ma.fields.String(load_default="xlsx", validate=validate.OneOf(("csv", "xlsx")))


class VoteCandidateSchema(ma.Schema):
    """A candidate (votes and elected only after the close)."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    name = ma.fields.String()
    votes = ma.fields.Integer(allow_none=True)
    elected = ma.fields.Boolean(allow_none=True)


class VoteResultSchema(ma.Schema):
    """The tally and the outcome (after the close)."""

    ballots_cast = ma.fields.Integer()
    yes = ma.fields.Integer()
    no = ma.fields.Integer()
    abstain = ma.fields.Integer()
    passed = ma.fields.Boolean()


class VoteSchema(ma.Schema):
    """A vote; `result` is null until it closes; `my_channel`: how the caller voted."""

    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()
    org_id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    subject_member_id = ma.fields.Integer(allow_none=True)
    subject_name = ma.fields.String(allow_none=True)
    seats = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    status_label = ma.fields.String()
    expected_voters = ma.fields.Integer(allow_none=True)
    present_voters = ma.fields.Integer(allow_none=True)
    opened_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    my_channel = ma.fields.String(allow_none=True)
    candidates = ma.fields.List(ma.fields.Nested(VoteCandidateSchema))
    term_starts_on = ma.fields.Date(allow_none=True)
    term_ends_on = ma.fields.Date(allow_none=True)
    result = ma.fields.Nested(VoteResultSchema, allow_none=True)


class ElectorSchema(ma.Schema):
    """One elector: present, and how they voted (channel, never the choice)."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    status_label = ma.fields.String()
    present = ma.fields.Boolean()
    channel = ma.fields.String(allow_none=True)
    channel_label = ma.fields.String()


class SurveyQuestionSchema(ma.Schema):
    """A question: single or multiple choice (with options) or a short text."""

    kind = ma.fields.String(required=True, validate=validate.OneOf(("single", "multiple", "text")))
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    options = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        validate=validate.Length(max=20),
    )


class SurveyCreateSchema(ma.Schema):
    """A survey to the members of an org's subtree."""

    org_id = id_field(required=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    anonymous = ma.fields.Boolean(load_default=True)
    questions = ma.fields.List(
        ma.fields.Nested(SurveyQuestionSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class SurveyAnswerSchema(ma.Schema):
    """One answer per question, in order: an option index (single), a list of indexes
    (multiple) or a text."""

    answers = ma.fields.List(ma.fields.Raw(), required=True, validate=validate.Length(max=50))


class SurveySchema(ma.Schema):
    """A survey; `answered`: whether the caller has answered."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    title = ma.fields.String()
    anonymous = ma.fields.Boolean()
    status = ma.fields.String()
    questions = ma.fields.List(ma.fields.Nested(SurveyQuestionSchema))
    answered = ma.fields.Boolean()


class SurveyQuestionResultSchema(SurveyQuestionSchema):
    """A question's counts per option (choice) or its texts."""

    counts = ma.fields.List(ma.fields.Integer())
    texts = ma.fields.List(ma.fields.String())


class SurveyResultSchema(ma.Schema):
    """How many answered, and each question's counts."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    answered = ma.fields.Integer()
    questions = ma.fields.List(ma.fields.Nested(SurveyQuestionResultSchema))
