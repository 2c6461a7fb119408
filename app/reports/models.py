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
