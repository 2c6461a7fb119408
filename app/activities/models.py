"""Activity and its invitations, Attendance (one per member and activity), leave and make-up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.timeutil import local_day

ACTIVITY_TYPES = (
    "general_meeting",
    "committee_meeting",
    "group_meeting",
    "party_lecture",
    "theme_day",
    "life_meeting",
    "democratic_review",
    "heart_talk",
    "volunteer",
    "training",
    "other",
)
ACTIVITY_TYPE_LABELS = {
    "general_meeting": "支部党员大会",
    "committee_meeting": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "theme_day": "主题党日",
    "life_meeting": "组织生活会",
    "democratic_review": "民主评议党员",
    "heart_talk": "谈心谈话",
    "volunteer": "志愿服务",
    "training": "培训",
    "other": "其他活动",
}
ACTIVITY_STATUSES = ("draft", "published", "cancelled")
ACTIVITY_STATUS_LABELS = {"draft": "草稿", "published": "已发布", "cancelled": "已取消"}
PHASE_LABELS = {
    "upcoming": "未开始签到",
    "checkin_open": "签到中",
    "in_progress": "进行中",
    "ended": "已结束",
}

ATTENDANCE_STATUSES = ("present", "late", "leave", "absent", "makeup")
# statuses of the sheet: the stored ones plus `pending` (the window has not closed yet)
SHEET_STATUS_LABELS = {
    "present": "已签到",
    "late": "迟到",
    "leave": "请假",
    "absent": "缺席",
    "makeup": "补签",
    "pending": "未签到",
}
ATTENDED = frozenset({"present", "late", "makeup"})
# activists (入党积极分子) are expected at these types as well as Party members
ACTIVIST_TYPES = frozenset({"party_lecture", "training", "volunteer", "other"})
CHECKIN_METHODS = ("qr", "code", "scan", "manual")

REQUEST_KINDS = ("leave", "makeup")
REQUEST_STATUSES = ("pending", "approved", "rejected")
REQUEST_STATUS_LABELS = {"pending": "待审批", "approved": "已批准", "rejected": "未批准"}
OPEN_REQUEST = "status IN ('pending', 'approved')"

activity_invited_orgs = Table(
    "activity_invited_orgs",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)

activity_invited_members = Table(
    "activity_invited_members",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
)


class Activity(db.Model):
    """An organisation-life activity (三会一课, 主题党日 …) with its check-in window."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(f"type IN {ACTIVITY_TYPES!r}", name="type"),
        CheckConstraint(f"status IN {ACTIVITY_STATUSES!r}", name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_activities_org_starts", "org_id", "starts_at"),
        Index("ix_activities_window", "checkin_opens_at", "checkin_closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the window as minutes (what the secretary sets) and as instants (what queries use)
    checkin_opens_before_minutes: Mapped[int] = mapped_column()
    checkin_closes_after_minutes: Mapped[int] = mapped_column()
    late_after_minutes: Mapped[int] = mapped_column()
    checkin_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checkin_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    geofence_lat: Mapped[float | None] = mapped_column(Float)
    geofence_lng: Mapped[float | None] = mapped_column(Float)
    geofence_radius_m: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # the record (会议记录) written after the meeting, and volunteer hours
    summary: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[list | None] = mapped_column(JSON)
    volunteer_hours: Mapped[float | None] = mapped_column(Float)
    # declared study hours (NULL: the duration, at most 8 hours a day)
    study_hours: Mapped[float | None] = mapped_column(Float)
    # the local day it is held (set from starts_at): the day history is read as of
    held_on: Mapped[date | None] = mapped_column(Date, index=True)
    # when the expected attendees were fixed (ActivityAttendee rows); NULL: not yet
    attendees_fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()
    invited_orgs: Mapped[list[Organization]] = relationship(
        secondary=activity_invited_orgs, order_by=Organization.id
    )
    invited_members: Mapped[list[Member]] = relationship(
        secondary=activity_invited_members, order_by=Member.id
    )


@event.listens_for(Activity, "before_insert")
@event.listens_for(Activity, "before_update")
def _set_held_on(mapper, connection, target: Activity) -> None:
    """The local day follows the start (history is read as of that day)."""
    if target.starts_at is not None:
        target.held_on = local_day(target.starts_at)


class Attendance(db.Model):
    """A member's attendance at an activity: at most one row per member and activity, ever."""

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("activity_id", "member_id", name="uq_attendances_activity_member"),
        CheckConstraint(f"status IN {ATTENDANCE_STATUSES!r}", name="status"),
        CheckConstraint(f"method IN {CHECKIN_METHODS!r}", name="method"),
        Index("ix_attendances_activity_checked_in", "activity_id", "checked_in_at"),
        Index("ix_attendances_member", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    device_id: Mapped[str | None] = mapped_column(String(128))
    new_device: Mapped[bool] = mapped_column(default=False)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    activity: Mapped[Activity] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class AttendanceRequest(db.Model):
    """A member's request for leave (before) or make-up (after), decided by the secretary.

    At most one open (pending or approved) request per member, activity and kind.
    """

    __tablename__ = "attendance_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN {REQUEST_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {REQUEST_STATUSES!r}", name="status"),
        Index(
            "uq_attendance_requests_open",
            "activity_id",
            "member_id",
            "kind",
            unique=True,
            sqlite_where=text(OPEN_REQUEST),
            postgresql_where=text(OPEN_REQUEST),
        ),
        Index("ix_attendance_requests_member", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    decision_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class ActivityAttendee(db.Model):
    """Who was expected at an activity and with which right, fixed when its check-in window
    closed from the history as of its day; changed afterwards only by an audited correction."""

    __tablename__ = "activity_attendees"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    member_status: Mapped[str] = mapped_column(String(16))
    voter: Mapped[bool] = mapped_column(Boolean, default=False)
    committee: Mapped[bool] = mapped_column(Boolean, default=False)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
