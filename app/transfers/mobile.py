"""流动党员: registrations (where a member takes part, from/to), the host's 参加活动 entries,
the secretary's contact log, and the list of mobile members with their flags."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.audit import services as audit
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.reports.members import away_flags, last_took_part, whole_months
from app.schemas import paginate
from app.timeutil import local_day
from app.transfers.models import (
    CONTACT_LABELS,
    MemberContact,
    MobileMembership,
    MobileParticipation,
)


def _member(principal: Principal, member_id: int | None) -> Member:
    """The member (default the caller); someone else's only for their home secretary."""
    member_id = member_id or principal.member_id
    member = db.session.get(Member, member_id) if member_id else None
    if member is None or not member.is_active:
        raise not_found("党员")
    if member.id != principal.member_id and not principal.can_manage_org(member.org):
        raise forbidden("只有本人或所在支部书记可以登记")
    return member


def _not_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise APIError(422, "mobile.date_in_future", "日期不能晚于今天", {field: ["晚于今天"]})


def register(principal: Principal, data: dict[str, Any], now: datetime) -> MobileMembership:
    """A member (or their secretary) registers where they take part while away."""
    member = _member(principal, data.get("member_id"))
    host_id, host_name = data.get("host_org_id"), (data.get("host_name") or "").strip()
    if bool(host_id) == bool(host_name):
        raise APIError(
            400,
            "mobile.host_required",
            "请选择系统内党组织，或填写系统外党组织名称（二选一）",
            {"host_org_id": ["二选一"], "host_name": ["二选一"]},
        )
    host = None
    if host_id:
        host = db.session.get(Organization, host_id)
        if host is None or not host.is_active or host.id == member.org_id:
            raise APIError(
                422, "mobile.bad_host", "请选择另一个党组织", {"host_org_id": ["不可选"]}
            )
    start, end = data["from_on"], data.get("to_on")
    if end is not None and end < start:
        raise APIError(422, "mobile.bad_range", "结束日期早于开始日期", {"to_on": ["早于开始"]})
    overlap = db.session.scalar(
        select(MobileMembership.id).where(
            MobileMembership.member_id == member.id,
            or_(MobileMembership.to_on.is_(None), MobileMembership.to_on >= start),
            MobileMembership.from_on <= (end or date.max),
        )
    )
    if overlap is not None:
        raise APIError(409, "mobile.overlap", "该时段已有流动登记", {"membership_id": overlap})
    row = MobileMembership(member=member, host_org=host, host_name=host_name, from_on=start)
    row.to_on, row.place, row.note = end, data.get("place", ""), data.get("note", "")
    row.registered_by = audit.actor_name(principal)[:64]
    db.session.add(row)
    db.session.flush()
    audit.record(
        principal,
        action="mobile.register",
        entity_type="mobile_membership",
        entity_id=row.id,
        org_id=member.org_id,
        member_id=member.id,
        new=host.name if host else host_name,
        now=now,
    )
    return decorate(row, now)


def _membership(principal: Principal, membership_id: int) -> MobileMembership:
    row = db.session.get(MobileMembership, membership_id)
    if row is None or not _visible(principal, row):
        raise not_found("流动登记")
    return row


def _visible(principal: Principal, row: MobileMembership) -> bool:
    if row.member_id == principal.member_id:
        return True
    paths = principal.read_paths()
    orgs = [row.member.org, row.host_org]
    return principal.is_staff and any(
        o is not None and (paths is None or any(o.path.startswith(p) for p in paths)) for o in orgs
    )


def end(principal: Principal, membership_id: int, data: dict[str, Any], now: datetime):
    """Close a registration on `to_on` (default today): the member is back."""
    row = _membership(principal, membership_id)
    if row.member_id != principal.member_id and not principal.can_manage_org(row.member.org):
        raise forbidden("只有本人或所在支部书记可以结束登记")
    day = data.get("to_on") or local_day(now)
    if day < row.from_on:
        raise APIError(422, "mobile.bad_range", "结束日期早于开始日期", {"to_on": ["早于开始"]})
    row.to_on = day
    db.session.flush()
    audit.record(
        principal,
        action="mobile.end",
        entity_type="mobile_membership",
        entity_id=row.id,
        org_id=row.member.org_id,
        member_id=row.member_id,
        new=day.isoformat(),
        now=now,
    )
    return decorate(row, now)


def participate(principal: Principal, membership_id: int, data: dict[str, Any], now: datetime):
    """Record a 参加活动 entry from the host: the host's secretary (a branch in the system), or
    the home secretary on the outside host's proof. Counts for the six-month rule."""
    row = _membership(principal, membership_id)
    host_staff = row.host_org is not None and principal.can_manage_org(row.host_org)
    if not (host_staff or principal.can_manage_org(row.member.org)):
        raise forbidden("只有流入地或所在支部书记可以登记参加活动")
    day, today = data["held_on"], local_day(now)
    _not_future(day, today, "held_on")
    if day < row.from_on or (row.to_on is not None and day > row.to_on):
        raise APIError(
            422, "mobile.outside_period", "日期不在流动登记期间内", {"held_on": ["不在期间内"]}
        )
    entry = MobileParticipation(membership_id=row.id, member_id=row.member_id, held_on=day)
    entry.title, entry.recorded_by = data.get("title", ""), audit.actor_name(principal)[:64]
    db.session.add(entry)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise APIError(409, "mobile.participation_exists", "当天已登记参加活动") from None
    audit.record(
        principal,
        action="mobile.participation",
        entity_type="mobile_membership",
        entity_id=row.id,
        org_id=row.member.org_id,
        member_id=row.member_id,
        new=f"{day:%Y-%m-%d} {entry.title}"[:200],
        now=now,
    )
    return decorate(row, now)


def record_contact(principal: Principal, data: dict[str, Any], now: datetime) -> MemberContact:
    """The secretary logs reaching a member (失联 is six months without one)."""
    member = db.session.get(Member, data["member_id"])
    if member is None:
        raise not_found("党员")
    if not principal.can_manage_org(member.org):
        raise forbidden("只有所在支部书记可以登记联系")
    _not_future(data["contacted_on"], local_day(now), "contacted_on")
    row = MemberContact(member_id=member.id, contacted_on=data["contacted_on"])
    row.method, row.note = data.get("method", "phone"), data.get("note", "")
    row.recorded_by = audit.actor_name(principal)[:64]
    db.session.add(row)
    db.session.flush()
    audit.record(
        principal,
        action="member.contact",
        entity_type="member",
        entity_id=member.id,
        org_id=member.org_id,
        member_id=member.id,
        new=f"{row.contacted_on:%Y-%m-%d} {CONTACT_LABELS[row.method]}",
        reason=row.note,
        now=now,
    )
    row.method_label, row.member_name = CONTACT_LABELS[row.method], member.name
    return row


def list_contacts(principal: Principal, member_id: int) -> list[MemberContact]:
    """A member's contact log, newest first (their secretary or above)."""
    member = db.session.get(Member, member_id)
    if member is None or not (principal.is_staff and principal.can_read_org(member.org)):
        raise not_found("党员")
    rows = db.session.scalars(
        select(MemberContact)
        .where(MemberContact.member_id == member_id)
        .order_by(MemberContact.contacted_on.desc(), MemberContact.id.desc())
    ).all()
    for r in rows:
        r.method_label, r.member_name = CONTACT_LABELS[r.method], member.name
    return list(rows)


def _facts(member_ids: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Per member: last host entry, last contact, last attendance (as the members report)."""
    today = local_day(now)
    out: dict[int, dict[str, Any]] = {
        m: {"took_part": day} for m, day in last_took_part(member_ids, now).items()
    }
    for model, col, key in (
        (MobileParticipation, MobileParticipation.held_on, "participated_on"),
        (MemberContact, MemberContact.contacted_on, "contacted_on"),
    ):
        for member_id, day in db.session.execute(
            select(model.member_id, func.max(col))
            .where(model.member_id.in_(member_ids), col <= today)
            .group_by(model.member_id)
        ).all():
            out[member_id][key] = day
    return out


def decorate(row: MobileMembership, now: datetime, facts: dict | None = None) -> MobileMembership:
    """Labels, months away, and the flags of the registration's member."""
    today = local_day(now)
    facts = facts if facts is not None else _facts([row.member_id], now).get(row.member_id, {})
    current = row.from_on <= today and (row.to_on is None or row.to_on >= today)
    row.member_name, row.home_org_name = row.member.name, row.member.org.name
    row.host_label = row.host_org.name if row.host_org else row.host_name
    row.outside = row.host_org is None
    row.current = current
    row.months_away = whole_months(row.from_on, min(row.to_on or today, today))
    took_part = max(facts.get("participated_on") or date.min, facts.get("took_part") or date.min)
    flags = away_flags(
        {**facts, "away_since": row.from_on if current else None},
        row.member.status,
        took_part,
        today,
    )
    row.transfer_due, row.last_contact = flags["transfer_due"], flags["last_contact"]
    row.lost_contact = flags["lost_contact"]
    row.last_participation = facts.get("participated_on")
    return row


def list_mobile(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """Registrations in scope (home or host branch in the caller's subtree; a member or
    `mine`: their own), current first; `current` keeps those covering today."""
    today = local_day(now)
    home, host = aliased(Organization), aliased(Organization)
    stmt = (
        select(MobileMembership)
        .join(Member, Member.id == MobileMembership.member_id)
        .join(home, home.id == Member.org_id)
        .outerjoin(host, host.id == MobileMembership.host_org_id)
    )
    if args.get("mine") or not principal.is_staff:
        if principal.member_id is None:
            raise forbidden()
        stmt = stmt.where(MobileMembership.member_id == principal.member_id)
    else:
        paths = principal.read_paths()
        if args.get("org_id"):
            org = db.session.get(Organization, args["org_id"])
            if org is None:
                raise not_found("组织")
            principal.require_read(org)
            paths = [org.path]
        stmt = stmt.where(or_(path_filter(home.path, paths), path_filter(host.path, paths)))
    if args.get("current"):
        stmt = stmt.where(
            and_(
                MobileMembership.from_on <= today,
                or_(MobileMembership.to_on.is_(None), MobileMembership.to_on >= today),
            )
        )
    stmt = stmt.order_by(MobileMembership.to_on.is_not(None), MobileMembership.from_on.desc())
    page = paginate(stmt, args["page"], args["per_page"])
    facts = _facts(list({r.member_id for r in page["items"]}), now)
    page["items"] = [decorate(r, now, facts.get(r.member_id, {})) for r in page["items"]]
    return page
