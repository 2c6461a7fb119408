"""What a room's committee tells the booking org: the answer to a booking that waited for it."""

from __future__ import annotations

from datetime import datetime

from app.notify.services import Reminder
from app.org.holders import secretaries_on
from app.rooms.models import Booking
from app.timeutil import local_day, to_local


def decision_notice(booking: Booking, now: datetime) -> Reminder:
    """The booking org's secretaries learn the committee's answer in their inbox (pushed
    outside quiet hours); keyed by the booking and its decision, so it is written once."""
    approved = booking.status == "approved"
    start, end = to_local(booking.starts_at), to_local(booking.ends_at)
    body = (
        f"“{booking.title}”预约{booking.room.name} {start:%m月%d日 %H:%M}–{end:%H:%M}"
        + ("已通过，请按时使用。" if approved else "未通过。")
        + (f"审批意见：{booking.decision_note}" if booking.decision_note else "")
    )
    secretaries = secretaries_on(booking.org_id, local_day(now))
    return Reminder(
        kind="booking_decided",
        cause=f"booking:{booking.id}:{booking.status}",
        day=local_day(now),
        title="活动室预约已通过" if approved else "活动室预约未通过",
        body=body[:500],
        member_ids=secretaries,
        data={"booking_id": booking.id, "status": booking.status, "page": "/console#rooms"},
    )
