"""WeChat login and binding, resolving a scan, the home screen."""

from __future__ import annotations

from flask import current_app
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from app.accounts import services as accounts
from app.auth import (
    Access,
    Principal,
    access,
    caller_key,
    checkin_rate_limit,
    current_principal,
)
from app.errors import APIError
from app.extensions import db, limiter
from app.identities import principal_for
from app.limits import login_limits
from app.openapi import Blueprint
from app.timeutil import utcnow
from miniprogram_api import services
from miniprogram_api.schemas import (
    BindSchema,
    HomeSchema,
    ScanResultSchema,
    ScanSchema,
    TokenPairSchema,
    WxLoginResultSchema,
    WxLoginSchema,
)

blp = Blueprint("mp", __name__, url_prefix="/api/mp/v1", description="Mini-program surface")


@blp.route("/login", methods=["POST"])
@blp.arguments(WxLoginSchema)
@blp.response(200, WxLoginResultSchema)
@login_limits(per_account=False)
@access(Access.PUBLIC)
def wx_login(data):
    """wx.login() code → tokens for a bound member, or `{needs_binding, bind_token}`."""
    now = utcnow()
    result = accounts.wechat_login(current_app.extensions["wechat"], data["code"], now)
    services.signin_after_login(result, now)
    db.session.commit()
    return result


@blp.route("/bind", methods=["POST"])
@blp.arguments(BindSchema)
@blp.response(200, TokenPairSchema)
@login_limits(per_account=False)
@access(Access.PUBLIC)
def bind(data):
    """Bind this WeChat account to the member named by the invite code (once per invite)."""
    now = utcnow()
    tokens = services.signin_after_login(
        accounts.bind_member(data["bind_token"], data["invite_code"], now), now
    )
    db.session.commit()
    return tokens


def _optional_principal() -> Principal | None:
    """The caller when a bearer token is sent (scanning an invite needs no login)."""
    verify_jwt_in_request(optional=True)
    claims = get_jwt()
    if not claims:
        return None
    principal = principal_for(claims["sub"])
    if principal is None:
        raise APIError(401, "auth.account_inactive", "账号不存在或已停用，请重新登录")
    return principal


@blp.route("/scan", methods=["POST"])
@blp.arguments(ScanSchema)
@blp.response(200, ScanResultSchema)
@blp.alt_response(201, schema=ScanResultSchema, description="Checked in (new attendance)")
@limiter.limit(checkin_rate_limit, key_func=caller_key)
@access(Access.PUBLIC)
def scan(data):
    """Resolve what the phone scanned: a check-in code checks in, an invite goes to binding."""
    result, status = services.resolve_scan(_optional_principal(), data, utcnow())
    db.session.commit()
    return result, status


@blp.route("/home", methods=["GET"])
@blp.response(200, HomeSchema)
@access(Access.MEMBER)
def home():
    """Next activities, today's morning brief, streak, today's points (signs the day in)."""
    result = services.home(current_principal(), utcnow())
    db.session.commit()
    return result
