"""An applicant's path (one row per person, following the Member) and the half-year
assessments of an activist."""

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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization

STAGES = ("applicant", "activist", "candidate", "probationary", "full", "cancelled")
STAGE_LABELS = {
    "applicant": "入党申请人",
    "activist": "入党积极分子",
    "candidate": "发展对象",
    "probationary": "预备党员",
    "full": "正式党员",
    "cancelled": "已取消",
}
JOB_CATEGORIES = ("frontline", "technical", "management", "other")
JOB_LABELS = {
    "frontline": "生产一线",
    "technical": "专业技术",
    "management": "经营管理",
    "other": "其他",
}


class Applicant(db.Model):
    """A person on the way into the Party: the dates and documents of each stage."""

    __tablename__ = "applicants"
    __table_args__ = (
        CheckConstraint(f"stage IN {STAGES!r}", name="stage"),
        CheckConstraint(f"job_category IN {JOB_CATEGORIES!r}", name="job_category"),
        Index("ix_applicants_org_stage", "org_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    stage: Mapped[str] = mapped_column(String(16), default="applicant")
    job_category: Mapped[str] = mapped_column(String(16), default="other")
    birth_date: Mapped[date] = mapped_column(Date)
    applied_on: Mapped[date] = mapped_column(Date)
    talk_on: Mapped[date | None] = mapped_column(Date)
    activist_on: Mapped[date | None] = mapped_column(Date)
    contact_ids: Mapped[list | None] = mapped_column(JSON)  # 培养联系人
    candidate_on: Mapped[date | None] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date)  # 政治审查
    training_days: Mapped[float | None] = mapped_column(Float)
    training_hours: Mapped[float | None] = mapped_column(Float)
    introducer_ids: Mapped[list | None] = mapped_column(JSON)  # 入党介绍人
    notice_from: Mapped[date | None] = mapped_column(Date)  # 公示
    notice_days: Mapped[int | None] = mapped_column()
    admission_vote_id: Mapped[int | None] = mapped_column(
        ForeignKey("votes.id", ondelete="SET NULL")
    )
    admitted_on: Mapped[date | None] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date)
    pledge_on: Mapped[date | None] = mapped_column(Date)
    extended_until: Mapped[date | None] = mapped_column(Date)
    confirmation_vote_id: Mapped[int | None] = mapped_column(
        ForeignKey("votes.id", ondelete="SET NULL")
    )
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()
    org: Mapped[Organization] = relationship()
    assessments: Mapped[list[ApplicantAssessment]] = relationship(
        order_by="ApplicantAssessment.assessed_on", cascade="all, delete-orphan"
    )


class ApplicantAssessment(db.Model):
    """An activist's assessment for one half year (once per half: the key)."""

    __tablename__ = "applicant_assessments"
    __table_args__ = (UniqueConstraint("applicant_id", "half", name="uq_applicant_assessments"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="CASCADE"))
    half: Mapped[str] = mapped_column(String(8))
    assessed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
