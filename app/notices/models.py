"""Notice and NoticeReceipt (one per audience member, unique: read and confirmed once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Organization

AUDIENCES = ("subtree", "orgs", "members")


class Notice(db.Model):
    """A notice posted by an org's committee or secretary to an audience."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="audience"),
        Index("ix_notices_org_publish", "org_id", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))  # the sender's org
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # [{name, url}]
    audience: Mapped[str] = mapped_column(String(16), default="subtree")
    audience_org_ids: Mapped[list] = mapped_column(JSON, default=list)
    audience_member_ids: Mapped[list] = mapped_column(JSON, default=list)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pinned: Mapped[bool] = mapped_column(default=False)
    needs_confirmation: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # inbox rows written
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the one reminder sent
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()


class NoticeReceipt(db.Model):
    """One audience member of a notice: when they read it and confirmed it (each at most once)."""

    __tablename__ = "notice_receipts"
    __table_args__ = (
        UniqueConstraint("notice_id", "member_id", name="uq_notice_receipts_notice_member"),
        Index("ix_notice_receipts_member", "member_id", "notice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
