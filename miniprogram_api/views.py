"""WeChat login and binding."""

from __future__ import annotations

from flask import current_app

from app.accounts import services
from app.auth import Access, access
from app.extensions import db, limiter
from app.openapi import Blueprint
from app.timeutil import utcnow
from miniprogram_api.schemas import BindSchema, TokenPairSchema, WxLoginResultSchema, WxLoginSchema

blp = Blueprint("mp", __name__, url_prefix="/api/mp/v1", description="Mini-program surface")


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@blp.route("/login", methods=["POST"])
@blp.arguments(WxLoginSchema)
@blp.response(200, WxLoginResultSchema)
@limiter.limit(_login_limit)
@access(Access.PUBLIC)
def wx_login(data):
    """wx.login() code → tokens for a bound member, or `{needs_binding, bind_token}`."""
    result = services.wechat_login(current_app.extensions["wechat"], data["code"])
    db.session.commit()
    return result


@blp.route("/bind", methods=["POST"])
@blp.arguments(BindSchema)
@blp.response(200, TokenPairSchema)
@limiter.limit(_login_limit)
@access(Access.PUBLIC)
def bind(data):
    """Bind this WeChat account to the member named by the invite code (once per invite)."""
    tokens = services.bind_member(data["bind_token"], data["invite_code"], utcnow())
    db.session.commit()
    return tokens
