"""Who is calling and what they may touch: token identity, principals, scope checks.

Identities are strings: ``u:<user_id>`` for console users, ``m:<member_id>`` for members
who logged in through the mini-program, ``s:<staff_id>`` for enterprise staff's light accounts
(app.servicedesk registers how to resolve them; they reach only ``Access.REQUESTER`` routes).
Every route declares an access policy with :func:`access`; a route that declares nothing is
refused by a test over ``app.url_map``.
Object-level checks (is this org in the caller's subtree?) happen in services, which get
the :class:`Principal` as an argument and never look at the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from flask import Flask, current_app, g, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    verify_jwt_in_request,
)
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import RevokedToken, User
from app.errors import APIError, envelope, forbidden
from app.extensions import db, jwt
from app.members.models import Member
from app.org.models import MANAGE_ROLES, Organization, OrgRole


class Access(StrEnum):
    """Route policies; object scope is checked further in the services."""

    PUBLIC = "public"  # no token needed
    AUTHENTICATED = "authenticated"  # any valid access token
    MEMBER = "member"  # the caller has a member profile (own records)
    STAFF = "staff"  # admin or any org role; services check the object's subtree
    ADMIN = "admin"  # console administrators
    REFRESH = "refresh"  # a refresh token (token renewal only)
    REQUESTER = "requester"  # a member or a staff light account (their own requests)


@dataclass(frozen=True)
class Grant:
    """One role on one org, carrying the org's path for subtree checks."""

    org_id: int
    org_path: str
    org_name: str
    role: str

    @property
    def manages(self) -> bool:
        """Whether the role may change things in its subtree."""
        return self.role in MANAGE_ROLES


@dataclass(frozen=True)
class MemberInfo:
    """What the hot paths need of the caller's member profile, cached with the principal."""

    id: int
    name: str
    status: str
    org_id: int
    org_path: str
    org_name: str
    branch_id: int | None  # where the member is ranked (points.scope)
    park_id: int | None


@dataclass(frozen=True)
class LightInfo:
    """An enterprise staff member's light account (no Party role), cached with the principal."""

    id: int
    name: str
    enterprise_id: int


@dataclass(frozen=True)
class UserInfo:
    """What the hot paths need of a console user, cached with the principal."""

    id: int
    username: str
    display_name: str
    is_admin: bool


class Principal:
    """The authenticated caller: a console user, a member, or a user linked to a member.

    It holds plain snapshots (cached between requests, see app.principals); `user` and
    `member` load the ORM rows on first use in this request, for the code that writes them.
    """

    def __init__(
        self,
        identity: str,
        user: UserInfo | None = None,
        member: MemberInfo | None = None,
        grants: Iterable[Grant] = (),
        light: LightInfo | None = None,
    ):
        self.identity = identity
        self.user_info = user
        self.member_info = member
        self.grants = list(grants)
        self.light_info = light
        self._rows: dict[str, Any] = {}

    @property
    def user(self) -> User | None:
        """The console user's row (loaded once per request), or None."""
        if self.user_info is None:
            return None
        if "user" not in self._rows:
            self._rows["user"] = db.session.get(User, self.user_info.id)
        return self._rows["user"]

    @property
    def member(self) -> Member | None:
        """The member's row (loaded once per request), or None."""
        if self.member_info is None:
            return None
        if "member" not in self._rows:
            # with its org in the same statement: /me, home and the pages show the org's name
            self._rows["member"] = db.session.scalar(
                select(Member)
                .options(joinedload(Member.org))
                .where(Member.id == self.member_info.id)
            )
        return self._rows["member"]

    @property
    def is_admin(self) -> bool:
        """Console administrators see and manage everything."""
        return bool(self.user_info and self.user_info.is_admin)

    @property
    def member_id(self) -> int | None:
        """The caller's member id, if they are a member."""
        return self.member_info.id if self.member_info else None

    @property
    def is_staff(self) -> bool:
        """Admin, or holds at least one org role."""
        return self.is_admin or bool(self.grants)

    def _paths(self, manage: bool) -> list[str]:
        return [gr.org_path for gr in self.grants if gr.manages or not manage]

    def can_read_org(self, org: Organization) -> bool:
        """Read access to an org: admin, any role above or on it, or a member of it."""
        if self.is_admin or any(org.path.startswith(p) for p in self._paths(False)):
            return True
        return bool(self.member_info and self.member_info.org_id == org.id)

    def can_manage_org(self, org: Organization) -> bool:
        """Write access to an org: admin or a managing role on it or above it."""
        return self.can_manage_path(org.path)

    def can_manage_path(self, path: str) -> bool:
        """Write access to the org at `path` (when only its path is at hand)."""
        return self.is_admin or any(path.startswith(p) for p in self._paths(True))

    def read_paths(self) -> list[str] | None:
        """Subtree prefixes the caller may read; None means everything (admin)."""
        return None if self.is_admin else self._paths(False)

    def manage_paths(self) -> list[str] | None:
        """Subtree prefixes the caller may manage; None means everything (admin)."""
        return None if self.is_admin else self._paths(True)

    def require_read(self, org: Organization) -> None:
        """Raise 403 unless the caller may read `org`."""
        if not self.can_read_org(org):
            raise forbidden("无权查看该组织的信息")

    def require_manage(self, org: Organization) -> None:
        """Raise 403 unless the caller may manage `org`."""
        if not self.can_manage_org(org):
            raise forbidden("无权管理该组织")


def path_filter(column, paths: Iterable[str] | None):
    """A SQL condition `column` is under one of `paths` (None → no restriction)."""
    if paths is None:
        return True
    paths = list(paths)
    if not paths:
        return False
    return or_(*(column.like(p + "%") for p in paths))


def role_current(day: date | None = None):
    """SQL: the OrgRole is held on `day` (default today): since ≤ day < until."""
    from app.timeutil import local_day, utcnow

    day = day or local_day(utcnow())
    return and_(
        or_(OrgRole.since.is_(None), OrgRole.since <= day),
        or_(OrgRole.until.is_(None), OrgRole.until > day),
    )


def issue_tokens(identity: str) -> dict[str, str]:
    """A fresh access + refresh token pair for an identity."""
    return {
        "access_token": create_access_token(identity=identity),
        "refresh_token": create_refresh_token(identity=identity),
        "token_type": "Bearer",
    }


def revoke_token(claims: dict) -> None:
    """Record a token's jti as revoked (database, and Redis when configured)."""
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    db.session.add(
        RevokedToken(
            jti=claims["jti"], token_type=claims["type"], identity=claims["sub"], expires_at=expires
        )
    )
    redis_client = current_app.extensions.get("party_redis")
    if redis_client is not None:
        ttl = max(1, int(claims["exp"] - datetime.now(UTC).timestamp()))
        try:
            redis_client.set(f"revoked:{claims['jti']}", "1", ex=ttl)
        except Exception:  # the database row is authoritative; Redis is a shared cache
            current_app.logger.warning("could not mirror revocation to Redis", exc_info=True)


def is_revoked(jti: str) -> bool:
    """Whether a token id was revoked: Redis first when configured, the database otherwise."""
    redis_client = current_app.extensions.get("party_redis")
    if redis_client is not None:
        try:
            if redis_client.exists(f"revoked:{jti}"):
                return True
        except Exception:
            current_app.logger.warning("Redis unavailable for revocation check", exc_info=True)
    return (
        db.session.execute(select(RevokedToken.id).where(RevokedToken.jti == jti)).first()
        is not None
    )


def caller_key() -> str:
    """Rate-limit key: the caller's identity when known (a meeting room shares one NAT
    address), the client address otherwise."""
    principal = g.get("principal")
    if principal is not None:
        return f"id:{principal.identity}"
    try:  # a public route (the phone's scan) may still carry a valid token
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # a bad token is the route's business; limit by address then
        identity = None
    return f"id:{identity}" if identity else f"ip:{request.remote_addr}"


def checkin_rate_limit() -> str:
    """The configured limit for check-ins and scans (stops guessing the 6-digit code)."""
    return current_app.config["RATELIMIT_CHECKIN"]


def quiz_rate_limit() -> str:
    """The configured limit for quiz and lesson-answer submissions."""
    return current_app.config["RATELIMIT_QUIZ"]


def login_rate_limit() -> str:
    """The configured limit for password login, WeChat login and binding (Flask-Limiter)."""
    return current_app.config["RATELIMIT_LOGIN"]


def configured_limit(key: str) -> Callable[[], str]:
    """A Flask-Limiter limit read from the configuration key at request time."""
    return lambda: current_app.config[key]


def current_principal() -> Principal:
    """The principal of the current request (set by the access decorator)."""
    principal = g.get("principal")
    if principal is None:
        raise APIError(401, "auth.required", "请先登录")
    return principal


# Endpoints served by libraries (the OpenAPI document, Swagger UI and static files).
LIBRARY_ENDPOINTS = frozenset(
    {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "swagger_assets.static"}
)


# A light account reaches only these (deny by default): its requests, renewing, logging out.
LIGHT_POLICIES = frozenset({Access.REQUESTER, Access.REFRESH})
LIGHT_ENDPOINTS = frozenset({"auth.logout"})


def access(policy: Access) -> Callable:
    """Declare who may call a route; `enforce_access` applies it before the request is parsed.

    The declaration is read by the url_map test; a route without one is refused (403).
    """

    def decorate(view: Callable) -> Callable:
        view.access_policy = policy
        return view

    return decorate


def enforce_access() -> None:
    """Before every request: apply the endpoint's policy ahead of any body or query parsing,
    so an unauthenticated caller learns nothing from validation errors (deny by default)."""
    if request.endpoint is None or request.method == "OPTIONS":
        return  # routing errors (404/405) answer on their own
    view = current_app.view_functions.get(request.endpoint)
    policy = getattr(view, "access_policy", None)
    if policy is None:
        if request.endpoint in LIBRARY_ENDPOINTS:
            return
        raise forbidden("该接口未声明访问权限")
    if policy is Access.PUBLIC:
        return
    verify_jwt_in_request(refresh=policy is Access.REFRESH)
    principal = _load_principal()
    light = principal.light_info is not None
    if light and policy not in LIGHT_POLICIES and request.endpoint not in LIGHT_ENDPOINTS:
        raise APIError(403, "auth.light_account", "职工账号仅可提交和查看本人的诉求")
    if policy is Access.REQUESTER and principal.member_info is None and not light:
        raise APIError(403, "auth.member_required", "该功能仅限已绑定的党员或职工使用")
    if policy is Access.MEMBER and principal.member_info is None:
        raise APIError(403, "auth.member_required", "该功能仅限已绑定的党员使用")
    if policy is Access.STAFF and not principal.is_staff:
        raise forbidden("该功能仅限组织管理人员使用")
    if policy is Access.ADMIN and not principal.is_admin:
        raise forbidden("该功能仅限系统管理员使用")


# Where principals come from: app.principals (which builds on this module, so this module
# cannot import it) registers its version-checked cache here when it is imported.
_SOURCE: dict[str, Callable] = {}


def register_principal_source(
    cached_principal: Callable[[str], Principal | None],
    read_for_token: Callable[[str, str], bool],
) -> None:
    """Serve principals and token checks from `cached_principal` / `read_for_token`."""
    _SOURCE["cached_principal"] = cached_principal
    _SOURCE["read_for_token"] = read_for_token


def _load_principal() -> Principal:
    principal = _SOURCE["cached_principal"](get_jwt()["sub"])
    if principal is None:
        raise APIError(401, "auth.account_inactive", "账号不存在或已停用，请重新登录")
    g.principal = principal
    return principal


def init_jwt(app: Flask) -> None:
    """JWT callbacks: revocation check and the error envelope for every token failure."""

    @jwt.token_in_blocklist_loader
    def _blocked(_header, payload):
        read_for_token = _SOURCE["read_for_token"]
        # one round trip: the token's revocation, the caller's and the global cache versions
        if read_for_token(payload["sub"], payload["jti"]):
            return True
        # a refresh token lives 30 days and is rare: the database is asked too, so a logout
        # whose Redis mirror failed still ends it
        return payload.get("type") == "refresh" and is_revoked(payload["jti"])

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return envelope(401, "auth.token_expired", "登录已过期，请重新登录")

    @jwt.invalid_token_loader
    def _invalid(reason):
        if "Only non-refresh" in reason or "Only refresh" in reason:
            return envelope(401, "auth.wrong_token_type", "令牌类型不正确")
        return envelope(401, "auth.token_invalid", "登录凭证无效，请重新登录")

    @jwt.unauthorized_loader
    def _missing(_reason):
        return envelope(401, "auth.required", "请先登录")

    @jwt.revoked_token_loader
    def _revoked(_header, _payload):
        return envelope(401, "auth.token_revoked", "登录凭证已注销，请重新登录")

    @jwt.user_lookup_error_loader
    def _lookup(_header, _payload):
        return envelope(401, "auth.account_inactive", "账号不存在或已停用，请重新登录")

    @jwt.needs_fresh_token_loader
    def _fresh(_header, _payload):
        return envelope(401, "auth.fresh_required", "请重新输入密码")

    @jwt.token_verification_failed_loader
    def _claims(_header, _payload):
        return envelope(401, "auth.token_invalid", "登录凭证无效，请重新登录")
