"""Member and the one-time binding invite."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
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
# Party members in the sense of the rules (quorum base, branch size, the six-month rule)
PARTY_STATUSES = ("full", "probationary")
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
    # a cache of "excused today"; the dated record is MemberExcusal
    excused: Mapped[bool] = mapped_column(default=False)
    # when the probation (预备期) began; 转正 is due a year later
    probation_started_on: Mapped[date | None] = mapped_column(Date)
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


OPEN_HISTORY = "valid_to IS NULL"


class MemberHistory(db.Model):
    """Where a member belonged and with which status, from `valid_from` (inclusive; NULL:
    before any record) to `valid_to` (exclusive; NULL: still). A member who left has no
    open row. Written by app.members.history whenever org, status or is_active change."""

    __tablename__ = "member_history"
    __table_args__ = (
        CheckConstraint(f"status IN {MEMBER_STATUSES!r}", name="status"),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from", name="valid_range"
        ),
        Index("ix_member_history_member", "member_id", "valid_from"),
        Index("ix_member_history_org", "org_id"),
        Index(
            "uq_member_history_open",
            "member_id",
            unique=True,
            sqlite_where=text(OPEN_HISTORY),
            postgresql_where=text(OPEN_HISTORY),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    org: Mapped[Organization] = relationship()


class MemberExcusal(db.Model):
    """An excusal from organisation life (long illness, work abroad …) decided by the level
    above the branch, for days `from_on` to `to_on` (inclusive; NULL: open)."""

    __tablename__ = "member_excusals"
    __table_args__ = (
        CheckConstraint(
            "to_on IS NULL OR from_on IS NULL OR to_on >= from_on", name="excusal_range"
        ),
        Index("ix_member_excusals_member", "member_id", "from_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    from_on: Mapped[date | None] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
