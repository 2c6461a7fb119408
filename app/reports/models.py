"""A branch's star rating (星级评定) for a year: the computed score and the final stars."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
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
