"""Assigning instructors (and park leaders' contact enterprises), logging visits, the
visit reports and the overdue-visit reminder."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import actor_name
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.fiveclears.services import readable_enterprise
from app.members.models import Member
from app.notify.services import Reminder
from app.org.models import Enterprise, Organization
from app.org.services import get_org
from app.schemas import paginate
from app.timeutil import local_day, local_tz
from app.visits.models import ASSIGNMENT_LABELS, Assignment, Visit

CONTACT_LIMIT = 2  # a park leader keeps 1–2 contact enterprises


def _managed_enterprise(principal: Principal, enterprise_id: int) -> Enterprise:
    ent = readable_enterprise(principal, enterprise_id)
    if not principal.can_manage_org(ent.park_org):
        raise forbidden("无权管理该企业的指导员")
    return ent


def assign(principal: Principal, data: dict[str, Any], now: datetime) -> Assignment:
    """Send a member to an enterprise as instructor, or make it a leader's contact point."""
    ent = _managed_enterprise(principal, data["enterprise_id"])
    member = db.session.get(Member, data["member_id"])
    if member is None or not member.is_active:
        raise not_found("党员")
    current = select(Assignment.id).where(
        Assignment.member_id == member.id,
        Assignment.kind == data["kind"],
        Assignment.until.is_(None),
    )
    if db.session.scalar(current.where(Assignment.enterprise_id == ent.id)) is not None:
        raise APIError(409, "visits.already_assigned", "该党员已在该企业任职", {})
    if data["kind"] == "contact":
        held = db.session.scalar(select(func.count()).select_from(current.subquery()))
        if held >= CONTACT_LIMIT:
            raise APIError(
                409, "visits.contact_limit", f"每位联系领导最多联系{CONTACT_LIMIT}家企业", {}
            )
    row = Assignment(
        enterprise_id=ent.id,
        member_id=member.id,
        kind=data["kind"],
        since=data.get("since") or local_day(now),
        assigned_by=actor_name(principal)[:64],
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise APIError(409, "visits.already_assigned", "该党员已在该企业任职", {}) from None
    return row


def end_assignment(principal: Principal, assignment_id: int, until: date | None, now):
    """End an assignment (the member is no longer the enterprise's instructor)."""
    row = db.session.get(Assignment, assignment_id)
    if row is None:
        raise not_found("指导员安排")
    _managed_enterprise(principal, row.enterprise_id)
    if row.until is not None:
        raise APIError(409, "visits.assignment_ended", "该安排已结束", {})
    row.until = until or local_day(now)
    if row.until < row.since:
        raise APIError(
            400, "validation_error", "请求参数有误", {"fields": {"until": ["早于开始日期"]}}
        )
    db.session.flush()
    return row


def _scope(principal: Principal, stmt, args: dict[str, Any]):
    """Staff: enterprises of their parks; a member: their own assignments or visits."""
    if principal.is_staff:
        stmt = stmt.join(Organization, Organization.id == Enterprise.park_org_id).where(
            path_filter(Organization.path, principal.read_paths())
        )
        if "org_id" in args:
            org = get_org(args["org_id"])
            principal.require_read(org)
            stmt = stmt.where(Organization.path.like(org.path + "%"))
        return stmt, True
    return stmt, False


def list_assignments(principal: Principal, args: dict[str, Any]) -> dict:
    """Current (or all) assignments in scope; a member sees their own."""
    stmt = select(Assignment).join(Enterprise, Enterprise.id == Assignment.enterprise_id)
    stmt, staff = _scope(principal, stmt, args)
    if not staff:
        stmt = stmt.where(Assignment.member_id == principal.member_id)
    if not args.get("include_ended"):
        stmt = stmt.where(Assignment.until.is_(None))
    if "enterprise_id" in args:
        stmt = stmt.where(Assignment.enterprise_id == args["enterprise_id"])
    page = paginate(stmt.order_by(Assignment.id), args["page"], args["per_page"])
    for a in page["items"]:
        label(a)
    return page


def label(a: Assignment) -> Assignment:
    a.kind_label = ASSIGNMENT_LABELS[a.kind]
    a.member_name = a.member.name
    a.enterprise_name = a.enterprise.name
    return a


def record_visit(principal: Principal, data: dict[str, Any], now: datetime) -> Visit:
    """Log a visit: by the enterprise's own instructor, or by staff managing the park."""
    ent = readable_enterprise(principal, data["enterprise_id"])
    manager = principal.can_manage_org(ent.park_org)
    member_id = data.get("member_id") or principal.member_id
    if member_id is None:
        raise APIError(
            400, "validation_error", "请求参数有误", {"fields": {"member_id": ["请选择走访人"]}}
        )
    if not manager and member_id != principal.member_id:
        raise forbidden("只能登记本人的走访")
    if not manager and not _assigned(member_id, ent.id):
        raise forbidden("您不是该企业的指导员")
    if db.session.get(Member, member_id) is None:
        raise not_found("党员")
    if data["visited_on"] > local_day(now):
        raise APIError(
            400, "validation_error", "请求参数有误", {"fields": {"visited_on": ["不能晚于今天"]}}
        )
    visit = Visit(
        enterprise_id=ent.id,
        member_id=member_id,
        visited_on=data["visited_on"],
        people_met=data.get("people_met", ""),
        topics=data.get("topics", ""),
        problems=data.get("problems", ""),
        follow_up=data.get("follow_up", ""),
        recorded_by=actor_name(principal)[:64],
        created_at=now,
    )
    db.session.add(visit)
    db.session.flush()
    return _visit_names(visit)


def _assigned(member_id: int, enterprise_id: int) -> bool:
    return (
        db.session.scalar(
            select(Assignment.id).where(
                Assignment.member_id == member_id,
                Assignment.enterprise_id == enterprise_id,
                Assignment.until.is_(None),
            )
        )
        is not None
    )


def _visit_names(v: Visit) -> Visit:
    v.member_name, v.enterprise_name = v.member.name, v.enterprise.name
    return v


def list_visits(principal: Principal, args: dict[str, Any]) -> dict:
    """Visits in scope, newest first; a member sees their own."""
    stmt = select(Visit).join(Enterprise, Enterprise.id == Visit.enterprise_id)
    stmt, staff = _scope(principal, stmt, args)
    if not staff:
        stmt = stmt.where(Visit.member_id == principal.member_id)
    for key, column in (("enterprise_id", Visit.enterprise_id), ("member_id", Visit.member_id)):
        if key in args:
            stmt = stmt.where(column == args[key])
    if "from_" in args:
        stmt = stmt.where(Visit.visited_on >= args["from_"])
    if "to" in args:
        stmt = stmt.where(Visit.visited_on <= args["to"])
    page = paginate(
        stmt.order_by(Visit.visited_on.desc(), Visit.id.desc()), args["page"], args["per_page"]
    )
    for v in page["items"]:
        _visit_names(v)
    return page


def _staff_enterprises(principal: Principal, org_id: int | None):
    if not principal.is_staff:
        raise forbidden("无权查看走访报表")
    stmt = (
        select(Enterprise.id)
        .join(Organization, Organization.id == Enterprise.park_org_id)
        .where(
            Enterprise.is_active.is_(True), path_filter(Organization.path, principal.read_paths())
        )
    )
    name = "全部园区"
    if org_id is not None:
        org = get_org(org_id)
        principal.require_read(org)
        stmt, name = stmt.where(Organization.path.like(org.path + "%")), org.name
    return stmt, name


def per_instructor(principal: Principal, org_id: int | None, year: int) -> dict[str, Any]:
    """Visits per instructor per month of a year (everyone with a current assignment listed)."""
    ents, name = _staff_enterprises(principal, org_id)
    month = func.extract("month", Visit.visited_on)
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for member_id, m, n in db.session.execute(
        select(Visit.member_id, month, func.count())
        .where(
            Visit.enterprise_id.in_(ents),
            Visit.visited_on >= date(year, 1, 1),
            Visit.visited_on <= date(year, 12, 31),
        )
        .group_by(Visit.member_id, month)
    ):
        counts[member_id][int(m)] = n
    assigned = defaultdict(int)
    for member_id, n in db.session.execute(
        select(Assignment.member_id, func.count())
        .where(Assignment.enterprise_id.in_(ents), Assignment.until.is_(None))
        .group_by(Assignment.member_id)
    ):
        assigned[member_id] = n
    ids = sorted(set(counts) | set(assigned))
    names = dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())
    rows = [
        {
            "member_id": i,
            "name": names.get(i, ""),
            "enterprises": assigned.get(i, 0),
            "months": [counts[i].get(m, 0) for m in range(1, 13)],
            "total": sum(counts[i].values()),
        }
        for i in ids
    ]
    return {"org_name": name, "year": year, "rows": rows}


def last_visits(enterprise_ids) -> dict[int, date]:
    """The latest visit day per enterprise."""
    return dict(
        db.session.execute(
            select(Visit.enterprise_id, func.max(Visit.visited_on))
            .where(Visit.enterprise_id.in_(enterprise_ids))
            .group_by(Visit.enterprise_id)
        ).all()
    )


def overdue(principal: Principal, org_id: int | None, days: int | None, now: datetime):
    """Enterprises without a visit in `days` (default VISIT_OVERDUE_DAYS), oldest first."""
    days = days or current_app.config["VISIT_OVERDUE_DAYS"]
    ents, name = _staff_enterprises(principal, org_id)
    today = local_day(now)
    enterprises = db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ents))).all()
    last = last_visits([e.id for e in enterprises])
    from app.fiveclears.services import current_assignees

    assignees = current_assignees([e.id for e in enterprises])
    rows = []
    for e in enterprises:
        seen = last.get(e.id)
        if seen is not None and (today - seen).days < days:
            continue
        rows.append(
            {
                "enterprise_id": e.id,
                "name": e.name,
                "last_visited_on": seen,
                "days_since": (today - seen).days if seen else None,
                "instructors": "、".join(
                    a.member.name for a in assignees[e.id] if a.kind == "instructor"
                ),
            }
        )
    rows.sort(
        key=lambda r: (
            r["last_visited_on"] is not None,
            r["last_visited_on"] or date.min,
            r["enterprise_id"],
        )
    )
    return {"org_name": name, "days": days, "rows": rows}


def visit_overdue(now: datetime) -> list[Reminder]:
    """From 09:00: instructors whose enterprise has gone VISIT_OVERDUE_DAYS without a visit —
    once per overdue spell (the cause names the last visit)."""
    today = local_day(now)
    if now < datetime.combine(today, time(9), tzinfo=local_tz()):
        return []
    days = current_app.config["VISIT_OVERDUE_DAYS"]
    rows = db.session.execute(
        select(Assignment, Enterprise.name)
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(
            Assignment.until.is_(None),
            Assignment.kind == "instructor",
            Enterprise.is_active.is_(True),
            Assignment.since <= today - timedelta(days=days),
        )
    ).all()
    last = last_visits({a.enterprise_id for a, _ in rows})
    out = []
    for a, name in rows:
        seen = last.get(a.enterprise_id)
        start = max(seen or a.since, a.since)
        if (today - start).days < days:
            continue
        out.append(
            Reminder(
                kind="visit_overdue",
                cause=f"visit:{a.enterprise_id}:{seen.isoformat() if seen else 'never'}",
                day=start + timedelta(days=days),
                title="请走访联系企业",
                body=f"{name}已{(today - start).days}天未走访",
                member_ids=[a.member_id],
                data={"enterprise_id": a.enterprise_id, "page": "pages/visits/index"},
            )
        )
    return out


RULES = [visit_overdue]
