"""Logging in: console passwords, WeChat `code` → openid, and binding an openid to a member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_jwt_extended import decode_token
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app import versions
from app.accounts import devices
from app.accounts.models import User
from app.auth import Principal, is_revoked, issue_tokens, revoke_token
from app.errors import APIError
from app.extensions import db
from app.members.models import InviteCode, Member
from app.members.services import INVITE_ALPHABET, INVITE_LENGTH, normalise_invite_code
from app.wechat import WeChatClient

# Checked when the username is unknown so that both paths cost one hash (no user probing).
_DUMMY_HASH = generate_password_hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def create_user(
    username: str,
    password: str,
    *,
    is_admin: bool = False,
    display_name: str = "",
    member_id: int | None = None,
) -> User:
    """Create a console user with a scrypt password hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise APIError(400, "auth.weak_password", "密码至少8位", {"password": ["太短"]})
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise APIError(409, "auth.username_taken", "用户名已存在", {"username": ["已存在"]})
    user = User(
        username=username,
        password_hash=generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        ),
        is_admin=is_admin,
        display_name=display_name or username,
        member_id=member_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise APIError(400, "auth.weak_password", "密码至少8位", {"password": ["太短"]})
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def password_login(username: str, password: str, now: datetime) -> dict[str, str]:
    """Username + password → token pair; one error for unknown user and wrong password."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise APIError(401, "auth.bad_credentials", "用户名或密码错误")
    if not check_password_hash(user.password_hash, password):
        raise APIError(401, "auth.bad_credentials", "用户名或密码错误")
    if not user.is_active:
        raise APIError(403, "auth.account_inactive", "账号已停用")
    user.last_login_at = now
    return issue_tokens(f"u:{user.id}")


def _bind_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wechat-bind")


def wechat_login(client: WeChatClient, code: str, now: datetime) -> dict[str, Any]:
    """Exchange a wx.login code: tokens for a bound member, else a short-lived bind token."""
    session = client.code_to_session(code)
    member = db.session.scalar(select(Member).where(Member.openid == session.openid))
    if member is not None:
        if not member.is_active:
            raise APIError(403, "auth.account_inactive", "账号已停用，请联系支部书记")
        return {
            "needs_binding": False,
            **devices.issue_for_member(member.id, "wechat", "", now),
        }
    bind_token = _bind_serializer().dumps({"openid": session.openid, "unionid": session.unionid})
    return {"needs_binding": True, "bind_token": bind_token}


def bind_member(bind_token: str, invite_code: str, now: datetime) -> dict[str, Any]:
    """Bind the openid behind a bind token to the member an invite names; the invite is spent
    and every device of the previous binding is logged out."""
    try:
        payload = _bind_serializer().loads(
            bind_token, max_age=current_app.config["BIND_TOKEN_SECONDS"]
        )
    except SignatureExpired as exc:
        raise APIError(410, "bind.token_expired", "绑定已超时，请重新登录后再绑定") from exc
    except BadSignature as exc:
        raise APIError(400, "bind.token_invalid", "绑定凭证无效，请重新登录") from exc
    member = _spend_invite(invite_code, now)
    other = db.session.scalar(
        select(Member).where(Member.openid == payload["openid"], Member.id != member.id)
    )
    if other is not None:
        raise APIError(409, "bind.openid_in_use", "该微信已绑定其他党员，如需更换请联系支部书记")
    # A new invite from the secretary is what authorises re-binding an already bound member.
    member.openid = payload["openid"]
    member.unionid = payload.get("unionid")
    member.bound_at = now
    devices.revoke_all(member.id, now, "rebind")
    return devices.issue_for_member(member.id, "wechat", "", now)


def bind_browser(invite_code: str, label: str, now: datetime) -> dict[str, Any]:
    """Bind this browser to the member an invite names (the same one-time rules as WeChat);
    every device of the previous binding is logged out."""
    member = _spend_invite(invite_code, now)
    devices.revoke_all(member.id, now, "rebind")
    return devices.issue_for_member(member.id, "browser", label, now)


def _spend_invite(invite_code: str, now: datetime) -> Member:
    """The member an unused, unexpired invite names; the invite is marked used."""
    code = normalise_invite_code(invite_code)
    if len(code) != INVITE_LENGTH or any(ch not in INVITE_ALPHABET for ch in code):
        raise APIError(404, "bind.invite_invalid", "邀请码无效，请向支部书记索取新的邀请码")
    invite = db.session.scalar(select(InviteCode).where(InviteCode.code == code).with_for_update())
    if invite is None or invite.revoked_at is not None:
        raise APIError(404, "bind.invite_invalid", "邀请码无效，请向支部书记索取新的邀请码")
    if invite.used_at is not None:
        raise APIError(409, "bind.invite_used", "邀请码已使用，请向支部书记索取新的邀请码")
    if invite.expires_at <= now:
        raise APIError(410, "bind.invite_expired", "邀请码已过期，请向支部书记索取新的邀请码")
    member = invite.member
    if not member.is_active:
        raise APIError(403, "auth.account_inactive", "账号已停用，请联系支部书记")
    invite.used_at = now
    db.session.flush()
    return member


def refresh(claims: dict, now: datetime) -> dict[str, Any]:
    """A refresh token → a new access token (a member's device records it)."""
    return devices.refresh_access(claims, now)


def logout(access_claims: dict, refresh_token: str | None, now: datetime | None = None) -> None:
    """Revoke the access token, and the caller's refresh token when given; a member's device
    leaves their list with all its tokens.

    Everything is checked before anything is revoked: a refused logout must leave Redis and
    the database agreeing (revoke_token mirrors to Redis at once, the rollback would not)."""
    claims = None
    if refresh_token:
        try:
            claims = decode_token(refresh_token, allow_expired=True)
        except Exception as exc:  # PyJWT raises many kinds; each means "not a token of ours"
            raise APIError(400, "auth.token_invalid", "refresh_token 无效") from exc
        if claims.get("type") != "refresh" or claims.get("sub") != access_claims["sub"]:
            raise APIError(400, "auth.token_invalid", "refresh_token 不属于当前用户")
    revoke_token(access_claims)
    if now is not None:
        devices.forget_on_logout(access_claims, now)
    if claims is not None and not is_revoked(claims["jti"]):
        revoke_token(claims)


# /me's member profile per identity, exact at the identity's and the org tree's versions:
# every change of the member row bumps its identity (and its linked users') in the writing
# transaction, a renamed org bumps the org tree (app.principals)
_PROFILES = versions.VersionedCache(8192)
_PROFILE_FIELDS = (
    "id",
    "name",
    "display_phone",
    "status",
    "status_label",
    "gender",
    "joined_on",
    "org_id",
    "org_name",
    "excused",
    "probation_started_on",
    "full_due_on",
    "bound",
    "is_active",
    "created_at",
)


def _member_profile(principal: Principal) -> dict[str, Any] | None:
    """The caller's own member profile as /me shows it (full phone), kept per identity."""
    from app.members.services import decorate

    if principal.member_info is None:
        return None
    version = versions.current(principal.identity, versions.ORGS)
    profile = _PROFILES.get(principal.identity, version)
    if profile is None:
        member = principal.member
        decorate([member], principal, full_phone=True)
        profile = {name: getattr(member, name) for name in _PROFILE_FIELDS}
        _PROFILES.put(principal.identity, version, profile)
    return profile


def describe(principal: Principal) -> dict[str, Any]:
    """What `GET /me` shows: user, member profile, roles, and the roots of readable subtrees."""
    member = _member_profile(principal)

    def roots(paths: list[str] | None) -> list[int] | None:
        if paths is None:
            return None
        ids = [int(p.rstrip("/").rsplit("/", 1)[-1]) for p in paths]
        return sorted(set(ids))

    read = principal.read_paths()
    if read is not None and member is not None:
        read = [*read, principal.member_info.org_path]
    return {
        "identity": principal.identity,
        "user": principal.user_info,
        "member": member,
        "is_admin": principal.is_admin,
        "grants": principal.grants,
        "read_org_ids": roots(read),
        "manage_org_ids": roots(principal.manage_paths()),
    }


def oa_login(client: WeChatClient, code: str, now: datetime) -> dict[str, Any]:
    """WeChat web authorisation (snsapi_base): the member bound with the same unionid gets
    tokens for this browser; anyone else is told to bind with an invite code."""
    session = client.web_auth(code)
    member = None
    if session.unionid:
        member = db.session.scalar(
            select(Member).where(Member.unionid == session.unionid).order_by(Member.id).limit(1)
        )
    if member is None:
        return {"needs_binding": True}
    if not member.is_active:
        raise APIError(403, "auth.account_inactive", "账号已停用，请联系支部书记")
    return {"needs_binding": False, **devices.issue_for_member(member.id, "oa", "", now)}
