"""A branch's yearly review (民主评议党员): self-assessments, peer ratings, the branch's
decision per member with its configured grades, and the follow-up of a failing grade."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.activities.models import Activity
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization

DEFAULT_GRADES = ["优秀", "合格", "基本合格", "不合格"]
ROUND_STATUSES = ("open", "closed")


class ReviewRound(db.Model):
    """One branch's review of one year; `grades` best first, the last one failing."""

    __tablename__ = "review_rounds"
    __table_args__ = (
        UniqueConstraint("org_id", "year", name="uq_review_rounds_org_year"),
        CheckConstraint(f"status IN {ROUND_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    year: Mapped[int] = mapped_column()
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    grades: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship()
    activity: Mapped[Activity | None] = relationship()


class ReviewSelf(db.Model):
    """A member's self-assessment (自我评价), once per round (edited until the close)."""

    __tablename__ = "review_selves"
    __table_args__ = (UniqueConstraint("round_id", "member_id", name="uq_review_selves"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReviewRating(db.Model):
    """One member's rating of another (互评): one per rater, ratee and round."""

    __tablename__ = "review_ratings"
    __table_args__ = (
        UniqueConstraint("round_id", "rater_id", "ratee_id", name="uq_review_ratings"),
        CheckConstraint("rater_id <> ratee_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    ratee_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str] = mapped_column(String(16))


class ReviewDecision(db.Model):
    """The branch's grade for a member; a failing grade's 限期改正 and its outcome."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("round_id", "member_id", name="uq_review_decisions"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date] = mapped_column(Date)
    correction_deadline: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(500))
    outcome_on: Mapped[date | None] = mapped_column(Date)

    member: Mapped[Member] = relationship()
