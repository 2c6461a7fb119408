"""Setting up posts, claiming and assigning holders, the 亮身份 card and its verification,
and posts per branch with the share of members holding one."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import actor_name
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import STATUS_LABELS, Member
from app.org.models import Enterprise, Organization
from app.org.services import get_org
from app.posts.models import POST_KIND_LABELS, POST_KINDS, Post, PostHolder
from app.schemas import paginate
from app.timeutil import local_day

CARD_SALT = "member-card"


def create_post(principal: Principal, data: dict[str, Any], now: datetime) -> Post:
    """A branch sets up a post."""
    org = get_org(data["org_id"])
    principal.require_manage(org)
    if data.get("enterprise_id") is not None:
        ent = db.session.get(Enterprise, data["enterprise_id"])
        if ent is None or not org.path.startswith(ent.park_org.path):
            raise APIError(400, "post.enterprise_outside_park", "企业须属于该园区", {})
    if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
        raise APIError(
            400, "validation_error", "请求参数有误", {"fields": {"ends_on": ["早于开始日期"]}}
        )
    post = Post(**data, created_by=actor_name(principal)[:64], created_at=now)
    db.session.add(post)
    db.session.flush()
    return with_holders([post])[0]


def with_holders(posts: list[Post]) -> list[Post]:
    """Attach current holders to each post (one query)."""
    ids = [p.id for p in posts]
    holders: dict[int, list[PostHolder]] = {i: [] for i in ids}
    if ids:
        for h in db.session.scalars(
            select(PostHolder).where(PostHolder.post_id.in_(ids), PostHolder.until.is_(None))
        ):
            holders[h.post_id].append(h)
    for p in posts:
        p.holders = holders[p.id]
        p.kind_label = POST_KIND_LABELS[p.kind]
        p.org_name = p.org.name
    return posts


def _readable(principal: Principal, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not post.is_active or not principal.can_read_org(post.org):
        raise not_found("岗位")
    return post


def list_posts(principal: Principal, args: dict[str, Any]) -> dict:
    """Posts of orgs the caller reads (a member: their branch's)."""
    stmt = select(Post).join(Organization, Organization.id == Post.org_id).where(Post.is_active)
    if principal.is_staff:
        stmt = stmt.where(path_filter(Organization.path, principal.read_paths()))
    else:
        stmt = stmt.where(Post.org_id == principal.member.org_id)
    if "org_id" in args:
        org = get_org(args["org_id"])
        principal.require_read(org)
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    if "kind" in args:
        stmt = stmt.where(Post.kind == args["kind"])
    page = paginate(stmt.order_by(Organization.path, Post.id), args["page"], args["per_page"])
    with_holders(page["items"])
    return page


def get_post(principal: Principal, post_id: int) -> Post:
    """One post with its current holders."""
    return with_holders([_readable(principal, post_id)])[0]


def _add_holder(post: Post, member: Member, how: str, now: datetime) -> PostHolder:
    if not member.is_active or not member.org.in_subtree_of(post.org.path):
        raise APIError(400, "post.member_outside_org", "该党员不属于设岗组织", {})
    holder = PostHolder(post_id=post.id, member_id=member.id, how=how, since=local_day(now))
    try:
        with db.session.begin_nested():
            db.session.add(holder)
    except IntegrityError:
        raise APIError(409, "post.already_holding", "已在岗", {"member_id": member.id}) from None
    return holder


def assign(principal: Principal, post_id: int, member_id: int, now: datetime) -> Post:
    """The secretary puts a member on a post."""
    post = _readable(principal, post_id)
    principal.require_manage(post.org)
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    _add_holder(post, member, "assigned", now)
    return get_post(principal, post.id)


def claim(principal: Principal, post_id: int, now: datetime) -> Post:
    """A member of the post's org claims it (认领)."""
    post = _readable(principal, post_id)
    if post.ends_on and post.ends_on < local_day(now):
        raise APIError(409, "post.ended", "该岗位已结束", {})
    _add_holder(post, principal.member, "claimed", now)
    return get_post(principal, post.id)


def release(principal: Principal, post_id: int, member_id: int, now: datetime) -> Post:
    """End a member's holding (the member themselves, or the secretary)."""
    post = _readable(principal, post_id)
    if member_id != principal.member_id:
        principal.require_manage(post.org)
    holder = db.session.scalar(
        select(PostHolder).where(
            PostHolder.post_id == post.id,
            PostHolder.member_id == member_id,
            PostHolder.until.is_(None),
        )
    )
    if holder is None:
        raise not_found("在岗记录")
    holder.until = local_day(now)
    db.session.flush()
    return get_post(principal, post.id)


def party_years(joined_on: date | None, today: date) -> int | None:
    """Whole years since joining (党龄, counted here from `joined_on`)."""
    if joined_on is None:
        return None
    years = today.year - joined_on.year
    return years - ((today.month, today.day) < (joined_on.month, joined_on.day))


def _held(member_id: int, today: date) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .join(PostHolder, PostHolder.post_id == Post.id)
            .where(
                PostHolder.member_id == member_id,
                PostHolder.until.is_(None),
                Post.is_active.is_(True),
            )
            .order_by(Post.id)
        )
    )


def _digest(member: Member, posts: list[Post]) -> str:
    """What makes a card current: the member, their org and status, the posts held."""
    parts = [member.id, member.org_id, member.status, member.is_active, *[p.id for p in posts]]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CARD_SALT)


def card(member: Member, now: datetime) -> dict[str, Any]:
    """The 亮身份 card: branch, 党龄, posts held, and a token that verifies it is current."""
    today = local_day(now)
    posts = with_holders(_held(member.id, today))
    token = _serializer().dumps({"m": member.id, "d": _digest(member, posts)})
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "member_id": member.id,
        "name": member.name,
        "status": member.status,
        "status_label": STATUS_LABELS[member.status],
        "org_name": member.org.name,
        "joined_on": member.joined_on,
        "party_years": party_years(member.joined_on, today),
        "posts": posts,
        "token": token,
        "verify_url": f"{base}/m/card/check?token={token}",
    }


def verify(token: str, now: datetime) -> dict[str, Any]:
    """Whether a shown card is current; what it may say publicly (no phone, no id)."""
    try:
        payload = _serializer().loads(token)
        member = db.session.get(Member, int(payload["m"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise APIError(400, "card.invalid", "无效的党员身份码", {}) from None
    if member is None:
        raise APIError(400, "card.invalid", "无效的党员身份码", {})
    posts = with_holders(_held(member.id, local_day(now)))
    current = member.is_active and payload.get("d") == _digest(member, posts)
    return {
        "valid": current,
        "message": "身份有效" if current else "身份信息已变更，请党员刷新亮身份卡",
        "name": member.name,
        "org_name": member.org.name,
        "status_label": STATUS_LABELS[member.status],
        "party_years": party_years(member.joined_on, local_day(now)),
        "posts": posts if current else [],
        "checked_at": now,
    }


def report(principal: Principal, org_id: int | None, now: datetime) -> dict[str, Any]:
    """Per branch: posts by kind, paying members, members holding a post, the share."""
    if not principal.is_staff:
        raise forbidden("无权查看")
    if org_id is None:
        paths = principal.read_paths()
        org = None
    else:
        org = get_org(org_id)
        principal.require_read(org)
        paths = [org.path]
    branches = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.type == "branch", Organization.is_active.is_(True))
            .where(path_filter(Organization.path, paths))
            .order_by(Organization.path)
        )
    )
    rows = []
    for b in branches:
        under = Organization.path.like(b.path + "%")
        kinds = dict(
            db.session.execute(
                select(Post.kind, func.count())
                .join(Organization, Organization.id == Post.org_id)
                .where(under, Post.is_active.is_(True))
                .group_by(Post.kind)
            ).all()
        )
        members = db.session.scalar(
            select(func.count())
            .select_from(Member)
            .join(Organization, Organization.id == Member.org_id)
            .where(under, Member.is_active.is_(True), Member.status.in_(("full", "probationary")))
        )
        holders = db.session.scalar(
            select(func.count(func.distinct(PostHolder.member_id)))
            .join(Member, Member.id == PostHolder.member_id)
            .join(Organization, Organization.id == Member.org_id)
            .join(Post, Post.id == PostHolder.post_id)
            .where(under, PostHolder.until.is_(None), Post.is_active.is_(True))
        )
        rows.append(
            {
                "org_id": b.id,
                "org_name": b.name,
                "posts": sum(kinds.values()),
                **{k: kinds.get(k, 0) for k in POST_KINDS},
                "members": members,
                "holders": holders,
                "share": round(holders / members, 4) if members else 0.0,
            }
        )
    return {"org_name": org.name if org else "全部", "rows": rows}
