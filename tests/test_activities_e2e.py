"""The issue's "Done when" scenario, end to end through the HTTP API.

A secretary creates and publishes a 主题党日 starting now and fetches the code; three members
check in (one twice); one asks for leave and is approved; one is absent. The sheet shows
exactly that with the right rate; a forged token, a token from another activity, a token
30 s old and a member of another branch are each refused with their own error code.
"""

from __future__ import annotations

from datetime import timedelta

from app.activities import attendance, tokens
from app.identities import principal_for
from app.timeutil import to_local, utcnow


def test_theme_day_from_creation_to_the_sheet(
    client, park, make_member, make_activity, auth_headers, point_rules
):
    sunqi = make_member(park.branch_a, name="孙七")
    zhouba = make_member(park.branch_a, name="周八")
    secretary = park.headers.secretary_a
    now = utcnow()

    # the secretary creates the activity, then publishes it
    created = client.post(
        "/api/v1/activities",
        json={
            "org_id": park.branch_a.id,
            "type": "theme_day",
            "title": "主题党日：学习党章",
            "starts_at": to_local(now).isoformat(),
            "ends_at": to_local(now + timedelta(hours=2)).isoformat(),
            "location": "党群服务中心二楼",
        },
        headers=secretary,
    )
    assert created.status_code == 201 and created.json["status"] == "draft"
    activity_id = created.json["id"]
    published = client.post(f"/api/v1/activities/{activity_id}/publish", headers=secretary)
    assert published.status_code == 200 and published.json["phase"] == "checkin_open"

    # the code on the screen
    code = client.get(f"/api/v1/activities/{activity_id}/checkin-code", headers=secretary).json
    png = client.get(f"/api/v1/activities/{activity_id}/checkin-code.png", headers=secretary)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")

    # three members check in, one of them twice
    first = client.post(
        "/api/v1/checkins", json={"token": code["token"]}, headers=park.headers.member_a
    )
    twice = client.post(
        "/api/v1/checkins", json={"token": code["token"]}, headers=park.headers.member_a
    )
    assert (first.status_code, twice.status_code) == (201, 200)
    assert twice.json["id"] == first.json["id"]
    lisi = client.post(
        "/api/mp/v1/scan",
        json={"content": code["scan_url"]},
        headers=auth_headers(park.member_a2),
    )
    assert lisi.status_code == 201 and lisi.json["attendance"]["member_name"] == "李四"
    by_code = client.post("/api/v1/checkins", json={"code": code["code"]}, headers=secretary)
    assert by_code.status_code == 201 and by_code.json["method"] == "code"

    # 孙七 asks for leave and is approved
    sunqi_headers = auth_headers(sunqi)
    leave = client.post(
        f"/api/v1/activities/{activity_id}/leave",
        json={"reason": "赴外地培训"},
        headers=sunqi_headers,
    )
    assert leave.status_code == 201
    decided = client.post(
        f"/api/v1/leave-requests/{leave.json['id']}/decision",
        json={"approve": True, "note": "同意"},
        headers=secretary,
    )
    assert decided.status_code == 200 and decided.json["status"] == "approved"

    # refusals, each with its own code
    forged = client.post(
        "/api/v1/checkins",
        json={"token": code["token"][:-2] + ("AB" if code["token"][-2:] != "AB" else "CD")},
        headers=auth_headers(zhouba),
    )
    assert (forged.status_code, forged.json["error"]["code"]) == (400, "checkin.token_invalid")

    yesterday = make_activity(park.branch_a, starts_at=now - timedelta(days=1), title="昨天")
    old_activity_token = tokens.checkin_token(yesterday.id, tokens.window_of(now))
    other = client.post(
        "/api/v1/checkins",
        json={"token": old_activity_token},
        headers=auth_headers(zhouba),
    )
    assert (other.status_code, other.json["error"]["code"]) == (410, "checkin.window_closed")

    b_meeting = make_activity(park.branch_b, starts_at=now, title="B支部的会")
    b_token = tokens.checkin_token(b_meeting.id, tokens.window_of(now))
    foreign = client.post("/api/v1/checkins", json={"token": b_token}, headers=auth_headers(zhouba))
    assert (foreign.status_code, foreign.json["error"]["code"]) == (403, "checkin.not_expected")

    stale = tokens.checkin_token(activity_id, tokens.window_of(utcnow() - timedelta(seconds=30)))
    expired = client.post("/api/v1/checkins", json={"token": stale}, headers=auth_headers(zhouba))
    assert (expired.status_code, expired.json["error"]["code"]) == (410, "checkin.token_expired")

    outsider = client.post(
        "/api/v1/checkins", json={"token": code["token"]}, headers=park.headers.member_b
    )
    assert (outsider.status_code, outsider.json["error"]["code"]) == (403, "checkin.not_expected")

    # the sheet shows exactly that: 周八 is not in yet while the window is open …
    sheet = client.get(f"/api/v1/activities/{activity_id}/attendance", headers=secretary).json
    statuses = {row["name"]: row["status"] for row in sheet["items"]}
    assert statuses == {
        "张三": "present",
        "李四": "present",
        "赵书记": "present",
        "孙七": "leave",
        "周八": "pending",
    }
    assert sheet["expected"] == 5 and sheet["rate"] == 0.75  # 3 / (5 − 1)

    # … and absent once the window has closed
    closed = attendance.attendance_sheet(
        principal_for(f"m:{park.secretary_a.id}"), activity_id, now + timedelta(minutes=31)
    )
    final = {row["name"]: row["status"] for row in closed["items"]}
    assert final["周八"] == "absent" and final["孙七"] == "leave"
    assert closed["counts"] == {
        "present": 3,
        "late": 0,
        "leave": 1,
        "absent": 1,
        "makeup": 0,
        "pending": 0,
    }
    assert closed["rate"] == 0.75

    live = client.get(f"/api/v1/activities/{activity_id}/live", headers=secretary).json
    assert (live["expected"], live["present"], live["leave"]) == (5, 3, 1)
    audit = client.get(
        f"/api/v1/audit-log?activity_id={activity_id}", headers=park.headers.committee
    )
    assert [e["action"] for e in audit.json["items"]] == ["leave.decide"]
    home = client.get("/api/mp/v1/home", headers=park.headers.member_a).json
    assert home["next_activities"][0]["my"]["status"] == "present"
    assert home["points"]["today"] == 3  # the check-in's 2 and the day's sign-in (issue 4)
