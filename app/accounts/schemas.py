"""Login, token and `me` schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.fastdump import FastDumpSchema
from app.members.schemas import MemberSchema


class LoginSchema(FastDumpSchema):
    """Console login."""

    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class TokenSchema(FastDumpSchema):
    """A token pair (refresh answers only a new access token)."""

    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String()
    token_type = ma.fields.String(metadata={"example": "Bearer"})


class UserSchema(FastDumpSchema):
    """A console user."""

    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    is_admin = ma.fields.Boolean()


class GrantSchema(FastDumpSchema):
    """A role the caller holds, with the subtree it covers."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    role = ma.fields.String()
    manages = ma.fields.Boolean()


class MeSchema(FastDumpSchema):
    """The caller: user, member profile, roles and scopes."""

    identity = ma.fields.String()
    user = ma.fields.Nested(UserSchema, allow_none=True)
    member = ma.fields.Nested(MemberSchema, allow_none=True)
    is_admin = ma.fields.Boolean()
    roles = ma.fields.List(ma.fields.Nested(GrantSchema), attribute="grants")
    read_org_ids = ma.fields.List(
        ma.fields.Integer(),
        allow_none=True,
        metadata={"description": "Roots of the subtrees the caller may read; null = all"},
    )
    manage_org_ids = ma.fields.List(
        ma.fields.Integer(),
        allow_none=True,
        metadata={"description": "Roots of the subtrees the caller may manage; null = all"},
    )


class LogoutSchema(FastDumpSchema):
    """Optionally the refresh token, so that logout ends the whole session."""

    refresh_token = ma.fields.String(load_default=None, allow_none=True)
