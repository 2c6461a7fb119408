"""EnterpriseProfile (the five clears, one per enterprise) and EnterpriseChange (history)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

OPERATING = ("normal", "suspended", "closed", "moved_out")
OPERATING_LABELS = {
    "normal": "正常经营",
    "suspended": "停产",
    "closed": "注销",
    "moved_out": "迁出",
}
ORG_STATUSES = ("standalone", "joint", "affiliated", "dispatched", "none")
ORG_STATUS_LABELS = {
    "standalone": "单独建立",
    "joint": "联合建立",
    "affiliated": "挂靠",
    "dispatched": "派驻指导员",
    "none": "未建立",
}


class EnterpriseProfile(db.Model):
    """The five clears (五清) of an enterprise, kept current by the park (动态管理)."""

    __tablename__ = "enterprise_profiles"
    __table_args__ = (
        CheckConstraint(f"operating_status IN {OPERATING!r}", name="operating_status"),
        CheckConstraint(f"party_org_status IN {ORG_STATUSES!r}", name="party_org_status"),
        CheckConstraint("full_members <= party_members", name="full_within_members"),
    )

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    operating_status: Mapped[str] = mapped_column(String(16), default="normal")  # 经营运行情况
    operating_note: Mapped[str] = mapped_column(String(500), default="")
    staff_note: Mapped[str] = mapped_column(String(500), default="")  # 职工队伍情况
    party_members: Mapped[int] = mapped_column(default=0)  # 党员队伍情况: members among staff
    full_members: Mapped[int] = mapped_column(default=0)  # of which full (正式) members
    investor_name: Mapped[str] = mapped_column(String(50), default="")  # 出资人(负责人)情况
    investor_is_member: Mapped[bool] = mapped_column(default=False)
    party_org_status: Mapped[str] = mapped_column(String(16), default="none")  # 建立党组织情况
    entered_on: Mapped[date | None] = mapped_column(Date)  # entered the park
    last_checked_on: Mapped[date | None] = mapped_column(Date)  # the ledger last verified
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EnterpriseChange(db.Model):
    """One field's change on an enterprise or its profile: who, when, old → new, why."""

    __tablename__ = "enterprise_changes"
    __table_args__ = (Index("ix_enterprise_changes_enterprise", "enterprise_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(500))
    new_value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(200), default="")
    changed_by: Mapped[str] = mapped_column(String(64), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
