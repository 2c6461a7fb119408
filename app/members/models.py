"""Member and the one-time binding invite."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Organization

MEMBER_STATUSES = ("full", "probationary", "activist", "staff")
STATUS_LABELS = {
    "full": "正式党员",
    "probationary": "预备党员",
    "activist": "入党积极分子",
    "staff": "群众",
}
GENDERS = ("male", "female")
GENDER_LABELS = {"male": "男", "female": "女"}


class Member(db.Model):
    """A person in the Party's organisation life; the subject of check-ins and points."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(f"status IN {MEMBER_STATUSES!r}", name="status"),
        Index("ix_members_org_id_active", "org_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="full")
    gender: Mapped[str | None] = mapped_column(String(8))
    joined_on: Mapped[date | None] = mapped_column(Date)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # members excused by the level above (long illness, abroad …) are not expected voters
    excused: Mapped[bool] = mapped_column(default=False)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64))
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    usual_device: Mapped[str | None] = mapped_column(String(128))
    privacy_version: Mapped[str | None] = mapped_column(String(32))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()


class InviteCode(db.Model):
    """A one-time code a secretary hands a member to bind their WeChat account."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
