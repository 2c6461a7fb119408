"""Request and response shapes of the mini-program surface."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


class WxLoginSchema(ma.Schema):
    """The `code` from wx.login()."""

    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class WxLoginResultSchema(ma.Schema):
    """Tokens for a bound member, or a bind token to use with an invite code."""

    needs_binding = ma.fields.Boolean(required=True)
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    bind_token = ma.fields.String(metadata={"description": "Valid 10 minutes; send to /bind"})


class BindSchema(ma.Schema):
    """Bind the WeChat account to a member with the secretary's invite code."""

    bind_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=512))
    invite_code = ma.fields.String(required=True, validate=validate.Length(min=4, max=200))


class TokenPairSchema(ma.Schema):
    """Access and refresh token."""

    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String()
