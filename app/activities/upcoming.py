"""The member's next activities with their own status, in one statement (the home screen)."""

from __future__ import annotations

import functools
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, bindparam, select

from app.activities.expecting import ancestor_params, expected_ids_template, status_kind
from app.activities.models import (
    ACTIVITY_TYPE_LABELS,
    PHASE_LABELS,
    SHEET_STATUS_LABELS,
    Activity,
    Attendance,
    AttendanceRequest,
)
from app.activities.services import late_at, phase
from app.auth import MemberInfo
from app.db import UTCDateTime, core_execute
from app.extensions import db
from app.org.models import Organization

_OPEN = ("pending", "approved")
# what home shows and works out (phase, late, geofence) — only these: psycopg re-parses a
# statement over 4,096 bytes on every execution, and all ~30 columns twice took it past that
_COLUMNS = (
    "id",
    "org_id",
    "type",
    "title",
    "location",
    "status",
    "starts_at",
    "ends_at",
    "checkin_opens_at",
    "checkin_closes_at",
    "late_after_minutes",
    "geofence_lat",
    "geofence_lng",
    "geofence_radius_m",
)


def upcoming_with_status(member: MemberInfo, now: datetime, limit: int) -> list[SimpleNamespace]:
    """Published activities the member is expected at that have not ended, soonest first,
    each with `my` (status, check-in time, open request) — one statement."""
    params = {"x_member_id": member.id, "x_now": now, **ancestor_params(member.org_path)}
    stmt = _statement(status_kind(member.status), len(params) - 2, limit)
    rows = core_execute(db.session, stmt, params)
    return [_shown(row, now) for row in rows.mappings()]


@functools.cache
def _statement(kind: str, depth: int, limit: int):
    """The home screen's statement, built once per status kind, org depth and limit:
    constructing its unions and subqueries per request cost more CPU than running it."""
    now = bindparam("x_now", type_=UTCDateTime())
    member_id = bindparam("x_member_id", type_=Integer())
    table = Activity.__table__
    activities = (
        select(*(table.c[name] for name in _COLUMNS), Organization.name.label("org_name"))
        .join(Organization, Organization.id == Activity.org_id)
        .where(
            Activity.status == "published",
            (Activity.ends_at > now) | (Activity.checkin_closes_at > now),
            Activity.id.in_(expected_ids_template(kind, depth)),
        )
        .order_by(Activity.starts_at, Activity.id)
        .limit(limit)
        .subquery("upcoming")
    )

    def open_request(column):  # the newest open request (scalar: SQLite has no LATERAL)
        return (
            select(column)
            .where(
                AttendanceRequest.member_id == member_id,
                AttendanceRequest.activity_id == activities.c.id,
                AttendanceRequest.status.in_(_OPEN),
            )
            .order_by(AttendanceRequest.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    return (
        select(
            activities,
            Attendance.status.label("my_status"),
            Attendance.checked_in_at.label("my_checked_in_at"),
            open_request(AttendanceRequest.id).label("request_id"),
            open_request(AttendanceRequest.kind).label("request_kind"),
            open_request(AttendanceRequest.status).label("request_status"),
        )
        .outerjoin(
            Attendance,
            (Attendance.activity_id == activities.c.id) & (Attendance.member_id == member_id),
        )
        .order_by(activities.c.starts_at, activities.c.id)
    )


def _shown(row: dict[str, Any], now: datetime) -> SimpleNamespace:
    a = SimpleNamespace(**{k: v for k, v in row.items() if not k.startswith(("my_", "request_"))})
    a.type_label = ACTIVITY_TYPE_LABELS[a.type]
    a.phase = phase(a, now)
    a.phase_label = PHASE_LABELS[a.phase]
    a.late_at = late_at(a)
    a.geofence = (
        None
        if a.geofence_lat is None
        else {"lat": a.geofence_lat, "lng": a.geofence_lng, "radius_m": a.geofence_radius_m}
    )
    on_leave = row["request_kind"] == "leave" and row["request_status"] == "approved"
    if row["my_status"] is not None:
        status = row["my_status"]
    elif on_leave:
        status = "leave"
    else:
        status = "absent" if now >= a.checkin_closes_at else "pending"
    a.my = {
        "status": status,
        "status_label": SHEET_STATUS_LABELS[status],
        "checked_in_at": row["my_checked_in_at"],
        "request": None
        if row["request_id"] is None
        else {
            "id": row["request_id"],
            "kind": row["request_kind"],
            "status": row["request_status"],
        },
    }
    return a
