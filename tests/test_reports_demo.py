"""Issue 6 tried as a new user on the demo park: the matrix, a hand count, the Excel file."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from app.activities.models import ATTENDED, Activity, Attendance, AttendanceRequest
from app.activities.services import expected_members
from app.demo import seed_demo_park
from app.extensions import db
from app.org.models import Organization
from app.timeutil import local_tz

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def _login(client, username):
    token = client.post(
        "/api/v1/auth/login", json={"username": username, "password": "demo12345"}
    ).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _hand_count(now):
    """Count every published activity's attendees in plain Python over the stored rows."""
    counts = {"expected": 0, "attended": 0, "leave": 0, "absent": 0}
    for activity in db.session.scalars(select(Activity).where(Activity.status == "published")):
        if activity.starts_at.astimezone(local_tz()).year != 2026:
            continue
        rows = {
            a.member_id: a.status
            for a in db.session.scalars(
                select(Attendance).where(Attendance.activity_id == activity.id)
            )
        }
        leave = set(
            db.session.scalars(
                select(AttendanceRequest.member_id).where(
                    AttendanceRequest.activity_id == activity.id,
                    AttendanceRequest.kind == "leave",
                    AttendanceRequest.status == "approved",
                )
            )
        )
        for member in expected_members(activity):
            counts["expected"] += 1
            status = rows.get(member.id)
            if status in ATTENDED:
                counts["attended"] += 1
            elif status == "leave" or (status is None and member.id in leave):
                counts["leave"] += 1
            elif status == "absent" or (status is None and activity.checkin_closes_at <= now):
                counts["absent"] += 1
    return counts


def test_demo_park_reports_match_a_hand_count_and_export(app, client):
    assert seed_demo_park(progress=False, now=NOW)
    db.session.commit()
    headers = _login(client, "committee")

    report = client.get(
        "/api/v1/reports/attendance?from=2026-01-01&to=2026-12-31", headers=headers
    ).json
    totals = report["totals"]
    hand = _hand_count(datetime.now(UTC))
    assert totals["expected"] == hand["expected"] > 0
    assert totals["present"] + totals["late"] + totals["makeup"] == hand["attended"] > 0
    assert totals["leave"] == hand["leave"]
    assert totals["absent"] == hand["absent"]

    matrix = client.get("/api/v1/reports/compliance?year=2026", headers=headers).json
    month = datetime.now(UTC).astimezone(local_tz()).month
    missed_theme_day = {
        b["org_name"]
        for b in matrix["branches"]
        for m in b["months"]
        if m["month"] == month
        for i in m["items"]
        if i["type"] == "theme_day" and i["status"] in ("open", "missed") and i["held"] == 0
    }
    branches = set(
        db.session.scalars(select(Organization.name).where(Organization.type == "branch"))
    )
    assert missed_theme_day and missed_theme_day <= branches

    xlsx = client.get(
        "/api/v1/reports/attendance?from=2026-01-01&to=2026-12-31&format=xlsx", headers=headers
    )
    ws = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert "临港产业园综合服务党委" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:3] == ["组织", "活动数", "应到"]
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "合计" and last[2] == hand["expected"]

    # the branch secretary sees only their own branch
    mine = client.get("/api/v1/reports/attendance", headers=_login(client, "secretary")).json
    assert len({r["org_id"] for r in mine["rows"]}) <= 1
