"""PointRule (editable data), PointLedger (append-only), MemberPoints (running total) and
MemberPointPeriod (totals per week, month, year and all time, for rankings)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class PointRule(db.Model):
    """Points per action and the per-day caps; inactive rules award nothing."""

    __tablename__ = "point_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column()
    daily_count_cap: Mapped[int | None] = mapped_column()
    daily_minute_cap: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PointLedger(db.Model):
    """One award or adjustment; never updated or deleted. The idempotency key is unique."""

    __tablename__ = "point_ledger"
    __table_args__ = (
        Index("ix_point_ledger_member_day_action", "member_id", "day", "action"),
        Index("ix_point_ledger_source", "source_type", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("point_rules.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    delta: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(200), default="")
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int | None] = mapped_column()
    day: Mapped[date] = mapped_column(Date)  # Asia/Shanghai day of the award (caps, rankings)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberPoints(db.Model):
    """A member's balance, kept in step with the ledger in the same transaction."""

    __tablename__ = "member_points"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    total: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


PERIOD_KINDS = ("week", "month", "year", "all")


class MemberPointPeriod(db.Model):
    """A member's points in one period, kept in step with the ledger in the same transaction.

    `branch_id` and `park_id` are the member's branch and park (NULL while the member is
    inactive), so a rank is one COUNT over an index: (kind, key, park, points > mine).
    """

    __tablename__ = "member_point_periods"
    __table_args__ = (
        Index(
            "ix_member_point_periods_park_rank", "period_kind", "period_key", "park_id", "points"
        ),
        Index(
            "ix_member_point_periods_branch_rank",
            "period_kind",
            "period_key",
            "branch_id",
            "points",
        ),
    )

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(10), primary_key=True)  # 2030-W20, 2030-05 …
    points: Mapped[int] = mapped_column(default=0)
    branch_id: Mapped[int | None] = mapped_column()
    park_id: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
