"""Assignment (instructor or contact ↔ enterprise) and Visit (one visit's log)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member
from app.org.models import Enterprise

ASSIGNMENT_KINDS = ("instructor", "contact")
ASSIGNMENT_LABELS = {"instructor": "党建指导员", "contact": "联系领导"}


class Assignment(db.Model):
    """A member sent to an enterprise as its 党建指导员, or a park leader's 联系点."""

    __tablename__ = "instructor_assignments"
    __table_args__ = (
        CheckConstraint(f"kind IN {ASSIGNMENT_KINDS!r}", name="kind"),
        UniqueConstraint(
            "enterprise_id", "member_id", "kind", "since", name="uq_assignments_spell"
        ),
        Index("ix_instructor_assignments_member", "member_id", "until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="instructor")
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)  # NULL while current
    assigned_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped[Enterprise] = relationship()
    member: Mapped[Member] = relationship()


class Visit(db.Model):
    """An instructor's visit to an enterprise: who was met, topics, problems, follow-up."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_enterprise_day", "enterprise_id", "visited_on"),
        Index("ix_visits_member_day", "member_id", "visited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    visited_on: Mapped[date] = mapped_column(Date)
    people_met: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped[Enterprise] = relationship()
    member: Mapped[Member] = relationship()
