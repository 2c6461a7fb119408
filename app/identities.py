"""Resolving a token's identity from the database: the member's snapshot, the roles held,
and the other identity kinds registered by the packages that own them.

Uncached: app.principals keeps what this builds per version. A cold principal (a worker's
first request of a member) costs two statements here: the member with its org, and the roles.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy import Integer, bindparam, or_, select
from sqlalchemy.orm import joinedload

from app import versions
from app.accounts.models import User
from app.auth import Grant, MemberInfo, Principal, UserInfo
from app.db import core_execute
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization, OrgRole


def load_grants(user_id: int | None, member_id: int | None) -> list[Grant]:
    """Every role the user and/or member holds, with the org paths."""
    if user_id is None and member_id is None:
        return []
    from app.timeutil import local_day, utcnow

    params = {"g_user": user_id, "g_member": member_id, "g_day": local_day(utcnow())}
    stmt = _grants_statement(user_id is not None, member_id is not None)
    return [Grant(*row) for row in core_execute(db.session, stmt, params)]


@functools.cache
def _grants_statement(by_user: bool, by_member: bool):
    """The roles held today by a user and/or member (`g_user`, `g_member`, `g_day`), built
    once: a cold principal (each worker's first request of a member) reads it."""
    roles, orgs = OrgRole.__table__, Organization.__table__
    holders = []
    if by_user:
        holders.append(roles.c.user_id == bindparam("g_user", type_=Integer()))
    if by_member:
        holders.append(roles.c.member_id == bindparam("g_member", type_=Integer()))
    day = bindparam("g_day", type_=roles.c.since.type)
    return (
        select(roles.c.org_id, orgs.c.path, orgs.c.name, roles.c.role)
        .join(orgs, orgs.c.id == roles.c.org_id)
        .where(
            or_(*holders),
            orgs.c.is_active.is_(True),
            or_(roles.c.since.is_(None), roles.c.since <= day),
            or_(roles.c.until.is_(None), roles.c.until > day),
        )
    )


_SCOPES = versions.VersionedCache(8192)  # org path → (branch, park), at the orgs' version


def member_info(member: Member) -> MemberInfo:
    """The cached snapshot of an active member (its ranking scope from this worker's cache
    at the orgs' version, else one query)."""
    from app.points.scope import scope_of_path

    path = member.org.path
    version = versions.current(versions.ORGS)
    scope = _SCOPES.get(path, version)
    if scope is None:
        scope = scope_of_path(db.session, path)
        _SCOPES.put(path, version, scope)
    branch_id, park_id = scope
    return MemberInfo(
        member.id,
        member.name,
        member.status,
        member.org_id,
        member.org.path,
        member.org.name,
        branch_id,
        park_id,
    )


def principal_for(identity: str) -> Principal | None:
    """Resolve a token identity from the database to an active principal, or None when it is
    gone or inactive (uncached; app.principals caches it per version)."""
    kind, _, raw_id = identity.partition(":")
    if not raw_id.isdigit():
        return None
    if kind == "u":
        user = db.session.get(User, int(raw_id))
        if user is None or not user.is_active:
            return None
        member = db.session.get(Member, user.member_id) if user.member_id else None
        if member is not None and not member.is_active:
            member = None
        info = UserInfo(user.id, user.username, user.display_name or "", bool(user.is_admin))
        return Principal(
            identity,
            info,
            member_info(member) if member else None,
            load_grants(user.id, member and member.id),
        )
    if kind == "m":
        # with its org in the same statement: the snapshot shows the org's path and name
        member = db.session.scalar(
            select(Member).options(joinedload(Member.org)).where(Member.id == int(raw_id))
        )
        if member is None or not member.is_active:
            return None
        return Principal(identity, None, member_info(member), load_grants(None, member.id))
    resolve = _IDENTITY_KINDS.get(kind)
    return resolve(int(raw_id)) if resolve else None


# Other identity kinds ("s": staff light accounts), registered by the package that owns them.
_IDENTITY_KINDS: dict[str, Callable[[int], Principal | None]] = {}


def register_identity_kind(kind: str, resolve: Callable[[int], Principal | None]) -> None:
    """Resolve identities `<kind>:<id>` with `resolve` (None when gone or inactive)."""
    _IDENTITY_KINDS[kind] = resolve
