"""The mini-program: `/scan` resolves whatever the camera read; `/home` shows what is next."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.activities import tokens
from app.points import services as points
from app.timeutil import utcnow


@pytest.fixture
def open_meeting(park, make_activity, point_rules):
    """Branch A's meeting starting now."""
    return make_activity(park.branch_a, starts_at=utcnow(), title="此刻的主题党日")


def current_token(activity):
    return tokens.checkin_token(activity.id, tokens.window_of(utcnow()))


def test_scanning_the_checkin_qr_checks_in(client, park, open_meeting):
    url = f"https://party.example.test/c/{current_token(open_meeting)}"
    first = client.post("/api/mp/v1/scan", json={"content": url}, headers=park.headers.member_a)
    assert first.status_code == 201
    assert first.json["kind"] == "checkin" and first.json["created"] is True
    assert first.json["attendance"]["status"] == "present"
    again = client.post(
        "/api/mp/v1/scan",
        json={"content": current_token(open_meeting)},
        headers=park.headers.member_a,
    )
    assert again.status_code == 200 and again.json["created"] is False
    assert again.json["attendance"]["id"] == first.json["attendance"]["id"]


def test_scanning_gives_the_same_errors_as_checkins(client, park, open_meeting):
    r = client.post(
        "/api/mp/v1/scan",
        json={"content": current_token(open_meeting)},
        headers=park.headers.member_b,
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "checkin.not_expected"
    r = client.post("/api/mp/v1/scan", json={"content": current_token(open_meeting)})
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.required"


def test_a_typed_six_digit_code_works_too(client, park, open_meeting):
    code = tokens.activity_code(open_meeting.id, tokens.window_of(utcnow()))
    r = client.post("/api/mp/v1/scan", json={"content": code}, headers=park.headers.member_a)
    assert r.status_code == 201 and r.json["attendance"]["method"] == "code"


@pytest.mark.parametrize(
    "content",
    [
        "https://party.example.test/i/ABCD2345",
        "https://PARTY.example.test/i/abcd2345/",
        "abcd 2345",
    ],
)
def test_scanning_an_invite_sends_the_phone_to_binding(client, content):
    r = client.post("/api/mp/v1/scan", json={"content": content})  # no login needed
    assert r.status_code == 200
    assert r.json == {"kind": "invite", "invite_code": "ABCD2345"}


@pytest.mark.parametrize(
    "content",
    [
        "https://evil.example/c/AAAAAAAAAAAAAAAAAAAAAAAAAA",
        "https://party.example.test/x/ABCD2345",
        "https://party.example.test/c/short",
        "weixin://dl/business/?t=abc",
        "BEGIN:VCARD",
        "一段文字",
        "ABCD1234",  # 1 is not in the invite alphabet
    ],
)
def test_anything_else_is_not_ours(client, park, content):
    r = client.post("/api/mp/v1/scan", json={"content": content}, headers=park.headers.member_a)
    assert r.status_code == 400 and r.json["error"]["code"] == "scan.not_ours"


def test_a_forged_token_of_the_right_shape_is_invalid_not_unknown(client, park):
    r = client.post(
        "/api/mp/v1/scan",
        json={"content": "https://party.example.test/c/" + "A" * 26},
        headers=park.headers.member_a,
    )
    assert r.status_code == 400 and r.json["error"]["code"] == "checkin.token_invalid"


def test_scan_validation(client, park):
    for body in ({}, {"content": ""}, {"content": "x", "lat": 100, "lng": 0}, {"content": 3}):
        r = client.post("/api/mp/v1/scan", json=body, headers=park.headers.member_a)
        assert r.status_code == 400, body


def test_home_shows_next_activities_with_my_status_and_points(
    client, park, make_activity, point_rules
):
    now = utcnow()
    running = make_activity(park.branch_a, starts_at=now, title="正在签到")
    tomorrow = make_activity(park.branch_a, starts_at=now + timedelta(days=1), title="明天")
    make_activity(park.branch_a, starts_at=now - timedelta(days=2), title="已结束")
    make_activity(park.branch_a, starts_at=now + timedelta(days=2), status="draft", title="草稿")
    make_activity(park.branch_b, starts_at=now + timedelta(days=1), title="别的支部")
    client.post(
        "/api/v1/checkins",
        json={"token": current_token(running)},
        headers=park.headers.member_a,
    )
    client.post(
        f"/api/v1/activities/{tomorrow.id}/leave",
        json={"reason": "出差"},
        headers=park.headers.member_a,
    )

    r = client.get("/api/mp/v1/home", headers=park.headers.member_a)
    assert r.status_code == 200
    home = r.json
    assert home["member"]["name"] == "张三"
    assert [a["title"] for a in home["next_activities"]] == ["正在签到", "明天"]
    first, second = home["next_activities"]
    assert first["phase"] == "checkin_open" and first["my"]["status"] == "present"
    assert first["my"]["checked_in_at"].endswith("+08:00")
    assert second["my"]["status"] == "pending"
    assert second["my"]["request"]["kind"] == "leave"
    assert second["my"]["request"]["status"] == "pending"
    # the first home screen of the day also signs the member in (1 point, issue 4)
    assert home["points"] == {"today": 3, "total": 3, "signin_awarded": True}
    assert home["points"]["today"] == points.points_today(park.member_a.id, utcnow())

    other = client.get("/api/mp/v1/home", headers=park.headers.member_b).json
    assert [a["title"] for a in other["next_activities"]] == ["别的支部"]
    assert other["points"] == {"today": 1, "total": 1, "signin_awarded": True}
    assert client.get("/api/mp/v1/home", headers=park.headers.committee).status_code == 403
