"""Inbox, preference and consent schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.notify.models import KINDS
from app.schemas import LocalDateTime, PageArgsSchema


class NotificationSchema(ma.Schema):
    """One inbox row."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    data = ma.fields.Dict()
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)
    read = ma.fields.Function(lambda n: n.read_at is not None)


class InboxArgsSchema(PageArgsSchema):
    """Inbox filters."""

    unread = ma.fields.Boolean(load_default=False)


class InboxPageSchema(ma.Schema):
    """A page of the inbox and the unread count."""

    items = ma.fields.List(ma.fields.Nested(NotificationSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    unread = ma.fields.Integer(required=True)


class ReadAllSchema(ma.Schema):
    """How many were marked read."""

    marked = ma.fields.Integer()


class PreferenceSchema(ma.Schema):
    """Whether a reminder kind is also pushed as a WeChat message."""

    kind = ma.fields.String()
    label = ma.fields.String()
    push = ma.fields.Boolean()


class PreferencesUpdateSchema(ma.Schema):
    """`{"kind": true|false}` per kind to change."""

    push = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(list(KINDS))),
        values=ma.fields.Boolean(),
        required=True,
    )
