"""Audit log schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import LocalDateTime, PageArgsSchema, id_field


class AuditSchema(ma.Schema):
    """One manual change: who, when, old → new, why."""

    id = ma.fields.Integer()
    at = LocalDateTime()
    actor_user_id = ma.fields.Integer(allow_none=True)
    actor_member_id = ma.fields.Integer(allow_none=True)
    actor_name = ma.fields.String()
    action = ma.fields.String()
    entity_type = ma.fields.String()
    entity_id = ma.fields.Integer(allow_none=True)
    activity_id = ma.fields.Integer(allow_none=True)
    member_id = ma.fields.Integer(allow_none=True)
    member_name = ma.fields.String(allow_none=True)
    field = ma.fields.String()
    old_value = ma.fields.String(allow_none=True)
    new_value = ma.fields.String(allow_none=True)
    reason = ma.fields.String()


class AuditListArgsSchema(PageArgsSchema):
    """Filters for the audit log."""

    activity_id = id_field()
    member_id = id_field()
    action = ma.fields.String(validate=validate.Length(max=64))
