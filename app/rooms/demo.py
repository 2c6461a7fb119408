"""The demo park's Party–masses centre (issue 21): three rooms and a few bookings in the
current week. `seed_demo_rooms(park_name, now)` adds nothing when the park has rooms."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.org.models import Organization
from app.rooms.models import Booking, Room
from app.timeutil import local_day, local_tz

ROOMS = [
    # name, capacity, equipment, weekdays, opens, closes, needs approval
    ("多功能厅", 80, ["投影仪", "音响", "话筒"], [1, 2, 3, 4, 5, 6, 7], (8, 30), (21, 0), False),
    ("党员活动室", 30, ["电视", "白板"], [1, 2, 3, 4, 5, 6], (8, 30), (18, 0), False),
    ("报告厅", 150, ["LED屏", "音响", "同声传译"], [1, 2, 3, 4, 5], (9, 0), (17, 30), True),
]
# room index, weekday, start, end, title, attendance, status
BOOKINGS = [
    (0, 1, (9, 0), (11, 0), "主题党日：重温入党誓词", 25, "approved"),
    (0, 3, (14, 0), (16, 0), "企业职工技能培训", 40, "approved"),
    (1, 2, (16, 0), (17, 30), "党小组学习", 12, "approved"),
    (1, 4, (9, 30), (11, 30), "支委会", 7, "approved"),
    (2, 5, (14, 0), (17, 0), "园区营商环境政策宣讲", 120, "pending"),
]


def seed_demo_rooms(park_name: str, now: datetime) -> bool:
    """Create the centre's rooms and this week's bookings unless the park has rooms."""
    park = db.session.scalar(select(Organization).where(Organization.name == park_name))
    if park is None or db.session.scalar(select(Room.id).where(Room.org_id == park.id).limit(1)):
        return False
    branches = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.type == "branch", Organization.path.like(park.path + "%"))
            .order_by(Organization.path)
        )
    )
    rooms = []
    for name, capacity, equipment, days, opens, closes, approval in ROOMS:
        room = Room(
            org_id=park.id,
            name=name,
            place="园区党群服务中心",
            capacity=capacity,
            equipment=equipment,
            open_weekdays=days,
            opens_at=time(*opens),
            closes_at=time(*closes),
            needs_approval=approval,
            created_at=now,
        )
        db.session.add(room)
        rooms.append(room)
    db.session.flush()
    today = local_day(now)
    monday = today - timedelta(days=today.isoweekday() - 1)
    for i, (r, weekday, start, end, title, attendance, status) in enumerate(BOOKINGS):
        day = monday + timedelta(days=weekday - 1)
        org = branches[i % len(branches)] if branches else park
        db.session.add(
            Booking(
                room_id=rooms[r].id,
                org_id=org.id,
                title=title,
                attendance=attendance,
                starts_at=datetime.combine(day, time(*start), local_tz()),
                ends_at=datetime.combine(day, time(*end), local_tz()),
                status=status,
                booked_by="演示数据",
                created_at=now,
            )
        )
    db.session.flush()
    return True
