"""An activity held in a room of the Party–masses centre: booking it (or holding it in a slot
booked beforehand) gives the activity the room as its location; the booking follows the
activity's time and is released when the activity is cancelled or moved elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.activities.models import Activity
from app.auth import Principal
from app.rooms import services as rooms


def apply_room(
    principal: Principal,
    activity: Activity,
    data: dict[str, Any],
    now: datetime,
    expected_count: Callable[[], int],
) -> None:
    """Book, attach, move or release the activity's room as `data` asks (fields absent:
    only follow a changed time)."""
    booking_id, room_id = data.get("room_booking_id"), data.get("room_id")
    current = rooms.live_booking_of(activity.id)
    if booking_id is not None:
        if current is not None and current.id != booking_id:
            rooms.release_for_activity(activity.id, "活动改用其他预约", now)
        rooms.attach_booking(principal, activity, booking_id)
    elif room_id is not None:
        if current is not None and current.room_id == room_id:
            rooms.follow_activity(activity, now)
            return
        if current is not None:
            rooms.release_for_activity(activity.id, "活动改用其他活动室", now)
        attendance = data.get("room_attendance") or expected_count()
        rooms.book_for_activity(principal, activity, room_id, attendance, now)
    elif "room_id" in data or "room_booking_id" in data:
        if current is not None:  # an explicit null: the activity no longer uses a room
            rooms.release_for_activity(activity.id, "活动不再使用该活动室", now)
    elif current is not None:
        rooms.follow_activity(activity, now)
    attach_room(activity)


def attach_room(activity: Activity) -> Activity:
    """Set `room_booking` (the live booking's room and status, or None) for display."""
    booking = rooms.live_booking_of(activity.id)
    activity.room_booking = (
        None
        if booking is None
        else {
            "booking_id": booking.id,
            "room_id": booking.room_id,
            "room_name": booking.room.name,
            "status": booking.status,
            "starts_at": booking.starts_at,
            "ends_at": booking.ends_at,
        }
    )
    return activity


def release(activity: Activity, reason: str, now: datetime) -> None:
    """A cancelled activity gives its room back."""
    rooms.release_for_activity(activity.id, reason or "活动取消", now)
