"""Notices at the boundary: what a sender posts, what a sender and a member each see."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.notices.models import AUDIENCES
from app.org.schemas import TrimmedString
from app.schemas import LocalDateTime, PageArgsSchema


class NoticeAttachmentSchema(ma.Schema):
    """A link to an attached file (uploaded elsewhere)."""

    name = TrimmedString(required=True, validate=validate.Length(min=1, max=100))
    url = ma.fields.String(
        required=True,
        validate=[
            validate.Length(max=500),
            validate.Regexp(r"^(https?://|/)[^\s<>\"']+$", error="须为 http(s) 链接或站内路径"),
        ],
    )


class NoticeInSchema(ma.Schema):
    """A new notice: audience a subtree, a list of orgs, or members; now or at a time."""

    org_id = ma.fields.Integer(
        required=True, metadata={"description": "发布组织（默认接收其下全体）"}
    )
    title = TrimmedString(required=True, validate=validate.Length(min=1, max=100))
    body = ma.fields.String(load_default="", validate=validate.Length(max=20_000))
    attachments = ma.fields.List(
        ma.fields.Nested(NoticeAttachmentSchema),
        load_default=list,
        validate=validate.Length(max=10),
    )
    audience = ma.fields.String(load_default="subtree", validate=validate.OneOf(AUDIENCES))
    org_ids = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1)), validate=validate.Length(max=200)
    )
    member_ids = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1)), validate=validate.Length(max=5000)
    )
    publish_at = LocalDateTime(load_default=None, allow_none=True)
    pinned = ma.fields.Boolean(load_default=False)
    needs_confirmation = ma.fields.Boolean(load_default=False)


class NoticeUpdateSchema(ma.Schema):
    """Pin, unpin or withdraw."""

    pinned = ma.fields.Boolean()
    withdrawn = ma.fields.Boolean()


class NoticeSchema(ma.Schema):
    """A notice as its sender (or an audience member) sees it."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    title = ma.fields.String()
    body = ma.fields.String(metadata={"description": "Markdown"})
    body_html = ma.fields.String(metadata={"description": "the Markdown as safe HTML"})
    attachments = ma.fields.List(ma.fields.Nested(NoticeAttachmentSchema))
    audience = ma.fields.String()
    audience_org_ids = ma.fields.List(ma.fields.Integer())
    publish_at = LocalDateTime()
    pinned = ma.fields.Boolean()
    needs_confirmation = ma.fields.Boolean()
    created_by = ma.fields.String()
    created_at = LocalDateTime()
    reminded_at = LocalDateTime(allow_none=True)
    audience_count = ma.fields.Integer()
    read_count = ma.fields.Integer()
    unread_count = ma.fields.Integer()
    confirmed_count = ma.fields.Integer()
    read_at = LocalDateTime(allow_none=True, metadata={"description": "the caller's own receipt"})
    confirmed_at = LocalDateTime(allow_none=True)


class MyNoticeSchema(ma.Schema):
    """A notice in the member's list."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    body = ma.fields.String()
    body_html = ma.fields.String()
    attachments = ma.fields.List(ma.fields.Nested(NoticeAttachmentSchema))
    publish_at = LocalDateTime()
    pinned = ma.fields.Boolean()
    needs_confirmation = ma.fields.Boolean()
    created_by = ma.fields.String()
    read_at = LocalDateTime(allow_none=True)
    confirmed_at = LocalDateTime(allow_none=True)


class NoticeListArgsSchema(PageArgsSchema):
    """Filters for the sender's list."""

    org_id = ma.fields.Integer()


class MyNoticeArgsSchema(PageArgsSchema):
    """Filters for the member's list."""

    unconfirmed = ma.fields.Boolean(load_default=False)


class MyNoticePageSchema(ma.Schema):
    """The member's notices and how many still ask for confirmation."""

    items = ma.fields.List(ma.fields.Nested(MyNoticeSchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()
    unconfirmed = ma.fields.Integer()


class NoticePersonSchema(ma.Schema):
    """One audience member's receipt."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    org_name = ma.fields.String()
    read_at = LocalDateTime(allow_none=True)
    confirmed_at = LocalDateTime(allow_none=True)


class NoticeReceiptsSchema(ma.Schema):
    """Read and confirmation counts and who is missing."""

    notice_id = ma.fields.Integer()
    title = ma.fields.String()
    needs_confirmation = ma.fields.Boolean()
    audience = ma.fields.Integer()
    read = ma.fields.Integer()
    unread = ma.fields.Integer()
    confirmed = ma.fields.Integer()
    reminded_at = LocalDateTime(allow_none=True)
    not_read = ma.fields.List(ma.fields.Nested(NoticePersonSchema))
    not_confirmed = ma.fields.List(ma.fields.Nested(NoticePersonSchema))


class NoticeRemindSchema(ma.Schema):
    """How many members the one reminder reached."""

    notice_id = ma.fields.Integer()
    reminded = ma.fields.Integer()
    reminded_at = LocalDateTime()
