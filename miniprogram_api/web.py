"""What the member pages (/m/, /c/, /i/) need beyond the mini-program: binding a browser with
an invite code, WeChat web authorisation, and the member's logged-in devices."""

from __future__ import annotations

from flask_jwt_extended import get_jwt

from app.accounts import devices
from app.accounts import services as accounts
from app.auth import Access, access, current_principal, login_rate_limit
from app.extensions import db, limiter
from app.openapi import Blueprint
from app.servicedesk import accounts as staff_accounts
from app.timeutil import utcnow
from app.wechat_oa import oa_client
from miniprogram_api import services
from miniprogram_api.schemas import (
    BrowserBindSchema,
    DeviceListSchema,
    OALoginSchema,
    TokenPairSchema,
    WxLoginResultSchema,
)

blp = Blueprint(
    "mp_web", __name__, url_prefix="/api/mp/v1", description="Member pages in a phone browser"
)


@blp.route("/web/bind", methods=["POST"])
@blp.arguments(BrowserBindSchema)
@blp.response(200, TokenPairSchema)
@limiter.limit(login_rate_limit)
@access(Access.PUBLIC)
def bind_browser(data):
    """Bind this browser to the member the invite names (once per invite; old devices log out);
    an enterprise employee's invite (issue 21) binds their staff light account instead."""
    now = utcnow()
    if staff_accounts.is_staff_invite(data["invite_code"]):
        tokens = staff_accounts.bind_staff(data["invite_code"], now)
        db.session.commit()
        return tokens
    tokens = accounts.bind_browser(data["invite_code"], data["device_label"], now)
    services.signin_after_login(tokens, now)
    db.session.commit()
    return tokens


@blp.route("/oa/login", methods=["POST"])
@blp.arguments(OALoginSchema)
@blp.response(200, WxLoginResultSchema)
@limiter.limit(login_rate_limit)
@access(Access.PUBLIC)
def oa_login(data):
    """WeChat web authorisation code → tokens for the member with that unionid, or
    `{needs_binding: true}` (bind with an invite code)."""
    now = utcnow()
    with oa_client() as client:
        result = accounts.oa_login(client, data["code"], now)
    services.signin_after_login(result, now)
    db.session.commit()
    return result


@blp.route("/devices", methods=["GET"])
@blp.response(200, DeviceListSchema)
@access(Access.MEMBER)
def list_devices():
    """The phones and browsers I am logged in on (this one marked `current`)."""
    dev = get_jwt().get("dev")
    return {"items": devices.list_devices(current_principal().member_id, dev)}


@blp.route("/devices/<int:device_id>", methods=["DELETE"])
@blp.response(204)
@access(Access.MEMBER)
def revoke_device(device_id):
    """Log one of my devices out: its tokens stop working at once."""
    devices.revoke_mine(current_principal().member_id, device_id, utcnow())
    db.session.commit()
