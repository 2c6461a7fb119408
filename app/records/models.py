"""An attachment of an activity's meeting record: a photo or the minutes as a PDF."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class ActivityAttachment(db.Model):
    """A file of a meeting record; the bytes live under ATTACHMENT_DIR as `storage_key`."""

    __tablename__ = "activity_attachments"
    __table_args__ = (
        CheckConstraint(f"content_type IN {ATTACHMENT_TYPES!r}", name="content_type"),
        CheckConstraint("size > 0", name="size_positive"),
        Index("ix_activity_attachments_activity", "activity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    # a random name: nothing the uploader typed ever reaches the file system
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
