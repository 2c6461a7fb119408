"""Leaderboards per branch and per park, by week, month, year or all time.

Read from the maintained period totals: the top N is an index scan in points order, and a
member's rank is 1 + one COUNT over (period kind, period key, branch|park, points > mine) —
the same index — so it stays fast with 100,000 members. Ties share a rank (1, 2, 2, 4).
A park with `public_ranking` off shows members their own rank only; its staff see the list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.auth import Principal
from app.errors import APIError, forbidden
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.org.services import get_org
from app.points.models import MemberPointPeriod
from app.points.scope import member_scope, period_keys, scope_of_org
from app.timeutil import local_day


def _period_key(period: str, now: datetime) -> str:
    return dict(period_keys(local_day(now)))[period]


def _staff_over(principal: Principal, org: Organization) -> bool:
    paths = principal.read_paths()
    return paths is None or any(org.path.startswith(p) for p in paths)


def _target(
    own: tuple[int | None, int | None] | None, scope: str, org_id: int | None
) -> tuple[int, Organization]:
    """The branch or park id to rank in, and the park org (its `public_ranking` decides);
    `own` is the caller's (branch, park) when they are a member."""
    if org_id is not None:
        branch_id, park_id = scope_of_org(db.session, get_org(org_id).id)
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
    return target, db.session.get(Organization, park_id)


def leaderboard(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Top N of a branch or park for a period, and the caller's own rank there."""
    scope, period = args["scope"], args["period"]
    own = member_scope(db.session, principal.member.id) if principal.member else None
    target_id, park = _target(own, scope, args.get("org_id"))
    target = db.session.get(Organization, target_id)
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
    public = bool(park.public_ranking) if park is not None else True
    result: dict[str, Any] = {
        "scope": scope,
        "period": period,
        "period_key": key,
        "org_id": target.id,
        "org_name": target.name,
        "public": public,
        "participants": db.session.scalar(
            select(func.count()).select_from(MemberPointPeriod).where(*where)
        ),
        "items": _top(where, args.get("limit")) if public or staff else [],
        "me": _me(principal, where, inside),
        "now": now,
    }
    return result


def _top(where, limit: int | None) -> list[dict[str, Any]]:
    limit = limit or current_app.config["LEADERBOARD_TOP_N"]
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
    return items


def _me(principal: Principal, where, inside: bool) -> dict[str, Any] | None:
    """The caller's points and rank (1 + how many have more), when they are ranked here."""
    if principal.member is None or not inside:
        return None
    mine = db.session.scalar(
        select(MemberPointPeriod.points).where(
            *where, MemberPointPeriod.member_id == principal.member.id
        )
    )
    points = int(mine or 0)
    ahead = db.session.scalar(
        select(func.count())
        .select_from(MemberPointPeriod)
        .where(*where, MemberPointPeriod.points > points)
    )
    return {"member_id": principal.member.id, "points": points, "rank": int(ahead) + 1}
