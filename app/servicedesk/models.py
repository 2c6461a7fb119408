"""Staff light accounts, their invites, requests and ratings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Enterprise, Organization

KINDS = ("appeal", "suggestion", "appointment")
KIND_LABELS = {"appeal": "职工诉求", "suggestion": "建言献策", "appointment": "服务预约"}
# the 发展服务团's teams an appointment is made with
TEAMS = ("legal", "finance", "tech", "banking", "talent")
TEAM_LABELS = {
    "legal": "法律服务团",
    "finance": "财务服务团",
    "tech": "科技服务团",
    "banking": "金融服务团",
    "talent": "人才服务团",
}
STATUSES = ("received", "in_progress", "resolved", "declined")
STATUS_LABELS = {
    "received": "已受理",
    "in_progress": "办理中",
    "resolved": "已解决",
    "declined": "不予办理",
}
CLOSED = ("resolved", "declined")


class StaffAccount(db.Model):
    """A park enterprise's employee without a Party role: may file and read their own requests."""

    __tablename__ = "servicedesk_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # the account's identity across invites: a second invite for the same phone binds it again
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()


class StaffInvite(db.Model):
    """A one-time code that binds a phone browser to a staff account."""

    __tablename__ = "servicedesk_staff_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("servicedesk_staff.id", ondelete="CASCADE"), index=True
    )
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[StaffAccount] = relationship()


class Request(db.Model):
    """One 诉求, 建言 or 服务预约, from a member or a staff account, routed to a handler."""

    __tablename__ = "service_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"team IS NULL OR team IN {TEAMS!r}", name="team"),
        CheckConstraint(
            "(submitter_member_id IS NULL) <> (submitter_staff_id IS NULL)", name="one_submitter"
        ),
        Index("ix_service_requests_org_created", "org_id", "created_at"),
        Index("ix_service_requests_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True
    )
    # where it is handled: the enterprise's covering branch, else its park, else the member's org
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    submitter_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    submitter_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("servicedesk_staff.id", ondelete="SET NULL"), index=True
    )
    # "<identity>:<client key>": a retried submission finds the first one (exactly once)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    handler_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    routed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()


class RequestRating(db.Model):
    """The submitter's rating of the answer: one per request, ever (the unique key)."""

    __tablename__ = "service_request_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
