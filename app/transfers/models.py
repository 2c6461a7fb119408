"""Transfer (组织关系转接) with its per-side approvals, MobileMembership (流动党员) with the
host's 参加活动 entries, and the secretary's contact log (失联 is no contact for six months)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import MEMBER_STATUSES, Member
from app.org.models import Organization

TRANSFER_KINDS = ("internal", "out", "in")
KIND_LABELS = {"internal": "系统内转接", "out": "转出系统外", "in": "从系统外转入"}
TRANSFER_STATUSES = ("pending", "approved", "completed", "rejected", "cancelled")
REPORTING = ("approved", "completed")  # 报到 may be confirmed (approved: before the move)
STATUS_LABELS = {
    "pending": "待审批",
    "approved": "已批准，待生效",
    "completed": "已转接",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}
OPEN_STATUSES = ("pending", "approved")
# a side of the approval: the two branches, and the two park committees when parks differ
SIDES = ("from", "to", "from_park", "to_park")
SIDE_LABELS = {
    "from": "转出支部",
    "to": "接收支部",
    "from_park": "转出方上级党委",
    "to_park": "接收方上级党委",
}
OPEN_TRANSFER = "status IN ('pending', 'approved') AND member_id IS NOT NULL"


class Transfer(db.Model):
    """A member's move out of one branch and into another (or out of / into the system).

    `sides` lists the approvals it needs, in order; it takes effect (the member's org and
    effective-dated history move) on `effective_on`, once every side approved.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(f"kind IN {TRANSFER_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {TRANSFER_STATUSES!r}", name="status"),
        CheckConstraint(f"member_status IN {MEMBER_STATUSES!r}", name="member_status"),
        CheckConstraint(
            "(kind = 'internal' AND from_org_id IS NOT NULL AND to_org_id IS NOT NULL)"
            " OR (kind = 'out' AND from_org_id IS NOT NULL AND to_org_id IS NULL)"
            " OR (kind = 'in' AND from_org_id IS NULL AND to_org_id IS NOT NULL)",
            name="ends",
        ),
        # exactly once: a member has at most one open transfer
        Index(
            "uq_transfers_open_member",
            "member_id",
            unique=True,
            sqlite_where=text(OPEN_TRANSFER),
            postgresql_where=text(OPEN_TRANSFER),
        ),
        Index("ix_transfers_from", "from_org_id", "effective_on"),
        Index("ix_transfers_to", "to_org_id", "effective_on"),
        Index("ix_transfers_due", "status", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="internal")
    # NULL only for a transfer in from outside until it takes effect (the member is created then)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # who arrives from outside: recorded on the transfer, a Member row on the effective day
    member_name: Mapped[str] = mapped_column(String(50), default="")
    member_phone: Mapped[str | None] = mapped_column(String(20))
    member_status: Mapped[str] = mapped_column(String(16), default="full")
    joined_on: Mapped[date | None] = mapped_column(Date)
    from_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    external_org_name: Mapped[str] = mapped_column(String(100), default="")
    sides: Mapped[str] = mapped_column(String(64))  # comma-separated SIDES
    status: Mapped[str] = mapped_column(String(16), default="pending")
    letter_no: Mapped[str] = mapped_column(String(50), default="")  # 介绍信编号
    effective_on: Mapped[date | None] = mapped_column(Date)  # NULL: the day it is approved
    report_by: Mapped[date | None] = mapped_column(Date)  # 报到期限
    reported_on: Mapped[date | None] = mapped_column(Date)  # the day the member reported (报到)
    reported_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    requested_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    from_org: Mapped[Organization | None] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organization | None] = relationship(foreign_keys=[to_org_id])
    approvals: Mapped[list[TransferApproval]] = relationship(
        back_populates="transfer", order_by="TransferApproval.id"
    )

    @property
    def side_list(self) -> list[str]:
        """The approvals this transfer needs, in order."""
        return [s for s in self.sides.split(",") if s]


class TransferApproval(db.Model):
    """One side's decision on a transfer; a side decides once (unique)."""

    __tablename__ = "transfer_approvals"
    __table_args__ = (
        CheckConstraint(f"side IN {SIDES!r}", name="side"),
        CheckConstraint("decision IN ('approved', 'rejected')", name="decision"),
        UniqueConstraint("transfer_id", "side", name="uq_transfer_approvals_side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    transfer: Mapped[Transfer] = relationship(back_populates="approvals")


class MobileMembership(db.Model):
    """A 流动党员's registration: where they take part (a branch in the system, or an
    outside organisation by name) from `from_on` to `to_on` (inclusive; NULL: open)."""

    __tablename__ = "mobile_memberships"
    __table_args__ = (
        CheckConstraint("(host_org_id IS NOT NULL) OR (host_name <> '')", name="host"),
        CheckConstraint("to_on IS NULL OR to_on >= from_on", name="range"),
        Index("ix_mobile_memberships_member", "member_id", "from_on"),
        Index("ix_mobile_memberships_host", "host_org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    host_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    host_name: Mapped[str] = mapped_column(String(100), default="")  # outside organisation
    place: Mapped[str] = mapped_column(String(100), default="")  # 外出地点
    from_on: Mapped[date] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    registered_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    host_org: Mapped[Organization | None] = relationship()


class MobileParticipation(db.Model):
    """A 参加活动 entry from the host for a mobile member, on a day of the registration; it
    counts as taking part for the six-month rule. One entry per registration and day."""

    __tablename__ = "mobile_participations"
    __table_args__ = (
        UniqueConstraint("membership_id", "held_on", name="uq_mobile_participations_day"),
        Index("ix_mobile_participations_member", "member_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("mobile_memberships.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberContact(db.Model):
    """The secretary's contact log: a member reached on a day (phone, visit, message)."""

    __tablename__ = "member_contacts"
    __table_args__ = (Index("ix_member_contacts_member", "member_id", "contacted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    contacted_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16), default="phone")
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CONTACT_METHODS = ("phone", "visit", "message", "other")
CONTACT_LABELS = {"phone": "电话", "visit": "走访", "message": "消息", "other": "其他"}
