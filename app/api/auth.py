"""Console login, token refresh and logout; `GET /me`."""

from __future__ import annotations

from flask_jwt_extended import get_jwt

from app.accounts import services
from app.accounts.schemas import LoginSchema, LogoutSchema, MeSchema, TokenSchema
from app.auth import Access, access, current_principal
from app.extensions import db
from app.limits import login_limits
from app.openapi import Blueprint
from app.timeutil import utcnow

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Authentication")


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@login_limits()
@access(Access.PUBLIC)
def login(data):
    """Username + password → access and refresh tokens."""
    tokens = services.password_login(data["username"], data["password"], utcnow())
    db.session.commit()
    return tokens


@blp.route("/auth/refresh", methods=["POST"])
@blp.response(200, TokenSchema)
@access(Access.REFRESH)
def refresh():
    """A refresh token → a new access token."""
    tokens = services.refresh(get_jwt(), utcnow())
    db.session.commit()
    return tokens


@blp.route("/auth/logout", methods=["POST"])
@blp.arguments(LogoutSchema, required=False)
@blp.response(204)
@access(Access.AUTHENTICATED)
def logout(data):
    """Revoke this access token, and the refresh token when it is sent in the body."""
    services.logout(get_jwt(), (data or {}).get("refresh_token"), utcnow())
    db.session.commit()


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@access(Access.AUTHENTICATED)
def me():
    """The caller: user, member profile, roles and the subtrees they may read and manage."""
    return services.describe(current_principal())
