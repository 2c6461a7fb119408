"""AuditLog: one row per manual change, never updated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

ONCE_ACTIONS = "action IN ('points.revoke', 'points.adjust')"


class AuditLog(db.Model):
    """Who changed what, when, from which value to which, and why."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        # idempotent actions are audited once: a raced retry cannot add a second row
        Index(
            "uq_audit_log_once",
            "action",
            "entity_type",
            "entity_id",
            unique=True,
            sqlite_where=text(ONCE_ACTIONS),
            postgresql_where=text(ONCE_ACTIONS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    actor_name: Mapped[str] = mapped_column(String(64), default="")  # as it was at the time
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column()
    # the org whose subtree owns the change: scopes who may read the row
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    field: Mapped[str] = mapped_column(String(32), default="")
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
