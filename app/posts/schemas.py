"""Posts and the 亮身份 card at the boundary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.org.schemas import TrimmedString
from app.posts.models import POST_KINDS
from app.schemas import LocalDateTime, PageArgsSchema


class PostInSchema(ma.Schema):
    """A new post."""

    org_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(POST_KINDS))
    name = TrimmedString(required=True, validate=validate.Length(min=1, max=100))
    place = ma.fields.String(load_default="", validate=validate.Length(max=100))
    enterprise_id = ma.fields.Integer(load_default=None, allow_none=True)
    commitment = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(load_default=None, allow_none=True)


class PostHolderSchema(ma.Schema):
    """A current holder."""

    member_id = ma.fields.Integer()
    name = ma.fields.Function(lambda h: h.member.name)
    how = ma.fields.String(metadata={"description": "claimed 认领 / assigned 指派"})
    since = ma.fields.Date()


class PostSchema(PostInSchema):
    """A post with its current holders."""

    id = ma.fields.Integer(dump_only=True)
    kind_label = ma.fields.String(dump_only=True)
    org_name = ma.fields.String(dump_only=True)
    holders = ma.fields.List(ma.fields.Nested(PostHolderSchema), dump_only=True)
    created_at = LocalDateTime(dump_only=True)


class PostListArgsSchema(PageArgsSchema):
    """Filters for posts."""

    org_id = ma.fields.Integer()
    kind = ma.fields.String(validate=validate.OneOf(POST_KINDS))


class PostMemberSchema(ma.Schema):
    """Which member."""

    member_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))


class CardPostSchema(ma.Schema):
    """A post as the card shows it."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    name = ma.fields.String()
    place = ma.fields.String()
    commitment = ma.fields.String()


class CardSchema(ma.Schema):
    """The 亮身份 card."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    org_name = ma.fields.String()
    joined_on = ma.fields.Date(allow_none=True)
    party_years = ma.fields.Integer(allow_none=True, metadata={"description": "党龄（整年）"})
    posts = ma.fields.List(ma.fields.Nested(CardPostSchema))
    token = ma.fields.String()
    verify_url = ma.fields.String()


class CardVerifyArgsSchema(ma.Schema):
    """The token from the card's QR."""

    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))


class CardVerifySchema(ma.Schema):
    """Whether the shown card is current."""

    valid = ma.fields.Boolean()
    message = ma.fields.String()
    name = ma.fields.String()
    org_name = ma.fields.String()
    status_label = ma.fields.String()
    party_years = ma.fields.Integer(allow_none=True)
    posts = ma.fields.List(ma.fields.Nested(CardPostSchema))
    checked_at = LocalDateTime()


class PostReportArgsSchema(ma.Schema):
    """Which org."""

    org_id = ma.fields.Integer()
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class PostReportRowSchema(ma.Schema):
    """One branch."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    posts = ma.fields.Integer()
    pioneer = ma.fields.Integer()
    responsibility_area = ma.fields.Integer()
    model = ma.fields.Integer()
    shock_team = ma.fields.Integer()
    members = ma.fields.Integer()
    holders = ma.fields.Integer()
    share = ma.fields.Float(metadata={"description": "share of members holding a post"})


class PostReportSchema(ma.Schema):
    """Posts per branch."""

    org_name = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(PostReportRowSchema))
