"""The resolved principal, cached per version: no database round trip on the hot path.

A request reads, in one round trip (Redis ``MGET``, or one ``SELECT`` without Redis), the
token's revocation, the version of its identity (``m:12`` / ``u:3``), the global versions
(orgs, rules, activities) and — with Redis — the cached principal itself. The principal is
reused only while the identity's version and the orgs' version are the ones it was built
at; every revoke, deactivation, role or membership change bumps them in the writing
transaction (app.versions), so it bites on the very next request in every worker.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, g
from sqlalchemy import inspect, select

from app import versions
from app.accounts.models import RevokedToken, User
from app.auth import (
    Grant,
    LightInfo,
    MemberInfo,
    Principal,
    UserInfo,
    register_principal_source,
)
from app.identities import principal_for
from app.members.models import Member
from app.org.models import Organization, OrgRole

_LOCAL = versions.VersionedCache(8192)  # this worker's principals (Redis holds the shared copy)


def _blob_key(identity: str) -> str:
    return versions.rkey("principal:" + identity)


def read_for_token(identity: str, jti: str) -> bool:
    """Read the versions (and the Redis copy of the principal) for a token; True if revoked."""
    found, revoked, (blob,) = versions.read([identity], jti=jti, extra=[_blob_key(identity)])
    g.party_principal_read = (identity, found, blob)
    return revoked


def cached_principal(identity: str) -> Principal | None:
    """The principal of `identity` at its current version: this worker's copy, the Redis
    copy, or built from the database (2 statements: app.identities) and stored in both."""
    read = g.get("party_principal_read")
    if read is None or read[0] != identity:  # not read with the token: read now
        found, _, (blob,) = versions.read([identity], extra=[_blob_key(identity)])
    else:
        _, found, blob = read
    version = repr((found[identity], found[versions.ORGS]))
    data = _LOCAL.get(identity, version)
    if data is None and blob is not None:
        stored = json.loads(blob)
        if stored.get("v") == version:
            data = stored["d"]
            _LOCAL.put(identity, version, data)
    if data is None:
        principal = principal_for(identity)
        data = _dump(principal)
        _LOCAL.put(identity, version, data)
        _store(identity, version, data)
    return _load(identity, data)


def _store(identity: str, version: str, data: dict[str, Any] | None) -> None:
    client = versions.redis_client()
    if client is None:
        return
    try:
        client.set(
            _blob_key(identity),
            json.dumps({"v": version, "d": data}, ensure_ascii=False),
            ex=current_app.config["PRINCIPAL_CACHE_SECONDS"],
        )
    except Exception:  # a cache: the next request builds it again
        current_app.logger.warning("could not cache the principal in Redis", exc_info=True)


def _dump(principal: Principal | None) -> dict[str, Any] | None:
    if principal is None:
        return None  # gone or inactive: cached too, until its version moves
    return {
        "user": list(vars(principal.user_info).values()) if principal.user_info else None,
        "member": list(vars(principal.member_info).values()) if principal.member_info else None,
        "grants": [[gr.org_id, gr.org_path, gr.org_name, gr.role] for gr in principal.grants],
        "light": list(vars(principal.light_info).values()) if principal.light_info else None,
    }


def _load(identity: str, data: dict[str, Any] | None) -> Principal | None:
    if data is None:
        return None
    return Principal(
        identity,
        UserInfo(*data["user"]) if data["user"] else None,
        MemberInfo(*data["member"]) if data["member"] else None,
        [Grant(*row) for row in data["grants"]],
        LightInfo(*data["light"]) if data.get("light") else None,
    )


def clear_local() -> None:
    """Forget this worker's principals (tests)."""
    _LOCAL.clear()


# --- what bumps a principal's version ---------------------------------------------------------


def _old_and_new(obj: Any, name: str) -> set[Any]:
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.deleted, *history.unchanged, *history.added) if v is not None}


def _role_holders(role: OrgRole, _change: str) -> list[str]:
    members = _old_and_new(role, "member_id")
    users = _old_and_new(role, "user_id")
    # a committee seat changes who is expected at a 支委会 (app.activities.facts)
    return [*(f"m:{m}" for m in members), *(f"u:{u}" for u in users), versions.PEOPLE]


def _member_keys(member: Member, change: str) -> list[str]:
    # a new row too: a token for an id not yet taken may have cached "no such member";
    # no user can have cached a member that did not exist (an import stays one query)
    if change == "new":
        return [f"m:{member.id}", versions.PEOPLE]
    return [f"m:{member.id}", versions.PEOPLE, *(f"u:{u}" for u in _linked_users(member))]


def _linked_users(member: Member) -> list[int]:
    """Console users linked to the member (their principal carries the member)."""
    from app.extensions import db

    return list(db.session.connection().scalars(select(User.id).where(User.member_id == member.id)))


versions.watch(User, lambda user, _change: [f"u:{user.id}"])
versions.watch(Member, _member_keys)
versions.watch(OrgRole, _role_holders)
versions.watch(Organization, lambda _org, change: [] if change == "new" else [versions.ORGS])
versions.watch(RevokedToken, lambda row, _change: [row.identity])
register_principal_source(cached_principal, read_for_token)
