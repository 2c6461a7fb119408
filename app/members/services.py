"""Members: scoped reads and writes, phone masking, invites and all-or-nothing import."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from app.audit import services as audit
from app.auth import Principal, path_filter
from app.errors import APIError, not_found
from app.extensions import db
from app.members import history
from app.members.models import STATUS_LABELS, InviteCode, Member, MemberExcusal
from app.org.models import Organization
from app.org.services import MEMBER_ORG_TYPES, get_org, get_readable_org
from app.qr import qr_svg
from app.schemas import paginate
from app.timeutil import local_day

INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed
INVITE_LENGTH = 8
# changes written to the audit log with their effective day
AUDITED = ("status", "org_id", "is_active", "excused", "probation_started_on")


def mask_phone(phone: str | None) -> str | None:
    """138****5678."""
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def _phone_visible(principal: Principal, member: Member) -> bool:
    """In lists only the member and their own branch's managers see the whole number."""
    if principal.member_id == member.id:
        return True
    own = {member.org_id}
    if member.org.type == "group" and member.org.parent_id is not None:
        own.add(member.org.parent_id)
    return any(g.manages and g.org_id in own for g in principal.grants)


def decorate(members: list[Member], principal: Principal | None, full_phone: bool) -> list:
    """Attach display fields; phones are masked unless `full_phone` or the viewer may see them."""
    for m in members:
        m.status_label = STATUS_LABELS[m.status]
        m.org_name = m.org.name
        m.bound = m.openid is not None
        show = full_phone or (principal is not None and _phone_visible(principal, m))
        m.display_phone = m.phone if show else mask_phone(m.phone)
        m.full_due_on = full_due_on(m)
    return members


def full_due_on(member: Member) -> date | None:
    """The day a probationary member's year of probation ends (转正 is due)."""
    start = member.probation_started_on
    if member.status != "probationary" or start is None:
        return None
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def _member_org(org_id: int) -> Organization:
    org = get_org(org_id)
    if org.type not in MEMBER_ORG_TYPES:
        raise APIError(
            400,
            "member.org_not_branch",
            "党员只能编入党支部或党小组",
            {"org_id": org_id},
        )
    return org


def get_member(principal: Principal, member_id: int) -> Member:
    """One member: the member themselves, or staff who may read their org."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    is_self = principal.member_id == member.id
    if not is_self and not (principal.is_staff and principal.can_read_org(member.org)):
        raise APIError(403, "auth.forbidden", "无权查看该党员的信息")
    # the same masking as in lists, or reading members one by one would unmask them
    return decorate([member], principal, full_phone=False)[0]


def _phone_taken(phone: str, exclude_id: int | None = None) -> bool:
    stmt = select(Member.id).where(Member.phone == phone)
    if exclude_id is not None:
        stmt = stmt.where(Member.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def create_member(principal: Principal, data: dict[str, Any]) -> Member:
    """Add a member to a branch or group the caller manages."""
    org = _member_org(data["org_id"])
    principal.require_manage(org)
    if data.get("phone") and _phone_taken(data["phone"]):
        raise APIError(409, "member.phone_taken", "该手机号已被其他党员使用", {"phone": ["已存在"]})
    data = dict(data)
    since = data.pop("member_since", None) or default_member_since(data.get("joined_on"), org)
    if data.get("excused"):
        _require_level_above(principal, org)
    member = Member(**data)
    member.name = member.name.strip()
    member.member_since = since  # read by app.members.history when the row is flushed
    if member.status == "probationary" and member.probation_started_on is None:
        member.probation_started_on = data.get("joined_on")
    db.session.add(member)
    db.session.flush()
    return decorate([member], principal, full_phone=True)[0]


def default_member_since(joined_on: date | None, org: Organization) -> date | None:
    """The later of the day the member joined the Party and the day the org was founded."""
    days = [d for d in (joined_on, org.founded_on) if d is not None]
    return max(days) if days else None


def _branch_of(org: Organization) -> Organization:
    return org.parent if org.type == "group" and org.parent is not None else org


def _require_level_above(principal: Principal, org: Organization) -> Organization:
    """Excusals are decided by the level above the member's branch (rule 3)."""
    above = _branch_of(org).parent
    if above is None or not principal.can_manage_org(above):
        raise APIError(
            403,
            "member.excusal_needs_level_above",
            "免予参加组织生活须由上级党组织决定",
        )
    return above


def _effective_day(member: Member, data: dict[str, Any], now: datetime) -> date:
    """The day a change takes effect: not in the future, not before the last change."""
    today = local_day(now)
    day = data.get("effective_on") or today
    if day > today:
        raise APIError(
            400,
            "member.effective_in_future",
            "生效日期不能晚于今天",
            {"effective_on": ["晚于今天"]},
        )
    current = history.open_row(db.session, member.id)
    if current is not None and current.valid_from is not None and day < current.valid_from:
        raise APIError(
            400,
            "member.effective_before_last_change",
            f"生效日期不能早于上一次变更（{current.valid_from:%Y-%m-%d}）",
            {"effective_on": ["早于上一次变更"]},
        )
    return day


def update_member(principal: Principal, member_id: int, data: dict[str, Any], now: datetime):
    """Change a member; moving them needs manage rights on both orgs. Status, org, leaving and
    excusal changes take effect on `effective_on` (default today) and are audited."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    principal.require_manage(member.org)
    data = dict(data)
    if "org_id" in data and data["org_id"] != member.org_id:
        principal.require_manage(_member_org(data["org_id"]))
    if "excused" in data and data["excused"] != member.excused:
        member.excused_by_org_id = _require_level_above(principal, member.org).id
    if data.get("phone") and _phone_taken(data["phone"], member.id):
        raise APIError(409, "member.phone_taken", "该手机号已被其他党员使用", {"phone": ["已存在"]})
    reason = data.pop("reason", None) or ""
    day = _effective_day(member, data, now)
    data.pop("effective_on", None)
    if "is_active" in data and data["is_active"] != member.is_active:
        member.deactivated_at = None if data["is_active"] else now
    if data.get("status") == "probationary" and member.status != "probationary":
        data.setdefault("probation_started_on", day)
    for key in AUDITED:
        if key in data and data[key] != getattr(member, key):
            audit.record(
                principal,
                action="member.change",
                entity_type="member",
                entity_id=member.id,
                org_id=member.org_id,
                member_id=member.id,
                field=key,
                old=getattr(member, key),
                new=data[key],
                reason=f"{day:%Y-%m-%d}起生效" + (f"：{reason}" if reason else ""),
                now=now,
            )
    member.effective_on, member.change_reason = day, reason
    for key, value in data.items():
        setattr(member, key, value)
    db.session.flush()
    db.session.refresh(member)
    # the caller sees in full a number they just wrote; otherwise the list's masking applies
    return decorate([member], principal, full_phone="phone" in data)[0]


def add_excusal(
    principal: Principal, member_id: int, data: dict[str, Any], now: datetime
) -> MemberExcusal:
    """The level above the branch excuses a member for a span of days (audited)."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    above = _require_level_above(principal, member.org)
    if data.get("to_on") is not None and data["to_on"] < data["from_on"]:
        raise APIError(
            400, "member.excusal_bad_dates", "结束日期不能早于开始日期", {"to_on": ["早于开始"]}
        )
    row = MemberExcusal(
        member_id=member.id,
        from_on=data["from_on"],
        to_on=data.get("to_on"),
        reason=data["reason"],
        decided_by_org_id=above.id,
        created_by_user_id=principal.user.id if principal.user else None,
        created_by_member_id=principal.member_id,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        principal,
        action="member.excusal",
        entity_type="member_excusal",
        entity_id=row.id,
        org_id=above.id,
        member_id=member.id,
        field="excused",
        old=None,
        new=f"{row.from_on}–{row.to_on or ''}",
        reason=row.reason,
        now=now,
    )
    return row


def list_excusals(principal: Principal, member_id: int) -> list[MemberExcusal]:
    """A member's excusals (staff who may read the member)."""
    member = get_member(principal, member_id)
    return list(
        db.session.scalars(
            select(MemberExcusal)
            .where(MemberExcusal.member_id == member.id)
            .order_by(MemberExcusal.from_on, MemberExcusal.id)
        )
    )


def deactivate_member(principal: Principal, member_id: int, now: datetime) -> None:
    """Soft-delete: attendance and points history stay; the member can no longer log in."""
    update_member(principal, member_id, {"is_active": False}, now)


def list_org_members(principal: Principal, org_id: int, args: dict[str, Any]) -> dict:
    """Members of an org's subtree: staff in scope, or a member reading their own branch."""
    org = get_readable_org(principal, org_id)
    if not principal.is_staff or not principal.can_read_org(org):
        # a plain member reads only their own branch (and not its inactive members)
        args = {**args, "include_inactive": False}
    sub = select(Organization.id).where(Organization.path.like(org.path + "%"))
    stmt = select(Member).where(Member.org_id.in_(sub))
    if not args.get("include_inactive"):
        stmt = stmt.where(Member.is_active.is_(True))
    if "status" in args:
        stmt = stmt.where(Member.status == args["status"])
    if args.get("q"):
        stmt = stmt.where(or_(Member.name.contains(args["q"]), Member.phone == args["q"]))
    page = paginate(stmt.order_by(Member.id), args["page"], args["per_page"])
    decorate(page["items"], principal, full_phone=False)
    return page


def members_in_scope(principal: Principal):
    """A select of member ids the caller may read (used by other domains' lists)."""
    sub = select(Organization.id).where(path_filter(Organization.path, principal.read_paths()))
    return select(Member.id).where(Member.org_id.in_(sub))


# --- invites -----------------------------------------------------------------------------


def issue_invite(principal: Principal, member_id: int, now: datetime) -> dict[str, Any]:
    """A fresh one-time binding code; earlier unused codes of the member stop working."""
    member = db.session.get(Member, member_id)
    if member is None or not member.is_active:
        raise not_found("党员")
    principal.require_manage(member.org)
    for old in db.session.scalars(
        select(InviteCode).where(
            InviteCode.member_id == member.id,
            InviteCode.used_at.is_(None),
            InviteCode.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    invite = InviteCode(
        code=code,
        member_id=member.id,
        created_by_user_id=principal.user.id if principal.user else None,
        created_by_member_id=principal.member_id,
        expires_at=now + timedelta(days=current_app.config["INVITE_CODE_DAYS"]),
    )
    db.session.add(invite)
    db.session.flush()
    scan_url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/i/{code}"
    return {
        "code": code,
        "member_id": member.id,
        "expires_at": invite.expires_at,
        "scan_url": scan_url,
        "qr_svg": qr_svg(scan_url),
    }


def normalise_invite_code(raw: str) -> str:
    """Accept a code typed in lower case, with spaces, or as the invite URL."""
    code = raw.strip().rsplit("/i/", 1)[-1]
    return "".join(code.split()).upper()


def record_privacy_consent(member: Member, version: str, now: datetime) -> Member:
    """Store which version of the privacy guide the member accepted, and when (rule 10)."""
    member.privacy_version = version
    member.privacy_accepted_at = now
    db.session.flush()
    return member
