"""DuesRate (effective-dated brackets), DuesBase, DuesReduction, DuesPayment (append-only
ledger in fen) and DuesHandover (what a branch handed to the level above)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

CATEGORIES = ("on_job", "retired", "low_income", "fixed")
CATEGORY_LABELS = {
    "on_job": "在职",
    "retired": "离退休",
    "low_income": "学生/失业/低收入",
    "fixed": "固定金额",
}
METHODS = ("cash", "transfer", "wechat")
METHOD_LABELS = {"cash": "现金", "transfer": "转账", "wechat": "微信支付"}
REDUCTION_KINDS = ("reduce", "waive")
REDUCTION_STATUSES = ("pending", "approved", "rejected")
PAYING_STATUSES = ("full", "probationary")  # probationary members pay too


class DuesRate(db.Model):
    """One bracket of a category from a date: bases up to `upper_fen` (inclusive; NULL = no
    upper bound) pay `rate_bp` basis points of the whole base, or `fixed_fen` a month."""

    __tablename__ = "dues_rates"
    __table_args__ = (
        CheckConstraint(f"category IN {CATEGORIES!r}", name="category"),
        UniqueConstraint("category", "effective_from", "upper_fen", name="uq_dues_rates_bracket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date] = mapped_column(Date)
    upper_fen: Mapped[int | None] = mapped_column()
    rate_bp: Mapped[int | None] = mapped_column()  # 50 = 0.5 %
    fixed_fen: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuesBase(db.Model):
    """The base a secretary recorded for a member from a month on (effective-dated)."""

    __tablename__ = "dues_bases"
    __table_args__ = (
        CheckConstraint(f"category IN {CATEGORIES!r}", name="category"),
        CheckConstraint("base_fen >= 0", name="base_nonnegative"),
        UniqueConstraint("member_id", "effective_from", name="uq_dues_bases_member_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    effective_from: Mapped[date] = mapped_column(Date)  # first day of a month
    category: Mapped[str] = mapped_column(String(16))
    base_fen: Mapped[int] = mapped_column(default=0)  # income, or the fixed monthly amount
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuesReduction(db.Model):
    """A branch's request to reduce or waive a member's dues for months; the level above
    decides (dated, audited). Only approved ones change what is owed."""

    __tablename__ = "dues_reductions"
    __table_args__ = (
        CheckConstraint(f"kind IN {REDUCTION_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {REDUCTION_STATUSES!r}", name="status"),
        CheckConstraint("to_month >= from_month", name="months_ordered"),
        Index("ix_dues_reductions_member_status", "member_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(default=0)  # the reduced monthly amount (0: waived)
    from_month: Mapped[date] = mapped_column(Date)
    to_month: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(500), default="")


class DuesPayment(db.Model):
    """One ledger line: a payment for one member-month, or the reversal of one. Never updated.

    `seq` is the number of reversals the member-month had before (0, then 1 after a
    reversal …): the unique (member, month, kind, seq) key lets only one of two concurrent
    payments in, and `reverses_id` being unique lets a payment be reversed once.
    """

    __tablename__ = "dues_payments"
    __table_args__ = (
        CheckConstraint("kind IN ('payment', 'reversal')", name="kind"),
        CheckConstraint(f"method IN {METHODS!r}", name="method"),
        UniqueConstraint("member_id", "month", "kind", "seq", name="uq_dues_payments_slot"),
        Index("ix_dues_payments_org_month", "org_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))  # branch at the time
    month: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default="payment")
    seq: Mapped[int] = mapped_column(default=0)
    amount_fen: Mapped[int] = mapped_column()  # negative for a reversal
    method: Mapped[str] = mapped_column(String(10), default="cash")
    reference: Mapped[str] = mapped_column(String(64), default="")  # transfer / WeChat Pay no.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("dues_payments.id", ondelete="RESTRICT"), unique=True
    )
    note: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuesHandover(db.Model):
    """Dues a branch handed to the level above for a month (上缴)."""

    __tablename__ = "dues_handovers"
    __table_args__ = (UniqueConstraint("org_id", "month", name="uq_dues_handovers_org_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    month: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column()
    handed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
