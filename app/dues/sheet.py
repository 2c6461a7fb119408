"""What is owed: per member and month, from bases, approved reductions and live payments.

A month is *owed* by an active full or probationary member who has a base in force for it;
it is *paid* when a payment for it stands (not reversed), *waived* when an approved
reduction sets it to 0, and *unpaid* otherwise. Figures are computed for a set of members
and months with four queries, whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.dues.models import PAYING_STATUSES, DuesBase, DuesPayment, DuesReduction
from app.dues.rules import RateBook
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization

PAID, UNPAID, WAIVED, NO_BASE = "paid", "unpaid", "waived", "no_base"
STATUS_LABELS = {PAID: "已交", UNPAID: "未交", WAIVED: "免交", NO_BASE: "未核定基数"}


@dataclass
class MonthDue:
    """One member-month: what is due, what stands paid, and the status."""

    member_id: int
    month: date
    category: str | None
    base_fen: int | None
    due_fen: int
    paid_fen: int
    status: str
    reduced: bool = False


def live_payments_stmt():
    """Payment rows that no reversal cancels."""
    reversed_ids = select(DuesPayment.reverses_id).where(DuesPayment.reverses_id.is_not(None))
    return select(DuesPayment).where(
        DuesPayment.kind == "payment", DuesPayment.id.not_in(reversed_ids)
    )


def compute(member_ids: list[int], months: list[date]) -> dict[tuple[int, date], MonthDue]:
    """Every (member, month) of the product, with its due, paid amount and status."""
    if not member_ids or not months:
        return {}
    first, last = min(months), max(months)
    bases: dict[int, list[DuesBase]] = defaultdict(list)
    for row in db.session.scalars(
        select(DuesBase)
        .where(DuesBase.member_id.in_(member_ids), DuesBase.effective_from <= last)
        .order_by(DuesBase.effective_from)
    ):
        bases[row.member_id].append(row)
    reductions: dict[int, list[DuesReduction]] = defaultdict(list)
    for row in db.session.scalars(
        select(DuesReduction).where(
            DuesReduction.member_id.in_(member_ids),
            DuesReduction.status == "approved",
            DuesReduction.from_month <= last,
            DuesReduction.to_month >= first,
        )
    ):
        reductions[row.member_id].append(row)
    paid: dict[tuple[int, date], int] = defaultdict(int)
    for row in db.session.scalars(
        live_payments_stmt().where(
            DuesPayment.member_id.in_(member_ids),
            DuesPayment.month >= first,
            DuesPayment.month <= last,
        )
    ):
        paid[(row.member_id, row.month)] += row.amount_fen
    book = RateBook()
    due_cache: dict[tuple[str, int, date], int] = {}
    out = {}
    for member_id in member_ids:
        for month in months:
            base = next((b for b in reversed(bases[member_id]) if b.effective_from <= month), None)
            got = paid.get((member_id, month), 0)
            if base is None:
                out[(member_id, month)] = MonthDue(member_id, month, None, None, 0, got, NO_BASE)
                continue
            key = (base.category, base.base_fen, month)
            if key not in due_cache:
                due_cache[key] = book.due(base.category, base.base_fen, month)
            due = due_cache[key]
            cut = next(
                (r for r in reductions[member_id] if r.from_month <= month <= r.to_month), None
            )
            if cut is not None:
                due = min(due, cut.amount_fen)
            if (member_id, month) in paid:
                status = PAID
            elif due == 0:
                status = WAIVED
            else:
                status = UNPAID
            out[(member_id, month)] = MonthDue(
                member_id, month, base.category, base.base_fen, due, got, status, cut is not None
            )
    return out


def paying_members(org: Organization) -> list[Member]:
    """Active full and probationary members of the org's subtree, by org then name."""
    return list(
        db.session.scalars(
            select(Member)
            .join(Organization, Organization.id == Member.org_id)
            .options(contains_eager(Member.org))  # the sheet names each member's org
            .where(
                Organization.path.like(org.path + "%"),
                Member.is_active.is_(True),
                Member.status.in_(PAYING_STATUSES),
            )
            .order_by(Organization.path, Member.id)
        )
    )


def branch_of(org: Organization, orgs_by_id: dict[int, Organization]) -> Organization:
    """The branch an org belongs to (itself, or the nearest branch above a group)."""
    if org.type != "group":
        return org
    ids = [int(x) for x in org.path.strip("/").split("/")]
    for oid in reversed(ids):
        candidate = orgs_by_id.get(oid)
        if candidate is not None and candidate.type == "branch":
            return candidate
    return org


def streak(figures: dict[tuple[int, date], MonthDue], member_id: int, months: list[date]):
    """Consecutive unpaid months ending with the last of `months`: (count, first month)."""
    count, since = 0, None
    for month in reversed(months):
        row = figures.get((member_id, month))
        if row is None or row.status != UNPAID:
            break
        count, since = count + 1, month
    return count, since
