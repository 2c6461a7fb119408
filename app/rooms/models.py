"""Room (a room of the park's Party–masses centre) and Booking (a slot of it).

No two live bookings of a room overlap: PostgreSQL enforces it with an exclusion constraint
created in the migration (btree_gist, over `tsrange(starts_at, ends_at)`, half-open so a
booking may start when the previous one ends); SQLite with a check under the write lock
every SQLite transaction takes up front (app.db.tune_sqlite).
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Time, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Enterprise, Organization

BOOKING_STATUSES = ("pending", "approved", "rejected", "cancelled")
LIVE_STATUSES = ("pending", "approved")  # these hold the slot
BOOKING_STATUS_LABELS = {
    "pending": "待审批",
    "approved": "已预约",
    "rejected": "未通过",
    "cancelled": "已取消",
}
EXCLUSION_NAME = "ex_bookings_room_overlap"
ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]  # ISO weekdays, Monday = 1


class Room(db.Model):
    """A room of the centre, owned by a park org; open on some weekdays in a daily window."""

    __tablename__ = "rooms"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("closes_at > opens_at", name="hours"),
        Index("uq_rooms_org_name", "org_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100), default="")  # e.g. 党群服务中心二楼
    capacity: Mapped[int]
    equipment: Mapped[list] = mapped_column(JSON, default=list)
    open_weekdays: Mapped[list] = mapped_column(JSON, default=lambda: list(ALL_WEEKDAYS))
    opens_at: Mapped[time] = mapped_column(Time)  # local wall time (Asia/Shanghai)
    closes_at: Mapped[time] = mapped_column(Time)
    needs_approval: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship()

    @property
    def location(self) -> str:
        """What an activity held here shows as its location."""
        return f"{self.place} {self.name}".strip()


class Booking(db.Model):
    """An org's slot in a room, for an activity or a plain purpose."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES!r}", name="status"),
        CheckConstraint("ends_at > starts_at", name="order"),
        CheckConstraint("attendance >= 1", name="attendance"),
        Index("ix_bookings_room_starts", "room_id", "starts_at"),
        Index("ix_bookings_org_starts", "org_id", "starts_at"),
        # an activity holds at most one live booking
        Index(
            "uq_bookings_live_activity",
            "activity_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'approved')"),
            postgresql_where=text("status IN ('pending', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL")
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    attendance: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    booked_by: Mapped[str] = mapped_column(String(64), default="")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship()
    org: Mapped[Organization] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
