"""A branch's star rating (星级评定) for a year: the computed score and the final stars."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import false

from app.db import UTCDateTime, utcnow
from app.extensions import db


class StarRating(db.Model):
    """The stars the committee set for a branch and year (0–10), with the score it saw."""

    __tablename__ = "star_ratings"
    __table_args__ = (
        UniqueConstraint("org_id", "year", name="uq_star_ratings_org_year"),
        CheckConstraint("stars BETWEEN 0 AND 10", name="stars_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column()
    stars: Mapped[int] = mapped_column()
    computed_score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(500))
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


PERIOD_KINDS = ("month", "quarter", "year")


class ClosedPeriod(db.Model):
    """A month, quarter or year whose figures were frozen (PERIOD_CLOSE_DAYS after its end).

    `version` counts freezes: a committee reopening it re-freezes and bumps it.
    """

    __tablename__ = "closed_periods"
    __table_args__ = (
        UniqueConstraint("kind", "start", name="uq_closed_periods_kind_start"),
        CheckConstraint(f"kind IN {PERIOD_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)  # exclusive
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # a month whose members' study seconds are in FrozenStudy (months closed before that
    # table existed are computed live until `close_due_periods` fills them in)
    study_frozen: Mapped[bool] = mapped_column(default=False, server_default=false())


class FrozenFigure(db.Model):
    """A branch's figures of a closed period: compliance items, attendance, study hours."""

    __tablename__ = "frozen_figures"
    __table_args__ = (
        UniqueConstraint("period_id", "org_id", name="uq_frozen_figures_period_org"),
        Index("ix_frozen_figures_org", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("closed_periods.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    figures: Mapped[dict] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FrozenCompliance(db.Model):
    """A branch's frozen compliance items of one year's closed periods, in one row.

    The read side of FrozenFigure for the compliance matrix: a city's year is 3,000 rows of
    compact JSON text (``{"month:2025-01-01": [item, …], …}``) instead of 51,000 JSON
    documents. Written by the same freeze, in the same transaction.
    """

    __tablename__ = "frozen_compliance"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    items: Mapped[str] = mapped_column(Text)


MONTH_COLUMNS = tuple(f"m{n:02d}" for n in range(1, 13))


class FrozenStudy(db.Model):
    """A member's study seconds (reading plus attended study activities) in each closed month
    of a year, frozen with the month; 0 for a month not closed.

    The 32-hours rule over an open year is these columns for its closed months plus the open
    months computed live: a city's December reads ~55,000 rows here and two months of study
    days, not the 1.5 million study days of the year.
    """

    __tablename__ = "frozen_study"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    m01: Mapped[int] = mapped_column(default=0, server_default="0")
    m02: Mapped[int] = mapped_column(default=0, server_default="0")
    m03: Mapped[int] = mapped_column(default=0, server_default="0")
    m04: Mapped[int] = mapped_column(default=0, server_default="0")
    m05: Mapped[int] = mapped_column(default=0, server_default="0")
    m06: Mapped[int] = mapped_column(default=0, server_default="0")
    m07: Mapped[int] = mapped_column(default=0, server_default="0")
    m08: Mapped[int] = mapped_column(default=0, server_default="0")
    m09: Mapped[int] = mapped_column(default=0, server_default="0")
    m10: Mapped[int] = mapped_column(default=0, server_default="0")
    m11: Mapped[int] = mapped_column(default=0, server_default="0")
    m12: Mapped[int] = mapped_column(default=0, server_default="0")
