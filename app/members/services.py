"""Members: scoped reads and writes, phone masking, invites and all-or-nothing import."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from app.auth import Principal, path_filter
from app.errors import APIError, not_found
from app.extensions import db
from app.members.models import STATUS_LABELS, InviteCode, Member
from app.org.models import Organization
from app.org.services import MEMBER_ORG_TYPES, get_org, get_readable_org
from app.qr import qr_svg
from app.schemas import paginate

INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed
INVITE_LENGTH = 8


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
    return members


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
    member = Member(**data)
    member.name = member.name.strip()
    db.session.add(member)
    db.session.flush()
    return decorate([member], principal, full_phone=True)[0]


def update_member(principal: Principal, member_id: int, data: dict[str, Any], now: datetime):
    """Change a member; moving them needs manage rights on both orgs."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    principal.require_manage(member.org)
    if "org_id" in data and data["org_id"] != member.org_id:
        principal.require_manage(_member_org(data["org_id"]))
    if data.get("phone") and _phone_taken(data["phone"], member.id):
        raise APIError(409, "member.phone_taken", "该手机号已被其他党员使用", {"phone": ["已存在"]})
    if "is_active" in data and data["is_active"] != member.is_active:
        member.deactivated_at = None if data["is_active"] else now
    for key, value in data.items():
        setattr(member, key, value)
    db.session.flush()
    db.session.refresh(member)
    # the caller sees in full a number they just wrote; otherwise the list's masking applies
    return decorate([member], principal, full_phone="phone" in data)[0]


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
        # a full phone number finds someone only for staff over the org: for anyone else a
        # phone search is an oracle that unmasks 139****4153 (the route is rate-limited too)
        staff_paths = principal.read_paths()
        by_phone = staff_paths is None or org.path.startswith(tuple(staff_paths))
        match = Member.name.contains(args["q"])
        stmt = stmt.where(or_(match, Member.phone == args["q"]) if by_phone else match)
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
