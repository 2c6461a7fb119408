"""组织关系转接: request, approve on each side (and the park committees across parks),
reject, cancel; on the effective day the member's org and effective-dated history move.

Exactly once: a member has at most one open transfer (a partial unique index); every
decision locks the transfer row first (FOR UPDATE on PostgreSQL; SQLite takes its write lock
up front), a side decides once (a unique key), and the move is guarded by a conditional
status update, so concurrent approvals move a member once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.audit import services as audit
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import PARTY_STATUSES, Member
from app.org.models import Organization
from app.points.scope import scope_of_org
from app.schemas import paginate
from app.timeutil import local_day, utcnow
from app.transfers.models import (
    KIND_LABELS,
    OPEN_STATUSES,
    REPORTING,
    SIDE_LABELS,
    STATUS_LABELS,
    Transfer,
    TransferApproval,
)

DESTINATION_TYPES = ("general_branch", "branch")
SYSTEM = Principal("system:transfers")


def _org(org_id: int | None, field: str) -> Organization:
    org = db.session.get(Organization, org_id) if org_id else None
    if org is None or not org.is_active:
        raise APIError(422, "transfer.org_invalid", "组织不存在或已撤销", {field: ["不存在"]})
    return org


def park_of(org: Organization) -> Organization | None:
    """The park committee (综合党委) above an org, or the root when there is none."""
    _, park_id = scope_of_org(db.session, org.id)
    return db.session.get(Organization, park_id) if park_id else None


def _sides(kind: str, source: Organization | None, target: Organization | None) -> list[str]:
    if kind == "out":
        return ["from"]
    if kind == "in":
        return ["to"]
    sides = ["from", "to"]
    if park_of(source).id != park_of(target).id:  # type: ignore[arg-type, union-attr]
        sides += ["from_park", "to_park"]
    return sides


def can_decide(principal: Principal, t: Transfer, side: str) -> bool:
    """Whether `principal` may decide `side` of `t` (secretary or above of that side)."""
    if side in ("from", "to"):
        org = t.from_org if side == "from" else t.to_org
        return org is not None and principal.can_manage_org(org)
    branch = t.from_org if side == "from_park" else t.to_org
    park = park_of(branch) if branch is not None else None
    return park is not None and principal.can_manage_path(park.path)


def _visible(principal: Principal, t: Transfer) -> bool:
    if t.member_id is not None and t.member_id == principal.member_id:
        return True
    if not principal.is_staff:
        return False
    paths = principal.read_paths()
    return any(
        o is not None and (paths is None or any(o.path.startswith(p) for p in paths))
        for o in (t.from_org, t.to_org)
    )


def get_transfer(principal: Principal, transfer_id: int, lock: bool = False) -> Transfer:
    """One transfer the caller may see (its member, or staff of either side)."""
    stmt = select(Transfer).where(Transfer.id == transfer_id)
    if lock:
        stmt = stmt.with_for_update()
    t = db.session.scalar(stmt)
    if t is None or not _visible(principal, t):
        raise not_found("转接记录")
    return t


def _today(now: datetime) -> date:
    return local_day(now)


def _check_dates(data: dict[str, Any], today: date) -> None:
    eff, report_by = data.get("effective_on"), data.get("report_by")
    if eff is not None and eff < today:
        raise APIError(
            422,
            "transfer.effective_in_past",
            "生效日期不能早于今天",
            {"effective_on": ["早于今天"]},
        )
    if report_by is not None and report_by < (eff or today):
        raise APIError(
            422,
            "transfer.report_by_too_early",
            "报到期限不能早于生效日期",
            {"report_by": ["早于生效日期"]},
        )


def _open_transfer(member_id: int) -> Transfer | None:
    return db.session.scalar(
        select(Transfer).where(Transfer.member_id == member_id, Transfer.status.in_(OPEN_STATUSES))
    )


def _already_open(existing: Transfer | None) -> APIError:
    details = {"transfer_id": existing.id} if existing is not None else {}
    return APIError(409, "transfer.already_open", "该党员已有一项未办结的组织关系转接", details)


def _member_for(principal: Principal, data: dict[str, Any]) -> tuple[Member, bool]:
    """The member to transfer and whether they asked themselves."""
    member_id = data.get("member_id") or principal.member_id
    if member_id is None:
        raise APIError(400, "transfer.member_required", "请选择党员", {"member_id": ["必填"]})
    member = db.session.get(Member, member_id)
    if member is None or not member.is_active:
        raise not_found("党员")
    own = member.id == principal.member_id
    if not own and not (principal.is_staff and principal.can_manage_org(member.org)):
        raise forbidden("只有本人或所在支部书记可以申请转接")
    if member.status not in PARTY_STATUSES:
        raise APIError(422, "transfer.not_party_member", "只有正式党员和预备党员办理组织关系转接")
    return member, own and not principal.can_manage_org(member.org)


def create_transfer(principal: Principal, data: dict[str, Any], now: datetime) -> Transfer:
    """Request a transfer: by the member (their own) or a secretary of the sending side; a
    transfer in from outside by a secretary of the receiving side."""
    kind = data.get("kind", "internal")
    _check_dates(data, _today(now))
    t = Transfer(kind=kind, letter_no=data.get("letter_no", ""), reason=data.get("reason", ""))
    t.effective_on, t.report_by = data.get("effective_on"), data.get("report_by")
    t.requested_by = audit.actor_name(principal)[:64]
    t.requested_by_member_id = principal.member_id
    if kind == "in":
        target = _org(data.get("to_org_id"), "to_org_id")
        if not principal.can_manage_org(target):
            raise forbidden("只有接收支部书记可以登记系统外转入")
        _external_name(data)
        if not data.get("member_name"):
            raise APIError(400, "transfer.name_required", "请填写姓名", {"member_name": ["必填"]})
        phone = data.get("member_phone") or None
        if phone and db.session.scalar(select(Member.id).where(Member.phone == phone)):
            raise APIError(409, "member.phone_taken", "该手机号已被其他党员使用")
        t.to_org, t.member_name, t.member_phone = target, data["member_name"], phone
        t.member_status, t.joined_on = data.get("member_status", "full"), data.get("joined_on")
        t.external_org_name, source = data["external_org_name"], None
    else:
        member, _ = _member_for(principal, data)
        existing = _open_transfer(member.id)
        if existing is not None:
            raise _already_open(existing)
        t.member, t.from_org, t.member_name = member, member.org, member.name
        t.member_status, source, target = member.status, member.org, None
        if kind == "internal":
            target = _org(data.get("to_org_id"), "to_org_id")
            if target.type not in DESTINATION_TYPES or target.path.startswith(member.org.path):
                raise APIError(
                    422, "transfer.bad_target", "请选择另一个党支部", {"to_org_id": ["不可选"]}
                )
            t.to_org = target
        else:
            t.external_org_name = _external_name(data)
    t.sides = ",".join(_sides(kind, source, target))
    db.session.add(t)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise _already_open(_open_transfer(t.member_id)) from None  # type: ignore[arg-type]
    audit_transfer(principal, t, "transfer.request", now, new=KIND_LABELS[kind], reason=t.reason)
    return t


def _external_name(data: dict[str, Any]) -> str:
    name = (data.get("external_org_name") or "").strip()
    if not name:
        raise APIError(
            400,
            "transfer.external_required",
            "请填写系统外党组织名称",
            {"external_org_name": ["必填"]},
        )
    return name


def audit_transfer(principal, t: Transfer, action: str, now: datetime, **kw) -> None:
    """One audit row for a transfer, under its sending (else receiving) org."""
    org = t.from_org_id or t.to_org_id
    audit.record(
        principal,
        action=action,
        entity_type="transfer",
        entity_id=t.id,
        org_id=org,  # type: ignore[arg-type]
        member_id=t.member_id,
        now=now,
        **kw,
    )


def _pick_side(principal: Principal, t: Transfer, side: str | None) -> str:
    done = {a.side for a in t.approvals}
    if side is not None:
        if side not in t.side_list:
            raise APIError(422, "transfer.bad_side", "该转接无需此方审批", {"side": ["不适用"]})
        if not can_decide(principal, t, side):
            raise forbidden("无权审批该方")
        if side in done:
            raise APIError(409, "transfer.side_decided", "该方已审批")
        return side
    mine = [s for s in t.side_list if can_decide(principal, t, s)]
    if not mine:
        raise forbidden("无权审批该转接")
    left = [s for s in mine if s not in done]
    if not left:
        raise APIError(409, "transfer.side_decided", "您负责的一方已审批")
    return left[0]


def _decide(principal: Principal, transfer_id: int, side, decision, reason, now):
    t = get_transfer(principal, transfer_id, lock=True)
    if t.status != "pending":
        raise APIError(409, "transfer.not_pending", f"该转接{STATUS_LABELS[t.status]}，不能再审批")
    chosen = _pick_side(principal, t, side)
    by = audit.actor_name(principal)[:64]
    row = TransferApproval(transfer_id=t.id, side=chosen, decision=decision, reason=reason)
    row.decided_by, row.decided_at = by, now
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise APIError(409, "transfer.side_decided", "该方已审批") from None
    db.session.expire(t, ["approvals"])
    audit_transfer(
        principal, t, f"transfer.{decision}", now, field=chosen, new=decision, reason=reason
    )
    return t, chosen


def approve(principal: Principal, transfer_id: int, data: dict[str, Any], now: datetime):
    """One side approves; when every side has, the transfer is approved and takes effect on
    its effective day (today when that day has come)."""
    t, _ = _decide(principal, transfer_id, data.get("side"), "approved", "", now)
    if {a.side for a in t.approvals if a.decision == "approved"} >= set(t.side_list):
        today = _today(now)
        if t.effective_on is None or t.effective_on < today:
            t.effective_on = today  # a late approval takes effect on its own day, never before
        db.session.execute(
            update(Transfer)
            .where(Transfer.id == t.id, Transfer.status == "pending")
            .values(status="approved", decided_at=now, effective_on=t.effective_on)
        )
        db.session.refresh(t)
        if t.effective_on <= today:  # type: ignore[operator]
            complete(principal, t, now)
    return t


def reject(principal: Principal, transfer_id: int, data: dict[str, Any], now: datetime):
    """One side refuses, with a reason; the transfer ends there."""
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise APIError(400, "transfer.reason_required", "请填写驳回理由", {"reason": ["必填"]})
    t, _ = _decide(principal, transfer_id, data.get("side"), "rejected", reason, now)
    t.status, t.reject_reason, t.decided_at = "rejected", reason, now
    db.session.flush()
    return t


def cancel(principal: Principal, transfer_id: int, data: dict[str, Any], now: datetime):
    """The member who asked, or a secretary of the requesting side, withdraws an open transfer."""
    t = get_transfer(principal, transfer_id, lock=True)
    home = t.from_org or t.to_org
    if not (
        (t.member_id is not None and t.member_id == principal.member_id)
        or principal.can_manage_org(home)  # type: ignore[arg-type]
    ):
        raise forbidden("只有本人或转出方书记可以撤销")
    if t.status not in OPEN_STATUSES:
        raise APIError(409, "transfer.not_open", f"该转接{STATUS_LABELS[t.status]}，不能撤销")
    t.status, t.decided_at = "cancelled", now
    db.session.flush()
    audit_transfer(principal, t, "transfer.cancel", now, reason=(data.get("reason") or "")[:500])
    return t


def complete(principal: Principal, t: Transfer, now: datetime) -> bool:
    """Make an approved transfer take effect: the member's org (and history) move on its
    effective day. The conditional update lets exactly one caller do it."""
    moved = db.session.execute(
        update(Transfer)
        .where(Transfer.id == t.id, Transfer.status == "approved")
        .values(status="completed", completed_at=now)
    ).rowcount
    db.session.refresh(t)
    if moved != 1:
        return False
    why = f"组织关系转接{('（介绍信' + t.letter_no + '）') if t.letter_no else ''}"
    if t.kind == "in":
        member = Member(
            name=t.member_name,
            phone=t.member_phone,
            status=t.member_status,
            org_id=t.to_org_id,
            joined_on=t.joined_on,
        )
        member.member_since = t.effective_on
        db.session.add(member)
        db.session.flush()
        t.member_id, old, new = member.id, t.external_org_name, t.to_org.name  # type: ignore[union-attr]
    else:
        member = t.member  # type: ignore[assignment]
        old = member.org.name
        member.effective_on, member.change_reason = t.effective_on, why
        if t.kind == "internal":
            member.org_id, new = t.to_org_id, t.to_org.name  # type: ignore[assignment, union-attr]
        else:
            member.is_active, member.deactivated_at, new = False, now, t.external_org_name
    db.session.flush()
    audit_transfer(
        principal, t, "transfer.complete", now, field="org_id", old=old, new=new, reason=why
    )
    return True


def apply_due(now: datetime, limit: int = 100) -> int:
    """Scheduler: approved transfers whose effective day has come take effect."""
    ids = db.session.scalars(
        select(Transfer.id)
        .where(Transfer.status == "approved", Transfer.effective_on <= _today(now))
        .order_by(Transfer.effective_on, Transfer.id)
        .limit(limit)
    ).all()
    done = 0
    for transfer_id in ids:
        t = db.session.scalar(select(Transfer).where(Transfer.id == transfer_id).with_for_update())
        if t is not None and complete(SYSTEM, t, now):
            done += 1
    return done


def list_transfers(principal: Principal, args: dict[str, Any]) -> dict:
    """Transfers in the caller's scope (a member, or `mine`: their own), newest first;
    `direction` in/out relative to `org_id` (default the caller's scope)."""
    src, dst = aliased(Organization), aliased(Organization)
    stmt = (
        select(Transfer)
        .outerjoin(src, src.id == Transfer.from_org_id)
        .outerjoin(dst, dst.id == Transfer.to_org_id)
    )
    if args.get("mine") or not principal.is_staff:
        if principal.member_id is None:
            raise forbidden()
        stmt = stmt.where(Transfer.member_id == principal.member_id)
    else:
        paths = principal.read_paths()
        if args.get("org_id"):
            org = db.session.get(Organization, args["org_id"])
            if org is None:
                raise not_found("组织")
            principal.require_read(org)
            paths = [org.path]
        out_cond, in_cond = path_filter(src.path, paths), path_filter(dst.path, paths)
        direction = args.get("direction")
        cond = out_cond if direction == "out" else in_cond if direction == "in" else None
        stmt = stmt.where(cond if cond is not None else or_(out_cond, in_cond))
    if args.get("status"):
        stmt = stmt.where(Transfer.status == args["status"])
    page = paginate(stmt.order_by(Transfer.id.desc()), args["page"], args["per_page"])
    page["items"] = [decorate(principal, t) for t in page["items"]]
    return page


def decorate(principal: Principal, t: Transfer) -> Transfer:
    """Labels, the sides' decisions and which sides the caller may still decide."""
    done = {a.side: a for a in t.approvals}
    t.kind_label, t.status_label = KIND_LABELS[t.kind], STATUS_LABELS[t.status]
    t.from_org_name = t.from_org.name if t.from_org else t.external_org_name
    t.to_org_name = t.to_org.name if t.to_org else t.external_org_name
    t.steps = [
        {
            "side": s,
            "side_label": SIDE_LABELS[s],
            "decision": done[s].decision if s in done else None,
            "decided_by": done[s].decided_by if s in done else None,
            "decided_at": done[s].decided_at if s in done else None,
            "reason": done[s].reason if s in done else "",
        }
        for s in t.side_list
    ]
    pending = t.status == "pending"
    t.my_sides = [
        s for s in t.side_list if pending and s not in done and can_decide(principal, t, s)
    ]
    t.report_overdue = (
        bool(t.report_by and t.reported_on is None and t.report_by < _today(utcnow()))
        and t.status in REPORTING
    )
    t.can_confirm_report = (
        t.status in REPORTING
        and t.reported_on is None
        and t.to_org is not None
        and principal.can_manage_org(t.to_org)
    )
    t.can_cancel = t.status in OPEN_STATUSES and (
        (t.member_id is not None and t.member_id == principal.member_id)
        or principal.can_manage_org(t.from_org or t.to_org)  # type: ignore[arg-type]
    )
    return t


def destinations() -> list[dict[str, Any]]:
    """Branches a member may ask to move to, with their park, by name."""
    park = aliased(Organization)
    rows = db.session.execute(
        select(Organization.id, Organization.name, Organization.path)
        .where(Organization.is_active.is_(True), Organization.type.in_(DESTINATION_TYPES))
        .order_by(Organization.path)
    ).all()
    names = dict(
        db.session.execute(select(park.id, park.name).where(park.type == "general_committee")).all()
    )
    out = []
    for r in rows:
        ids = [int(p) for p in r.path.strip("/").split("/") if p]
        park_name = next((names[i] for i in ids if i in names), "")
        out.append({"id": r.id, "name": r.name, "park_name": park_name})
    return out
