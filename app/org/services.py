"""Org tree, role grants, branch-rule warnings and enterprise coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.orm import aliased

from app.audit import services as audit
from app.auth import Principal, path_filter, role_current
from app.errors import APIError, not_found
from app.extensions import db
from app.members.models import PARTY_STATUSES, Member
from app.org.holders import user_in_scope
from app.org.models import (
    COMMITTEE_ROLES,
    ORG_TYPE_LABELS,
    ORG_TYPES,
    ROLE_LABELS,
    Enterprise,
    Organization,
    OrgRole,
)
from app.schemas import paginate
from app.timeutil import local_day, utcnow

# Branch rules of the 支部工作条例 (2018), shown as warnings on the org screens.
MIN_FULL_FOR_STANDALONE = 3
MAX_BRANCH_MEMBERS = 50
FULL_FOR_COMMITTEE = 7
MAX_COMMITTEE = 7
MAX_JOINT_UNITS = 5
# Members are enrolled in a branch or one of its groups, never directly in a committee.
MEMBER_ORG_TYPES = ("branch", "group")
# 支部委员会每届任期3年（村、社区党组织5年：set committee_term_years on the org）
COMMITTEE_TERM_YEARS = 3


@dataclass
class OrgStats:
    """Head counts over an org's subtree and its committee size."""

    members: int = 0
    full_members: int = 0
    committee: int = 0
    covered_units: int = 0


def get_org(org_id: int) -> Organization:
    """An active org by id, or 404."""
    org = db.session.get(Organization, org_id)
    if org is None or not org.is_active:
        raise not_found("组织")
    return org


def get_readable_org(principal: Principal, org_id: int) -> Organization:
    """An org the caller may read (404 when it does not exist, 403 when out of scope)."""
    org = get_org(org_id)
    principal.require_read(org)
    return org


def _hierarchy_error(org_type: str, parent_type: str) -> str | None:
    """Why an org of `org_type` may not sit under one of `parent_type` (None when it may)."""
    if ORG_TYPES.index(org_type) <= ORG_TYPES.index(parent_type):
        return f"{ORG_TYPE_LABELS[org_type]}不能设在{ORG_TYPE_LABELS[parent_type]}之下"
    if org_type == "group" and parent_type != "branch":
        return "党小组只能设在党支部之下"
    return None


def _check_parent(org_type: str, parent: Organization | None) -> None:
    if parent is None:
        if org_type not in ("work_committee", "general_committee"):
            raise APIError(400, "org.parent_required", "只有党工委或综合党委可以作为顶级组织", {})
        return
    error = _hierarchy_error(org_type, parent.type)
    if error:
        raise APIError(400, "org.bad_hierarchy", error, {"parent_id": parent.id})


def _check_new_type(org: Organization, new_type: str) -> None:
    """A type change must still fit the org's active sub-orgs and members."""
    child_types = db.session.scalars(
        select(Organization.type)
        .where(Organization.parent_id == org.id, Organization.is_active.is_(True))
        .distinct()
    ).all()
    for child_type in child_types:
        error = _hierarchy_error(child_type, new_type)
        if error:
            raise APIError(400, "org.bad_hierarchy", error, {"type": ["与下级组织不符"]})
    if new_type not in MEMBER_ORG_TYPES:
        members = db.session.scalar(
            select(func.count()).where(Member.org_id == org.id, Member.is_active.is_(True))
        )
        if members:
            raise APIError(
                409,
                "org.has_members",
                "该组织下有党员，只有党支部或党小组可以直接编入党员，请先转移党员",
                {"members": members},
            )


def create_org(principal: Principal, data: dict[str, Any]) -> Organization:
    """Create an org under a parent the caller manages (a root org needs an admin)."""
    parent = get_org(data["parent_id"]) if data.get("parent_id") is not None else None
    if parent is None:
        if not principal.is_admin:
            raise APIError(403, "auth.forbidden", "只有系统管理员可以创建顶级组织")
    else:
        principal.require_manage(parent)
    _check_parent(data["type"], parent)
    org = Organization(
        name=data["name"].strip(),
        type=data["type"],
        build_mode=data.get("build_mode") or ("standalone" if data["type"] == "branch" else None),
        parent_id=parent.id if parent else None,
        theme_day=data.get("theme_day"),
        public_ranking=data.get("public_ranking", True),
        depth=(parent.depth + 1) if parent else 0,
        founded_on=data.get("founded_on") or local_day(utcnow()),
        committee_term_years=data.get("committee_term_years"),
    )
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    return org


def update_org(principal: Principal, org_id: int, data: dict[str, Any]) -> Organization:
    """Change an org's fields; moving it re-roots its whole subtree."""
    org = get_org(org_id)
    principal.require_manage(org)
    new_type = data.get("type", org.type)
    if new_type != org.type:
        _check_new_type(org, new_type)
    if "parent_id" in data and data["parent_id"] != org.parent_id:
        _move(principal, org, data["parent_id"], new_type)
    elif new_type != org.type:
        _check_parent(new_type, org.parent)
    if "founded_on" in data and data["founded_on"] != org.founded_on:
        audit.record(
            principal,
            action="org.founded_on",
            entity_type="organization",
            entity_id=org.id,
            org_id=org.id,
            field="founded_on",
            old=org.founded_on,
            new=data["founded_on"],
            now=utcnow(),
        )
    for key in (
        "name",
        "type",
        "build_mode",
        "theme_day",
        "public_ranking",
        "founded_on",
        "committee_term_years",
    ):
        if key in data:
            setattr(org, key, data[key].strip() if key == "name" else data[key])
    db.session.flush()
    return org


def _move(principal: Principal, org: Organization, parent_id: int | None, org_type: str) -> None:
    if parent_id is None:
        if not principal.is_admin:
            raise APIError(403, "auth.forbidden", "只有系统管理员可以设置顶级组织")
        parent = None
    else:
        parent = get_org(parent_id)
        principal.require_manage(parent)
        if parent.path.startswith(org.path):
            raise APIError(400, "org.cycle", "不能把组织移到它自己的下级组织之下", {})
    _check_parent(org_type, parent)
    old_path, old_depth = org.path, org.depth
    new_path = f"{parent.path if parent else '/'}{org.id}/"
    delta = (parent.depth + 1 if parent else 0) - old_depth
    db.session.execute(
        update(Organization)
        .where(Organization.path.like(old_path + "%"))
        .values(
            path=literal(new_path) + func.substr(Organization.path, len(old_path) + 1),
            depth=Organization.depth + delta,
        )
        .execution_options(synchronize_session=False)
    )
    org.parent_id = parent.id if parent else None
    db.session.flush()
    db.session.refresh(org)


def deactivate_org(principal: Principal, org_id: int) -> None:
    """Soft-delete an org that has no active sub-orgs or members (history stays)."""
    org = get_org(org_id)
    if org.parent_id is None and not principal.is_admin:
        raise APIError(403, "auth.forbidden", "只有系统管理员可以撤销顶级组织")
    principal.require_manage(org.parent or org)
    children = db.session.scalar(
        select(func.count()).where(
            Organization.parent_id == org.id, Organization.is_active.is_(True)
        )
    )
    members = db.session.scalar(
        select(func.count()).where(Member.org_id == org.id, Member.is_active.is_(True))
    )
    if children or members:
        raise APIError(
            409,
            "org.not_empty",
            "该组织下仍有下级组织或党员，请先转移",
            {"children": children, "members": members},
        )
    org.is_active = False
    db.session.flush()


def list_orgs(principal: Principal, args: dict[str, Any]) -> dict:
    """Orgs the caller may read, paged, with head counts and warnings."""
    stmt = select(Organization).where(Organization.is_active.is_(True))
    paths = principal.read_paths()
    if paths is not None:
        own = principal.member.org_id if principal.member else None
        cond = path_filter(Organization.path, paths)
        # path_filter answers a Python bool for "no paths"; or_() accepts it, `|` does not
        stmt = stmt.where(cond if own is None else or_(cond, Organization.id == own))
    if "type" in args:
        stmt = stmt.where(Organization.type == args["type"])
    if "parent_id" in args:
        stmt = stmt.where(Organization.parent_id == args["parent_id"])
    if args.get("q"):
        stmt = stmt.where(Organization.name.contains(args["q"]))
    page = paginate(stmt.order_by(Organization.path), args["page"], args["per_page"])
    decorate_orgs(page["items"])
    return page


def decorate_orgs(orgs: list[Organization]) -> list[Organization]:
    """Attach counts, labels and branch-rule warnings for display."""
    stats = org_stats(orgs)
    for org in orgs:
        st = stats.get(org.id, OrgStats())
        org.type_label = ORG_TYPE_LABELS[org.type]
        org.member_count = st.members
        org.full_member_count = st.full_members
        org.warnings = branch_warnings(org, st)
    return orgs


def org_stats(orgs: list[Organization]) -> dict[int, OrgStats]:
    """Member, full-member and committee counts for several orgs in three queries."""
    if not orgs:
        return {}
    ids = [o.id for o in orgs]
    top, sub = aliased(Organization), aliased(Organization)
    stats = {i: OrgStats() for i in ids}
    rows = db.session.execute(
        select(
            top.id,
            # branch size counts Party members (full + probationary), not activists or 群众
            func.sum(case((Member.status.in_(PARTY_STATUSES), 1), else_=0)),
            func.sum(case((Member.status == "full", 1), else_=0)),
        )
        .select_from(top)
        .join(sub, sub.path.like(top.path + "%"))
        .join(Member, (Member.org_id == sub.id) & Member.is_active.is_(True))
        .where(top.id.in_(ids))
        .group_by(top.id)
    ).all()
    for org_id, members, full in rows:
        stats[org_id].members = int(members or 0)
        stats[org_id].full_members = int(full or 0)
    committee = db.session.execute(
        select(OrgRole.org_id, func.count(func.distinct(OrgRole.member_id)))
        .where(OrgRole.org_id.in_(ids), OrgRole.role.in_(COMMITTEE_ROLES), role_current())
        .group_by(OrgRole.org_id)
    ).all()
    for org_id, count in committee:
        stats[org_id].committee = count
    units = db.session.execute(
        select(Enterprise.covering_org_id, func.count())
        .where(Enterprise.covering_org_id.in_(ids), Enterprise.is_active.is_(True))
        .group_by(Enterprise.covering_org_id)
    ).all()
    for org_id, count in units:
        stats[org_id].covered_units = count
    return stats


def branch_warnings(org: Organization, st: OrgStats) -> list[dict[str, str]]:
    """The branch rules (≥3 full standalone, ≤50 members, committee from 7 full) as warnings."""
    if org.type != "branch":
        return []
    out = []
    if org.build_mode == "standalone" and st.full_members < MIN_FULL_FOR_STANDALONE:
        out.append(
            {
                "code": "branch.too_few_full_members",
                "message": "正式党员不足3人，不宜单独组建支部，应联合组建或挂靠",
            }
        )
    if st.members > MAX_BRANCH_MEMBERS:
        out.append(
            {
                "code": "branch.too_many_members",
                "message": "党员人数超过50人，应分设支部或成立党总支",
            }
        )
    if st.full_members >= FULL_FOR_COMMITTEE and st.committee < 3:
        out.append(
            {
                "code": "branch.needs_committee",
                "message": "正式党员7人以上，应设立支部委员会（委员3至5人）",
            }
        )
    if st.committee > MAX_COMMITTEE:
        out.append({"code": "branch.committee_too_large", "message": "支部委员会委员一般不超过7人"})
    if org.build_mode == "joint" and st.covered_units > MAX_JOINT_UNITS:
        out.append(
            {
                "code": "branch.joint_too_many_units",
                "message": "联合党支部覆盖单位一般不超过5个",
            }
        )
    return out


def grant_role(principal: Principal, org_id: int, data: dict[str, Any]) -> OrgRole:
    """Give a member or console user a role on an org the caller manages."""
    from app.accounts.models import User

    org = get_org(org_id)
    principal.require_manage(org)
    # out-of-scope holders answer exactly like missing ones: no probing ids for names
    if data.get("member_id") is not None:
        holder = db.session.get(Member, data["member_id"])
        if holder is None or not holder.is_active or not principal.can_read_org(holder.org):
            raise not_found("党员")
    else:
        holder = db.session.get(User, data["user_id"])
        if holder is None or not holder.is_active or not user_in_scope(principal, holder):
            raise not_found("用户")
    existing = db.session.scalar(
        select(OrgRole).where(
            OrgRole.org_id == org.id,
            OrgRole.role == data["role"],
            OrgRole.until.is_(None),
            OrgRole.member_id == data.get("member_id")
            if data.get("member_id") is not None
            else OrgRole.user_id == data["user_id"],
        )
    )
    if existing:
        raise APIError(409, "org.role_exists", "该人员已担任此职务", {"role_id": existing.id})
    today = local_day(utcnow())
    since = data.get("since") or today
    if data.get("until") is not None and data["until"] <= since:
        raise APIError(
            400, "org.role_bad_dates", "任职结束日期须晚于开始日期", {"until": ["早于开始日期"]}
        )
    role = OrgRole(
        org_id=org.id,
        member_id=data.get("member_id"),
        user_id=data.get("user_id"),
        role=data["role"],
        since=since,
        until=data.get("until"),
    )
    db.session.add(role)
    db.session.flush()
    audit.record(
        principal,
        action="role.grant",
        entity_type="org_role",
        entity_id=role.id,
        org_id=org.id,
        member_id=role.member_id,
        field=role.role,
        old=None,
        new=f"{since}–{role.until or ''}",
        now=utcnow(),
    )
    return decorate_roles([role])[0]


def list_roles(principal: Principal, org_id: int) -> list[OrgRole]:
    """Role holders of an org (readable to anyone who can read the org)."""
    org = get_readable_org(principal, org_id)
    roles = db.session.scalars(
        select(OrgRole).where(OrgRole.org_id == org.id, role_current()).order_by(OrgRole.id)
    ).all()
    return decorate_roles(list(roles))


def revoke_role(
    principal: Principal, org_id: int, role_id: int, effective_on: date | None = None
) -> None:
    """End a role grant on `effective_on` (default today); the term stays as history.

    A grant ended on or before the day it began was a mistake and is removed outright.
    """
    role = db.session.get(OrgRole, role_id)
    if role is None or role.org_id != org_id or role.until is not None:
        raise not_found("职务")
    principal.require_manage(role.org)
    day = effective_on or local_day(utcnow())
    audit.record(
        principal,
        action="role.end",
        entity_type="org_role",
        entity_id=role.id,
        org_id=role.org_id,
        member_id=role.member_id,
        field=role.role,
        old=f"{role.since or ''}–",
        new=f"{role.since or ''}–{day}",
        now=utcnow(),
    )
    if role.since is not None and role.since >= day:
        db.session.delete(role)
    else:
        role.until = day
    db.session.flush()


def term_end(role: OrgRole) -> date | None:
    """When a committee seat's term ends: `until`, else since + 3 years (the org's own term)."""
    if role.until is not None or role.role not in COMMITTEE_ROLES or role.since is None:
        return role.until
    years = role.org.committee_term_years or COMMITTEE_TERM_YEARS
    try:
        return role.since.replace(year=role.since.year + years)
    except ValueError:  # 29 February
        return role.since.replace(year=role.since.year + years, day=28)


def decorate_roles(roles: list[OrgRole]) -> list[OrgRole]:
    """Attach holder names and role labels for display."""
    from app.accounts.models import User

    for role in roles:
        role.role_label = ROLE_LABELS[role.role]
        role.term_ends_on = term_end(role)
        if role.member_id is not None:
            role.holder_name = db.session.get(Member, role.member_id).name
        else:
            user = db.session.get(User, role.user_id)
            role.holder_name = user.display_name or user.username
    return roles
