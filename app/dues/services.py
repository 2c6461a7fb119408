"""Recording dues: bases, payments (exactly once per idempotency key and per member-month),
audited reversals, reductions decided by the level above, and hand-overs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit import services as audit
from app.auth import Principal
from app.dues.models import (
    PAYING_STATUSES,
    DuesBase,
    DuesHandover,
    DuesPayment,
    DuesReduction,
)
from app.dues.rules import month_start, yuan
from app.dues.sheet import PAID, UNPAID, WAIVED, compute
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.org.services import get_org


def managed_member(principal: Principal, member_id: int) -> Member:
    """A member the caller manages (their org's subtree); 404 when absent."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    if not principal.can_manage_org(member.org):
        raise forbidden("无权管理该党员的党费")
    return member


def set_base(principal: Principal, member_id: int, data: dict[str, Any], now: datetime):
    """Record a member's dues base from a month on (the same month again replaces it, audited)."""
    member = managed_member(principal, member_id)
    if member.status not in PAYING_STATUSES:
        raise APIError(422, "dues.not_a_payer", "只有正式党员和预备党员交纳党费", {})
    month = month_start(data["effective_from"])
    row = db.session.scalar(
        select(DuesBase).where(DuesBase.member_id == member.id, DuesBase.effective_from == month)
    )
    old = f"{row.category}:{yuan(row.base_fen)}" if row else None
    if row is None:
        row = DuesBase(member_id=member.id, effective_from=month)
        db.session.add(row)
    row.category, row.base_fen = data["category"], data["base_fen"]
    row.note, row.recorded_by = data.get("note", ""), audit.actor_name(principal)[:64]
    db.session.flush()
    audit.record(
        principal,
        action="dues.base",
        entity_type="dues_base",
        entity_id=row.id,
        org_id=member.org_id,
        member_id=member.id,
        now=now,
        field=f"{month:%Y-%m}",
        old=old,
        new=f"{row.category}:{yuan(row.base_fen)}",
        reason=row.note,
    )
    return row


def list_bases(principal: Principal, member_id: int) -> list[DuesBase]:
    """A member's bases, newest first (the member themselves, or staff over them)."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise not_found("党员")
    if principal.member_id != member.id and not (
        principal.is_staff and principal.can_read_org(member.org)
    ):
        raise forbidden("无权查看该党员的党费")
    return list(
        db.session.scalars(
            select(DuesBase)
            .where(DuesBase.member_id == member.id)
            .order_by(DuesBase.effective_from.desc())
        )
    )


def _existing(key: str) -> DuesPayment | None:
    return db.session.scalar(select(DuesPayment).where(DuesPayment.idempotency_key == key))


def _pay_one(principal, member: Member, month: date, data, key: str, now: datetime):
    """One member-month: (payment, created). A replayed key answers the first payment."""
    found = _existing(key)
    if found is not None:
        if found.member_id != member.id or found.month != month:
            raise APIError(409, "dues.key_reused", "该提交编号已用于其他缴费", {"key": key})
        return found, False
    figure = compute([member.id], [month])[(member.id, month)]
    if figure.status == PAID:
        # the payment seen may be a concurrent twin of this very submission, committed after
        # the first look for the key: a replay answers the first payment, never "already paid"
        found = _existing(key)
        if found is not None and found.member_id == member.id and found.month == month:
            return found, False
        raise APIError(
            409,
            "dues.already_paid",
            f"{member.name} {month:%Y年%m月}的党费已交",
            {"member_id": member.id, "month": f"{month:%Y-%m}"},
        )
    if figure.base_fen is None:
        raise APIError(
            422,
            "dues.no_base",
            f"{member.name}尚未核定党费基数",
            {"member_id": member.id, "month": f"{month:%Y-%m}"},
        )
    if figure.status == WAIVED and not data.get("amount_fen"):
        raise APIError(
            409,
            "dues.waived",
            f"{member.name} {month:%Y年%m月}的党费已批准免交",
            {"member_id": member.id, "month": f"{month:%Y-%m}"},
        )
    # the slot is the number of reversals so far: every payment standing at once takes the
    # same slot, so of two concurrent payments the unique key lets exactly one in (counting
    # payments instead would let a late reader take the next slot beside a fresh payment)
    seq = db.session.scalar(
        select(func.count())
        .select_from(DuesPayment)
        .where(
            DuesPayment.member_id == member.id,
            DuesPayment.month == month,
            DuesPayment.kind == "reversal",
        )
    )
    payment = DuesPayment(
        member_id=member.id,
        org_id=member.org_id,
        month=month,
        kind="payment",
        seq=seq,
        amount_fen=data.get("amount_fen") or figure.due_fen,
        method=data["method"],
        reference=data.get("reference", ""),
        note=data.get("note", ""),
        idempotency_key=key,
        recorded_by=audit.actor_name(principal)[:64],
        recorded_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError:
        # a concurrent request took the key or the member-month first: answer as it did
        found = _existing(key)
        if found is not None and found.member_id == member.id and found.month == month:
            return found, False
        raise APIError(
            409,
            "dues.already_paid",
            f"{member.name} {month:%Y年%m月}的党费已交",
            {"member_id": member.id, "month": f"{month:%Y-%m}"},
        ) from None
    return payment, True


def record_payments(principal: Principal, data: dict[str, Any], now: datetime):
    """One member pays one or several months at once; (payments, any created)."""
    member = managed_member(principal, data["member_id"])
    months = sorted({month_start(m) for m in data["months"]})
    if data.get("amount_fen") and len(months) > 1:
        raise APIError(400, "dues.amount_one_month", "指定金额时只能缴一个月", {})
    results = [
        _pay_one(principal, member, m, data, f"{data['idempotency_key']}:{m:%Y-%m}", now)
        for m in months
    ]
    db.session.flush()
    return [p for p, _ in results], any(created for _, created in results)


def record_month(principal: Principal, data: dict[str, Any], now: datetime):
    """Bulk: the listed members of a branch pay one month (all or nothing)."""
    org = get_org(data["org_id"])
    principal.require_manage(org)
    month = month_start(data["month"])
    members = db.session.scalars(select(Member).where(Member.id.in_(data["member_ids"]))).all()
    outside = sorted(
        set(data["member_ids"]) - {m.id for m in members if m.org.in_subtree_of(org.path)}
    )
    if outside:
        raise APIError(
            400, "dues.members_outside_org", "名单中有不属于该组织的党员", {"member_ids": outside}
        )
    results = [
        _pay_one(principal, m, month, data, f"{data['idempotency_key']}:{m.id}:{month:%Y-%m}", now)
        for m in sorted(members, key=lambda m: m.id)
    ]
    db.session.flush()
    return [p for p, _ in results], any(created for _, created in results)


def reverse_payment(principal: Principal, payment_id: int, reason: str, now: datetime):
    """Cancel a payment with a negative line (audited); a payment is reversed at most once."""
    payment = db.session.get(DuesPayment, payment_id)
    if payment is None or payment.kind != "payment":
        raise not_found("缴费记录")
    member = managed_member(principal, payment.member_id)
    reversal = DuesPayment(
        member_id=payment.member_id,
        org_id=payment.org_id,
        month=payment.month,
        kind="reversal",
        seq=payment.seq,
        amount_fen=-payment.amount_fen,
        method=payment.method,
        reference=payment.reference,
        reverses_id=payment.id,
        note=reason,
        idempotency_key=f"reversal:{payment.id}",
        recorded_by=audit.actor_name(principal)[:64],
        recorded_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(reversal)
    except IntegrityError:
        raise APIError(
            409, "dues.already_reversed", "该笔缴费已冲正", {"payment_id": payment.id}
        ) from None
    audit.record(
        principal,
        action="dues.reverse",
        entity_type="dues_payment",
        entity_id=payment.id,
        org_id=member.org_id,
        member_id=member.id,
        now=now,
        field=f"{payment.month:%Y-%m}",
        old=yuan(payment.amount_fen),
        new=yuan(0),
        reason=reason,
    )
    return reversal


def ledger(principal: Principal, member_id: int) -> list[DuesPayment]:
    """Every ledger line of a member, newest first (themselves, or staff over them)."""
    list_bases(principal, member_id)  # the same read check
    return list(
        db.session.scalars(
            select(DuesPayment)
            .where(DuesPayment.member_id == member_id)
            .order_by(DuesPayment.month.desc(), DuesPayment.id.desc())
        )
    )


def request_reduction(principal: Principal, data: dict[str, Any], now: datetime):
    """The branch asks the level above to reduce or waive a member's dues for months."""
    member = managed_member(principal, data["member_id"])
    first, last = month_start(data["from_month"]), month_start(data["to_month"])
    if last < first:
        raise APIError(
            400, "validation_error", "请求参数有误", {"fields": {"to_month": ["不能早于起始月份"]}}
        )
    row = DuesReduction(
        member_id=member.id,
        org_id=member.org_id,
        kind=data["kind"],
        amount_fen=0 if data["kind"] == "waive" else data.get("amount_fen", 0),
        from_month=first,
        to_month=last,
        reason=data["reason"],
        requested_by=audit.actor_name(principal)[:64],
        requested_at=now,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        principal,
        action="dues.reduction_request",
        entity_type="dues_reduction",
        entity_id=row.id,
        org_id=member.org_id,
        member_id=member.id,
        now=now,
        new=f"{row.kind}:{yuan(row.amount_fen)} {first:%Y-%m}~{last:%Y-%m}",
        reason=row.reason,
    )
    return row


def decide_reduction(principal: Principal, reduction_id: int, data: dict[str, Any], now):
    """The level above the member's branch approves or rejects a reduction (audited, dated)."""
    row = db.session.get(DuesReduction, reduction_id)
    if row is None:
        raise not_found("减免申请")
    org = db.session.get(Organization, row.org_id)
    if not principal.can_read_org(org) or not principal.is_staff:
        raise not_found("减免申请")
    above = org.parent if org.type != "group" else (org.parent.parent if org.parent else None)
    if above is None or not principal.can_manage_org(above):
        raise forbidden("党费减免须由上级党组织批准")
    if row.status != "pending":
        raise APIError(409, "dues.reduction_decided", "该申请已处理", {"status": row.status})
    row.status = "approved" if data["approve"] else "rejected"
    row.decided_by, row.decided_at = audit.actor_name(principal)[:64], now
    row.decision_note = data.get("note", "")
    audit.record(
        principal,
        action="dues.reduction_decision",
        entity_type="dues_reduction",
        entity_id=row.id,
        org_id=row.org_id,
        member_id=row.member_id,
        now=now,
        old="pending",
        new=row.status,
        reason=row.decision_note,
    )
    db.session.flush()
    return row


def list_reductions(principal: Principal, org_id: int | None, status: str | None):
    """Reduction requests of orgs the caller reads (staff), newest first."""
    from app.auth import path_filter

    stmt = (
        select(DuesReduction)
        .join(Organization, Organization.id == DuesReduction.org_id)
        .where(path_filter(Organization.path, principal.read_paths()))
    )
    if org_id is not None:
        org = get_org(org_id)
        principal.require_read(org)
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    if status:
        stmt = stmt.where(DuesReduction.status == status)
    return list(db.session.scalars(stmt.order_by(DuesReduction.id.desc()).limit(500)))


def record_handover(principal: Principal, data: dict[str, Any], now: datetime) -> DuesHandover:
    """A branch records what it handed to the level above for a month (once per month)."""
    org = get_org(data["org_id"])
    principal.require_manage(org)
    month = month_start(data["month"])
    row = DuesHandover(
        org_id=org.id,
        month=month,
        amount_fen=data["amount_fen"],
        handed_on=data["handed_on"],
        note=data.get("note", ""),
        recorded_by=audit.actor_name(principal)[:64],
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise APIError(
            409, "dues.handover_exists", "该月上缴记录已存在", {"month": f"{month:%Y-%m}"}
        ) from None
    return row


def owed_summary(member: Member, months: list[date]) -> dict[str, Any]:
    """A member's months with due, paid and status; what is owed now."""
    figures = compute([member.id], months)
    rows = [figures[(member.id, m)] for m in months]
    unpaid = [r for r in rows if r.status == UNPAID]
    return {
        "months": rows,
        "owed_fen": sum(r.due_fen for r in unpaid),
        "owed_months": [r.month for r in unpaid],
    }


def set_rates(principal: Principal, data: dict[str, Any], now: datetime) -> list:
    """Admin: a category's brackets from a month on (data, effective-dated; never edited)."""
    from app.dues.models import DuesRate

    if not principal.is_admin:
        raise forbidden("党费标准仅限系统管理员设置")
    brackets = sorted(data["brackets"], key=lambda b: (b["upper_fen"] is None, b["upper_fen"] or 0))
    if brackets[-1]["upper_fen"] is not None or any(b["upper_fen"] is None for b in brackets[:-1]):
        raise APIError(400, "dues.brackets_open_end", "最后一档须不设上限，其余各档须设上限", {})
    if any((b["rate_bp"] is None) == (b["fixed_fen"] is None) for b in brackets):
        raise APIError(400, "dues.bracket_amount", "每档须且只能设置比例或固定金额之一", {})
    month = month_start(data["effective_from"])
    rows = [
        DuesRate(category=data["category"], effective_from=month, created_at=now, **b)
        for b in brackets
    ]
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
    except IntegrityError:
        raise APIError(409, "dues.rates_exist", "该月起的标准已存在", {}) from None
    return rows


def rates_in_force(month: date) -> list[dict[str, Any]]:
    """Every category's brackets in force on a month."""
    from app.dues.rules import DEFAULT_BRACKETS, brackets_for

    return [
        {"category": c, "effective_from": month, **vars(b)}
        for c in DEFAULT_BRACKETS
        for b in brackets_for(c, month)
    ]
