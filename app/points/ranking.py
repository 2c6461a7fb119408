"""Leaderboards per branch and per park, by week, month, year or all time.

Read from the maintained period totals: the top N is an index scan in points order, and a
member's rank is 1 + one COUNT over (period kind, period key, branch|park, points > mine) —
the same index — so it stays fast with 100,000 members. Ties share a rank (1, 2, 2, 4).
A park with `public_ranking` off shows members their own rank only; its staff see the list.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Integer, String, bindparam, func, select

from app import versions
from app.auth import Principal
from app.db import core_execute
from app.errors import APIError, forbidden
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.org.services import get_org
from app.points.models import MemberPointPeriod
from app.points.scope import period_keys, scope_of_org
from app.timeutil import local_day

_ORGS = versions.VersionedCache(8192)  # org facts, exact per version of the org tree
_TOPS_LOCK = threading.Lock()
_TOPS_MAX = 4096


@dataclass(frozen=True)
class OrgFacts:
    """What a leaderboard reads of an org."""

    id: int
    name: str
    path: str
    public_ranking: bool


def _period_key(period: str, now: datetime) -> str:
    return dict(period_keys(local_day(now)))[period]


def _org(org_id: int | None) -> OrgFacts | None:
    """An org's facts (cached per version of the org tree), or None."""
    if org_id is None:
        return None
    version = versions.current(versions.ORGS)
    facts = _ORGS.get(("org", org_id), version)
    if facts is None:
        org = db.session.get(Organization, org_id)
        if org is None:
            return None
        facts = OrgFacts(org.id, org.name, org.path, bool(org.public_ranking))
        _ORGS.put(("org", org_id), version, facts)
    return facts


def _scope_of(org_id: int) -> tuple[int | None, int | None]:
    version = versions.current(versions.ORGS)
    scope = _ORGS.get(("scope", org_id), version)
    if scope is None:
        scope = scope_of_org(db.session, get_org(org_id).id)
        _ORGS.put(("scope", org_id), version, scope)
    return scope


def _staff_over(principal: Principal, org: OrgFacts) -> bool:
    paths = principal.read_paths()
    return paths is None or any(org.path.startswith(p) for p in paths)


def _target(
    own: tuple[int | None, int | None] | None, scope: str, org_id: int | None
) -> tuple[int, OrgFacts | None]:
    """The branch or park id to rank in, and the park (its `public_ranking` decides);
    `own` is the caller's (branch, park) when they are a member."""
    if org_id is not None:
        branch_id, park_id = _scope_of(org_id)
    elif own is not None:
        branch_id, park_id = own
    else:
        raise APIError(
            400,
            "points.org_required",
            "请指定要查看排行的组织",
            {"fields": {"org_id": ["必填项"]}},
        )
    target = branch_id if scope == "branch" else park_id
    if target is None:
        raise APIError(404, "not_found", "组织不存在")
    return target, _org(park_id)


def leaderboard(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Top N of a branch or park for a period, and the caller's own rank there.

    The top list and the participant count are shared by every caller of the same scope and
    period for LEADERBOARD_CACHE_SECONDS; the caller's rank is always computed now.
    """
    scope, period = args["scope"], args["period"]
    info = principal.member_info
    own = (info.branch_id, info.park_id) if info else None
    target_id, park = _target(own, scope, args.get("org_id"))
    target = _org(target_id)
    if target is None:
        raise APIError(404, "not_found", "组织不存在")
    staff = _staff_over(principal, target)
    own_branch, own_park = own or (None, None)
    inside = target_id == (own_branch if scope == "branch" else own_park)
    if not (staff or inside):
        raise forbidden("只能查看本支部或本园区的排行")
    key = _period_key(period, now)
    column = MemberPointPeriod.branch_id if scope == "branch" else MemberPointPeriod.park_id
    where = (
        MemberPointPeriod.period_kind == period,
        MemberPointPeriod.period_key == key,
        column == target_id,
    )
    public = park.public_ranking if park is not None else True
    limit = args.get("limit") or current_app.config["LEADERBOARD_TOP_N"]
    participants, items = _top((scope, target_id, period, key, limit), where, limit)
    return {
        "scope": scope,
        "period": period,
        "period_key": key,
        "org_id": target.id,
        "org_name": target.name,
        "public": public,
        "participants": participants,
        "items": items if public or staff else [],
        "me": _me(
            principal,
            {"scope": scope, "r_kind": period, "r_key": key, "r_target": target_id},
            inside,
        ),
        "now": now,
    }


def _top(cache_key: tuple, where, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """(participants, top N) of one scope and period, shared for a few seconds."""
    ttl = current_app.config["LEADERBOARD_CACHE_SECONDS"]
    tops = current_app.extensions.setdefault("party_leaderboard_tops", {})  # per app
    with _TOPS_LOCK:
        hit = tops.get(cache_key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1], hit[2]
    participants = db.session.scalar(
        select(func.count()).select_from(MemberPointPeriod).where(*where)
    )
    rows = db.session.execute(
        select(
            MemberPointPeriod.member_id,
            MemberPointPeriod.points,
            Member.name,
            Organization.name.label("org_name"),
        )
        .join(Member, Member.id == MemberPointPeriod.member_id)
        .join(Organization, Organization.id == Member.org_id)
        .where(*where, MemberPointPeriod.points > 0)
        .order_by(MemberPointPeriod.points.desc(), MemberPointPeriod.member_id)
        .limit(limit)
    ).all()
    items, rank, previous = [], 0, None
    for position, row in enumerate(rows, start=1):
        if row.points != previous:
            rank, previous = position, row.points
        items.append(
            {
                "rank": rank,
                "member_id": row.member_id,
                "name": row.name,
                "org_name": row.org_name,
                "points": int(row.points),
            }
        )
    if ttl > 0:
        with _TOPS_LOCK:
            if len(tops) >= _TOPS_MAX:
                tops.clear()
            tops[cache_key] = (time.monotonic() + ttl, participants, items)
    return participants, items


@functools.cache
def _me_statement(scope: str):
    """The caller's points and how many have more in one scope and period (parameters
    `r_kind`, `r_key`, `r_target`, `r_member_id`); built once per scope."""
    periods = MemberPointPeriod.__table__
    column = periods.c.branch_id if scope == "branch" else periods.c.park_id
    where = (
        periods.c.period_kind == bindparam("r_kind", type_=String()),
        periods.c.period_key == bindparam("r_key", type_=String()),
        column == bindparam("r_target", type_=Integer()),
    )
    mine = func.coalesce(
        select(periods.c.points)
        .where(*where, periods.c.member_id == bindparam("r_member_id", type_=Integer()))
        .scalar_subquery(),
        0,
    )
    ahead = (
        select(func.count()).select_from(periods).where(*where, periods.c.points > mine)
    ).scalar_subquery()
    return select(mine, ahead)


def _me(principal: Principal, where: dict[str, Any], inside: bool) -> dict[str, Any] | None:
    """The caller's points and rank (1 + how many have more), when they are ranked here:
    one statement, a lookup and a COUNT over the (kind, key, scope, points) index."""
    member_id = principal.member_id
    if member_id is None or not inside:
        return None
    params = {k: v for k, v in where.items() if k != "scope"}
    params["r_member_id"] = member_id
    points, count = core_execute(db.session, _me_statement(where["scope"]), params).one()
    return {"member_id": member_id, "points": int(points), "rank": int(count) + 1}
