"""Staff light accounts: the committee invites an enterprise's employee (by name and phone),
the employee binds a phone browser with the code, and gets tokens for ``s:<id>`` — an identity
that reaches only the requests routes (app.auth's deny-by-default for light accounts)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import versions
from app.audit import services as audit
from app.auth import LightInfo, Principal, issue_tokens, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.identities import register_identity_kind
from app.members.models import InviteCode
from app.members.services import INVITE_ALPHABET, INVITE_LENGTH, normalise_invite_code
from app.org.models import Enterprise, Organization
from app.schemas import paginate
from app.servicedesk.models import StaffAccount, StaffInvite

INVALID = "邀请码无效，请向园区党委索取新的邀请码"


def _resolve(staff_id: int) -> Principal | None:
    staff = db.session.get(StaffAccount, staff_id)
    if staff is None or not staff.is_active:
        return None
    return Principal(f"s:{staff.id}", light=LightInfo(staff.id, staff.name, staff.enterprise_id))


def _new_code() -> str:
    while True:  # a staff code must never also be a member's code (binding tries staff first)
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        taken = db.session.scalar(select(StaffInvite.id).where(StaffInvite.code == code))
        taken = taken or db.session.scalar(select(InviteCode.id).where(InviteCode.code == code))
        if not taken:
            return code


def invite_staff(principal: Principal, data: dict[str, Any], now: datetime) -> StaffInvite:
    """A one-time invite for an enterprise's employee; the same phone keeps its account."""
    enterprise = db.session.get(Enterprise, data["enterprise_id"])
    if enterprise is None or not enterprise.is_active:
        raise not_found("企业")
    principal.require_manage(enterprise.park_org)
    phone = data.get("phone") or None
    staff = None
    if phone:
        staff = db.session.scalar(select(StaffAccount).where(StaffAccount.phone == phone))
        if staff is not None and staff.enterprise_id != enterprise.id:
            principal.require_manage(staff.enterprise.park_org)
    if staff is None:
        staff = StaffAccount(
            name=data["name"],
            phone=phone,
            enterprise_id=enterprise.id,
            created_by_user_id=principal.user_info and principal.user_info.id,
        )
        db.session.add(staff)
    else:  # the employee changed employer or name: the newest invite says where they are
        staff.name, staff.enterprise_id, staff.is_active = data["name"], enterprise.id, True
    db.session.flush()
    invite = StaffInvite(
        code=_new_code(),
        staff_id=staff.id,
        created_by_user_id=principal.user_info and principal.user_info.id,
        created_by_member_id=principal.member_id,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITE_CODE_DAYS"]),
    )
    db.session.add(invite)
    db.session.flush()
    return invite


def is_staff_invite(raw: str) -> bool:
    """Whether a typed code is a staff invite (else it is a member's)."""
    code = normalise_invite_code(raw)
    return bool(db.session.scalar(select(StaffInvite.id).where(StaffInvite.code == code)))


def bind_staff(raw: str, now: datetime) -> dict[str, Any]:
    """Spend a staff invite: tokens for its account (light identity ``s:<id>``)."""
    code = normalise_invite_code(raw)
    invite = db.session.scalar(
        select(StaffInvite).where(StaffInvite.code == code).with_for_update()
    )
    if invite is None:
        raise APIError(404, "bind.invite_invalid", INVALID)
    if invite.used_at is not None:
        raise APIError(409, "bind.invite_used", "邀请码已使用，请向园区党委索取新的邀请码")
    if invite.expires_at <= now:
        raise APIError(410, "bind.invite_expired", "邀请码已过期，请向园区党委索取新的邀请码")
    staff = invite.staff
    if not staff.is_active:
        raise APIError(403, "auth.account_inactive", "账号已停用，请联系园区党委")
    invite.used_at = now
    staff.bound_at = now
    db.session.flush()
    return {**issue_tokens(f"s:{staff.id}"), "account": "staff"}


def label(invite: StaffInvite) -> dict[str, Any]:
    """An invite as the committee sees it (the code is shown once, to hand over)."""
    staff = invite.staff
    return {
        "code": invite.code,
        "expires_at": invite.expires_at,
        "staff_id": staff.id,
        "name": staff.name,
        "enterprise_id": staff.enterprise_id,
        "enterprise_name": staff.enterprise.name,
        "link": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/i/{invite.code}",
    }


def _masked(phone: str | None) -> str | None:
    """138****1234: enough to tell two accounts apart on a shared screen."""
    return None if not phone else phone[:3] + "****" + phone[-4:]


def list_staff(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """Staff accounts of the enterprises in parks the caller manages, newest first; each with
    its enterprise, whether it was bound and when its newest invite runs out."""
    if not principal.is_staff:
        raise forbidden("该功能仅限组织管理人员使用")
    stmt = (
        select(StaffAccount)
        .join(Enterprise, Enterprise.id == StaffAccount.enterprise_id)
        .join(Organization, Organization.id == Enterprise.park_org_id)
        .where(path_filter(Organization.path, principal.manage_paths()))
        .options(joinedload(StaffAccount.enterprise))
    )
    if args.get("enterprise_id"):
        stmt = stmt.where(StaffAccount.enterprise_id == args["enterprise_id"])
    if args.get("active") is not None:
        stmt = stmt.where(StaffAccount.is_active.is_(args["active"]))
    if args.get("q"):
        stmt = stmt.where(StaffAccount.name.contains(args["q"], autoescape=True))
    page = paginate(stmt.order_by(StaffAccount.id.desc()), args["page"], args["per_page"])
    pending = _pending_invites([s.id for s in page["items"]])
    page["items"] = [_account(s, s.enterprise.name, pending.get(s.id)) for s in page["items"]]
    return page


def _pending_invites(staff_ids: list[int]) -> dict[int, datetime]:
    """Per account, when its newest unused invite runs out (accounts without one: absent)."""
    if not staff_ids:
        return {}
    rows = db.session.execute(
        select(StaffInvite.staff_id, func.max(StaffInvite.expires_at))
        .where(StaffInvite.staff_id.in_(staff_ids), StaffInvite.used_at.is_(None))
        .group_by(StaffInvite.staff_id)
    ).all()
    return {staff_id: expires for staff_id, expires in rows}


def _account(staff: StaffAccount, enterprise_name: str, pending: datetime | None) -> dict:
    return {
        "id": staff.id,
        "name": staff.name,
        "phone": _masked(staff.phone),
        "enterprise_id": staff.enterprise_id,
        "enterprise_name": enterprise_name,
        "is_active": staff.is_active,
        "bound_at": staff.bound_at,
        "invite_expires_at": pending,
        "created_at": staff.created_at,
    }


def set_staff_active(
    principal: Principal, staff_id: int, active: bool, reason: str, now: datetime
) -> dict[str, Any]:
    """Deactivate (or restore) a staff account. Deactivated, its tokens are refused on the
    next request in every worker (the account's version is bumped in this transaction) and its
    open invites no longer bind; its requests stay on record. Audited; repeating is a no-op."""
    staff = db.session.scalar(
        select(StaffAccount).where(StaffAccount.id == staff_id).with_for_update()
    )
    if staff is None:
        raise not_found("职工账号")
    enterprise = staff.enterprise
    if not principal.can_manage_org(enterprise.park_org):
        raise not_found("职工账号")  # outside the caller's parks: as if it did not exist
    if staff.is_active != active:
        staff.is_active = active
        audit.record(
            principal,
            action="staff.reactivate" if active else "staff.deactivate",
            entity_type="staff_account",
            entity_id=staff.id,
            org_id=enterprise.park_org_id,
            now=now,
            field="is_active",
            old=not active,
            new=active,
            reason=reason,
        )
        db.session.flush()
    return _account(staff, enterprise.name, _pending_invites([staff.id]).get(staff.id))


register_identity_kind("s", _resolve)
versions.watch(StaffAccount, lambda staff, _change: [f"s:{staff.id}"])
