"""Cache versions: counters bumped in the writing transaction, read once per request.

Whatever a worker keeps between requests (the resolved principal, an activity's check-in
facts, the point rules) is keyed by a version from here. A flush that changes a watched row
bumps its keys in the same transaction (an upsert on `cache_versions`), so a cached value is
exact: when the change commits its version has moved, and every worker's next request reads
the new version and misses. With ``REDIS_URL`` the counters are mirrored to Redis after the
commit (``INCR``, before the writer's response leaves) and a request reads them with one
``MGET``; without it, with one ``SELECT`` (which also answers the token's revocation).

Domain modules say what they watch with :func:`watch`; this module imports no domain code.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from flask import current_app
from sqlalchemy import BigInteger, String, bindparam, event, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import core_execute
from app.extensions import db

log = logging.getLogger(__name__)

# the global keys every authenticated request reads along with its identity's
ORGS, RULES, ACTIVITIES = "orgs", "rules", "acts"
PEOPLE = "people"  # members, their history, excusals and roles: who is expected where
STUDY = "study"  # study items, their tags and lesson questions: home's morning brief
GLOBAL_KEYS = (ORGS, RULES, ACTIVITIES, PEOPLE, STUDY)
_PENDING = "party_versions_pending"  # session.info: keys bumped in this transaction
_MEMO = "party_versions_memo"  # session.info: versions read in this transaction


class CacheVersion(db.Model):
    """One counter: an identity (`m:12`, `u:3`) or a kind of data (`orgs`, `rules`, `acts`)."""

    __tablename__ = "cache_versions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


# --- what bumps a version --------------------------------------------------------------------

_WATCHERS: dict[type, Callable[[Any, str], Iterable[str]]] = {}


def watch(model: type, keys: Callable[[Any, str], Iterable[str]]) -> None:
    """Bump `keys(obj, change)` whenever a `model` row is inserted, changed or deleted
    through the session (change is "new", "dirty" or "deleted")."""
    _WATCHERS[model] = keys


def _changed_keys(session: Session) -> set[str]:
    keys: set[str] = set()
    for change, objs in (
        ("new", session.new),
        ("dirty", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objs:
            keys_of = _WATCHERS.get(type(obj))
            if keys_of is None:
                continue
            if change == "dirty" and not session.is_modified(obj, include_collections=True):
                continue
            keys.update(k for k in keys_of(obj, change) if k)
    return keys


def _upsert(dialect: str, keys: Iterable[str]):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CacheVersion.__table__).values([{"key": k, "version": 1} for k in sorted(keys)])
    return stmt.on_conflict_do_update(
        index_elements=["key"], set_={"version": CacheVersion.__table__.c.version + 1}
    )


@event.listens_for(Session, "after_flush")
def _bump(session: Session, _context) -> None:
    keys = _changed_keys(session)
    if not keys:
        return
    connection = session.connection()
    # sorted keys: two writers lock the version rows in the same order (no deadlock)
    connection.execute(_upsert(connection.dialect.name, keys))
    session.info.setdefault(_PENDING, set()).update(keys)
    session.info.pop(_MEMO, None)  # this transaction changed what it had read


def bump(keys: Iterable[str]) -> None:
    """Bump keys explicitly in the current transaction (for writes that bypass the ORM)."""
    keys = set(keys)
    if keys:
        connection = db.session.connection()
        connection.execute(_upsert(connection.dialect.name, keys))
        db.session.info.setdefault(_PENDING, set()).update(keys)
        db.session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    keys = session.info.pop(_PENDING, None)
    session.info.pop(_MEMO, None)
    if keys:
        _mirror(keys)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed (published) or not
        session.info.pop(_PENDING, None)
        session.info.pop(_MEMO, None)


# --- Redis -------------------------------------------------------------------------------------


def redis_client():
    """The shared Redis client, or None without REDIS_URL."""
    return current_app.extensions.get("party_redis")


def rkey(name: str) -> str:
    """A Redis key in this deployment's namespace (CACHE_KEY_PREFIX)."""
    return current_app.config["CACHE_KEY_PREFIX"] + name


def _mirror(keys: set[str]) -> None:
    client = redis_client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for key in sorted(keys):
            pipe.incr(rkey("v:" + key))
        pipe.execute()
    except Exception:  # the database row moved; Redis readers keep the old one until TTL
        log.error("could not mirror cache versions %s to Redis", sorted(keys), exc_info=True)


# --- reading ------------------------------------------------------------------------------------


def read(
    keys: Iterable[str], *, jti: str | None = None, extra: Iterable[str] = ()
) -> tuple[dict[str, Hashable], bool, list[Any]]:
    """The versions of `keys` (and the global keys), whether `jti` is revoked, and the raw
    Redis values of `extra` keys (None each without Redis) — one round trip.

    Versions are opaque tokens (they carry their source), only ever compared for equality.
    """
    names = list(dict.fromkeys([*GLOBAL_KEYS, *keys]))
    extra = list(extra)
    client = redis_client()
    if client is not None:
        try:
            return _read_redis(client, names, jti, extra)
        except Exception:
            log.warning("Redis unavailable for cache versions; reading the database", exc_info=True)
    versions, revoked = _read_db(names, jti)
    return versions, revoked, [None] * len(extra)


def _read_redis(client, names, jti, extra):
    raw_keys = [rkey("v:epoch"), *(rkey("v:" + n) for n in names)]
    if jti is not None:
        raw_keys.append(f"revoked:{jti}")  # as app.auth.revoke_token writes it (ids are unique)
    raw_keys.extend(extra)
    values = client.mget(raw_keys)
    epoch = values[0]
    if epoch is None:  # a new or flushed Redis: old counters must never be trusted again
        client.set(rkey("v:epoch"), uuid.uuid4().hex, nx=True)
        epoch = client.get(rkey("v:epoch"))
    versions = {n: ("r", epoch, values[i + 1]) for i, n in enumerate(names)}
    at = len(names) + 1
    revoked = False
    if jti is not None:
        revoked, at = values[at] is not None, at + 1
    _memoize(versions)
    return versions, revoked, values[at:]


@functools.cache
def _read_statement(count: int, with_jti: bool):
    """The versions read for `count` keys (`k0` …), built once: constructing a select per
    request cost more CPU than running it (SQLAlchemy coerces every element anew; its
    compiled cache only skips the SQL string). Fixed parameters, not an expanding IN, which
    would render the SQL anew on every execution."""
    table = CacheVersion.__table__
    stmt = select(table.c.key, table.c.version).where(
        table.c.key.in_([bindparam(f"k{i}", type_=String()) for i in range(count)])
    )
    if not with_jti:
        return stmt
    from app.accounts.models import RevokedToken  # the token blocklist, read alongside

    revoked = select(literal("#revoked").label("key"), literal(1).label("version")).where(
        RevokedToken.__table__.c.jti == bindparam("jti")
    )
    return union_all(stmt, revoked)


def _read_db(names, jti):
    params = {f"k{i}": name for i, name in enumerate(names)}
    if jti is not None:
        params["jti"] = jti
    # pending writes are flushed first, so they bump their keys before the read
    stmt = _read_statement(len(names), jti is not None)
    rows = dict(core_execute(db.session, stmt, params).all())
    # the app's own epoch: a process that outlives its database (tests, a restore) starts anew
    epoch = current_app.extensions.setdefault("party_cache_epoch", uuid.uuid4().hex)
    versions = {n: ("d", epoch, rows.get(n, 0)) for n in names}
    _memoize(versions)
    return versions, "#revoked" in rows


def _memoize(versions: dict[str, Hashable]) -> None:
    db.session.info.setdefault(_MEMO, {}).update(versions)


def current(*keys: str) -> tuple[Hashable, ...]:
    """The versions of `keys` for this transaction: read with the request's authentication,
    or now (one round trip) when this transaction has not read them."""
    pending = db.session.info.get(_PENDING) or set()
    memo = db.session.info.get(_MEMO) or {}
    missing = [k for k in keys if k not in memo and k not in pending]
    if missing:
        read(missing)
        memo = db.session.info.get(_MEMO) or {}
        pending = db.session.info.get(_PENDING) or set()  # the read may have flushed
    # a key this transaction changed matches no cached value: what it sees is not committed
    return tuple(("pending", uuid.uuid4().hex) if k in pending else memo[k] for k in keys)


# --- per-worker caches keyed by version ----------------------------------------------------------


class VersionedCache:
    """A bounded in-process LRU of values that are valid while their version tuple holds."""

    def __init__(self, size: int = 4096):
        self._data: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> Any | None:
        """The value cached for `key` at exactly `version`, else None."""
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] != version:
                return None
            self._data.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, version: Hashable, value: Any) -> None:
        """Remember `value` for `key` at `version` (evicting the least recently used)."""
        with self._lock:
            self._data[key] = (version, value)
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._data.clear()
