"""Check-in rules 5 and 6 with `now` moved: window, late, token life, codes, geofence, devices.

Services are called with an explicit `now`; HTTP tests use activities placed around the real
current time. The 50-way race runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.activities import checkins, qrcodes, tokens
from app.activities import services as activity_services
from app.activities.models import Attendance
from app.errors import APIError
from app.extensions import db
from app.members.models import Member
from app.points.models import MemberPoints, PointLedger
from app.timeutil import utcnow

T = datetime(2030, 5, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, on a 15 s boundary
S = timedelta(seconds=1)
MIN = timedelta(minutes=1)


@pytest.fixture
def meeting(park, make_activity, point_rules):
    """A published 主题党日 of branch A starting at T."""
    return make_activity(park.branch_a, starts_at=T, title="五月主题党日")


def token_at(activity, now):
    """The QR token the secretary's screen shows at `now`."""
    return tokens.checkin_token(activity.id, tokens.window_of(now))


@pytest.fixture
def check_in(principal_of):
    """Check a member in through the service at `now` and commit like the view does."""

    def _check_in(who, data, now):
        row, created = checkins.check_in(principal_of(who), data, now)
        db.session.commit()
        return row, created

    return _check_in


def refused(fn, *args) -> APIError:
    """The APIError a call raises (the session rolled back like the error handler does)."""
    with pytest.raises(APIError) as info:
        fn(*args)
    db.session.rollback()
    return info.value


def attendance_rows(activity_id):
    return db.session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.activity_id == activity_id)
    )


# --- the window ------------------------------------------------------------------------------


def test_window_opens_thirty_minutes_before_the_start(park, meeting, check_in):
    early = T - 30 * MIN - S
    err = refused(check_in, park.member_a, {"token": token_at(meeting, early)}, early)
    assert (err.status, err.code) == (409, "checkin.window_not_open")
    assert err.details["opens_at"] == "2030-05-15T08:30:00+08:00"

    opening = T - 30 * MIN
    row, created = check_in(park.member_a, {"token": token_at(meeting, opening)}, opening)
    assert created and row.status == "present" and row.checked_in_at == opening


def test_window_closes_thirty_minutes_after_the_start(park, meeting, check_in):
    last = T + 30 * MIN - timedelta(milliseconds=1)
    row, _ = check_in(park.member_a, {"token": token_at(meeting, last)}, last)
    assert row.status == "late"

    closed = T + 30 * MIN
    err = refused(check_in, park.member_a2, {"token": token_at(meeting, closed)}, closed)
    assert (err.status, err.code) == (410, "checkin.window_closed")


def test_window_minutes_are_configurable_per_activity(park, make_activity, check_in, point_rules):
    activity = make_activity(
        park.branch_a, starts_at=T, checkin_opens_before_minutes=5, late_after_minutes=0
    )
    early = T - 6 * MIN
    err = refused(check_in, park.member_a, {"token": token_at(activity, early)}, early)
    assert err.code == "checkin.window_not_open"
    row, _ = check_in(park.member_a, {"token": token_at(activity, T + S)}, T + S)
    assert row.status == "late"


def test_late_is_after_start_plus_five_minutes_and_scores_less(park, meeting, check_in):
    on_time = T + 5 * MIN
    row, _ = check_in(park.member_a, {"token": token_at(meeting, on_time)}, on_time)
    assert row.status == "present"
    late = T + 5 * MIN + S
    row2, _ = check_in(park.member_a2, {"token": token_at(meeting, late)}, late)
    assert row2.status == "late"

    awards = dict(
        db.session.execute(
            select(PointLedger.member_id, PointLedger.delta).where(
                PointLedger.source_type == "activity", PointLedger.source_id == meeting.id
            )
        ).all()
    )
    assert awards == {park.member_a.id: 2, park.member_a2.id: 1}
    assert db.session.get(MemberPoints, park.member_a.id).total == 2


# --- the token -------------------------------------------------------------------------------


def test_token_lives_for_its_window_plus_five_seconds(park, meeting, check_in):
    shown = T - 10 * MIN  # on a window boundary
    token = token_at(meeting, shown)
    end_of_grace = shown + 15 * S + 5 * S
    row, _ = check_in(park.member_a, {"token": token}, end_of_grace - timedelta(milliseconds=1))
    assert row.status == "present"

    err = refused(check_in, park.member_a2, {"token": token}, end_of_grace)
    assert (err.status, err.code) == (410, "checkin.token_expired")
    thirty_seconds_later = shown + 30 * S
    err = refused(check_in, park.member_a2, {"token": token}, thirty_seconds_later)
    assert err.code == "checkin.token_expired"


def test_rotation_and_grace_are_configurable(app, park, meeting, check_in):
    app.config.update(QR_ROTATE_SECONDS=60, QR_GRACE_SECONDS=0)
    shown = T - 10 * MIN
    token = token_at(meeting, shown)
    check_in(park.member_a, {"token": token}, shown + 59 * S)
    err = refused(check_in, park.member_a2, {"token": token}, shown + 60 * S)
    assert err.code == "checkin.token_expired"


def test_forged_garbled_and_foreign_tokens_are_invalid(app, park, meeting, check_in):
    now = T
    good = token_at(meeting, now)
    flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
    other_activity_id = tokens._PAYLOAD.pack(meeting.id + 1, tokens.window_of(now))
    spliced = tokens.base64.b32encode(
        other_activity_id + tokens.base64.b32decode(good + "======")[8:]
    )
    personal = tokens.member_code(park.member_a.id, tokens.window_of(now))
    app.config["SECRET_KEY"] = "another-secret-another-secret-another-secret"
    other_server = token_at(meeting, now)
    app.config["SECRET_KEY"] = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
    for bad in (
        flipped,
        spliced.decode().rstrip("="),
        personal,
        other_server,
        "hello",
        "https://evil.example/c/" + flipped,
        "",
    ):
        err = refused(check_in, park.member_a, {"token": bad or " "}, now)
        assert (err.status, err.code) == (400, "checkin.token_invalid"), bad
    assert attendance_rows(meeting.id) == 0


def test_token_from_the_future_is_invalid(park, meeting, check_in):
    future = token_at(meeting, T + MIN)
    err = refused(check_in, park.member_a, {"token": future}, T)
    assert err.code == "checkin.token_invalid"


def test_scan_url_form_and_lower_case_are_accepted(park, meeting, check_in):
    token = token_at(meeting, T)
    row, _ = check_in(park.member_a, {"token": f"https://party.example.test/c/{token}"}, T)
    assert row.method == "qr"
    row, _ = check_in(park.member_a2, {"token": token.lower()}, T)
    assert row.member_id == park.member_a2.id


def test_cancelled_and_draft_activities_refuse_check_in(
    park, make_activity, check_in, principal_of, point_rules
):
    cancelled = make_activity(park.branch_a, starts_at=T)
    activity_services.cancel_activity(principal_of(park.secretary_a), cancelled.id, "暴雨", T - MIN)
    db.session.commit()
    err = refused(check_in, park.member_a, {"token": token_at(cancelled, T)}, T)
    assert (err.status, err.code) == (410, "checkin.activity_cancelled")

    draft = make_activity(park.branch_a, starts_at=T, status="draft")
    err = refused(check_in, park.member_a, {"token": token_at(draft, T)}, T)
    assert (err.status, err.code) == (409, "checkin.activity_not_published")


# --- who may check in --------------------------------------------------------------------------


def test_member_of_another_branch_is_not_expected(park, meeting, check_in):
    err = refused(check_in, park.member_b, {"token": token_at(meeting, T)}, T)
    assert (err.status, err.code) == (403, "checkin.not_expected")
    assert attendance_rows(meeting.id) == 0


def test_inactive_member_is_not_expected(park, meeting, check_in, principal_of):
    principal = principal_of(park.member_a)  # resolved before deactivation
    park.member_a.is_active = False
    db.session.commit()
    err = refused(checkins.check_in, principal, {"token": token_at(meeting, T)}, T)
    assert err.code == "checkin.not_expected"


def test_invited_org_members_are_expected(park, make_activity, check_in, point_rules):
    joint = make_activity(park.branch_a, starts_at=T, invited_orgs=[park.branch_b])
    row, created = check_in(park.member_b, {"token": token_at(joint, T)}, T)
    assert created and row.member_id == park.member_b.id


def test_invited_members_are_expected_and_their_branch_mates_not(
    park, make_org, make_member, make_activity, check_in, point_rules
):
    branch_c = make_org("C企业党支部", "branch", park.park)
    guest, mate = make_member(branch_c, name="客人"), make_member(branch_c, name="同事")
    lecture = make_activity(
        park.branch_a, starts_at=T, type="party_lecture", invited_members=[guest]
    )
    row, _ = check_in(guest, {"token": token_at(lecture, T)}, T)
    assert row.status == "present"
    err = refused(check_in, mate, {"token": token_at(lecture, T)}, T)
    assert err.code == "checkin.not_expected"


def test_members_of_groups_under_the_branch_are_expected(
    park, make_org, make_member, meeting, check_in
):
    group = make_org("第一党小组", "group", park.branch_a)
    member = make_member(group)
    row, _ = check_in(member, {"token": token_at(meeting, T)}, T)
    assert row.status == "present"


def test_a_user_without_member_profile_is_not_bound(park, meeting, principal_of):
    err = refused(
        checkins.check_in, principal_of(park.committee), {"token": token_at(meeting, T)}, T
    )
    assert (err.status, err.code) == (403, "checkin.not_bound")


# --- geofence and devices --------------------------------------------------------------------


def test_geofence_inside_outside_and_missing_location(park, make_activity, check_in, point_rules):
    fenced = make_activity(park.branch_a, starts_at=T, geofence=(31.8, 106.7, 300))
    token = token_at(fenced, T)
    inside = {"token": token, "lat": 31.802, "lng": 106.7}  # ≈ 222 m north
    row, _ = check_in(park.member_a, inside, T)
    assert 200 < row.distance_m < 240 and (row.lat, row.lng) == (31.802, 106.7)

    outside = {"token": token, "lat": 31.81, "lng": 106.7}  # ≈ 1.1 km
    err = refused(check_in, park.member_a2, outside, T)
    assert (err.status, err.code) == (403, "checkin.outside_geofence")
    assert 1100 < err.details["distance_m"] < 1125 and err.details["radius_m"] == 300

    err = refused(check_in, park.member_a2, {"token": token}, T)
    assert (err.status, err.code) == (400, "checkin.location_required")


def test_first_device_becomes_usual_and_another_is_flagged_not_refused(
    park, make_activity, check_in, point_rules
):
    first = make_activity(park.branch_a, starts_at=T)
    second = make_activity(park.branch_a, starts_at=T + timedelta(hours=3))
    row, _ = check_in(park.member_a, {"token": token_at(first, T), "device_id": "phone-1"}, T)
    assert row.new_device is False and row.flags == []
    assert db.session.get(Member, park.member_a.id).usual_device == "phone-1"

    later = T + timedelta(hours=3)
    row, created = check_in(
        park.member_a, {"token": token_at(second, later), "device_id": "borrowed"}, later
    )
    assert created and row.new_device is True and row.flags == ["new_device"]
    assert db.session.get(Member, park.member_a.id).usual_device == "phone-1"


# --- exactly once --------------------------------------------------------------------------


def test_repeat_answers_the_same_row_and_awards_once(park, meeting, check_in):
    first, created = check_in(park.member_a, {"token": token_at(meeting, T)}, T)
    again, created_again = check_in(park.member_a, {"token": token_at(meeting, T + MIN)}, T + MIN)
    assert created and not created_again and again.id == first.id
    # even once the token and the window are gone, a repeat shows the member their row
    after = T + 2 * timedelta(hours=1)
    late_repeat, created_late = check_in(park.member_a, {"token": token_at(meeting, T)}, after)
    assert late_repeat.id == first.id and not created_late
    assert attendance_rows(meeting.id) == 1
    ledger = db.session.scalar(
        select(func.count())
        .select_from(PointLedger)
        .where(PointLedger.member_id == park.member_a.id)
    )
    assert ledger == 1


def test_unique_key_forbids_a_second_row_in_the_database(park, meeting, check_in):
    from sqlalchemy.exc import IntegrityError

    check_in(park.member_a, {"token": token_at(meeting, T)}, T)
    db.session.add(
        Attendance(
            activity_id=meeting.id, member_id=park.member_a.id, status="present", method="qr"
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- the 6-digit code ------------------------------------------------------------------------


def test_six_digit_code_current_and_previous_window(park, meeting, check_in):
    window = tokens.window_of(T)
    row, _ = check_in(park.member_a, {"code": tokens.activity_code(meeting.id, window)}, T)
    assert row.method == "code" and row.activity_id == meeting.id

    previous = tokens.activity_code(meeting.id, window - 1)
    row, _ = check_in(park.member_a2, {"code": previous}, T)
    assert row.method == "code"

    two_back = tokens.activity_code(meeting.id, window - 2)
    err = refused(check_in, park.secretary_a, {"code": two_back}, T)
    assert (err.status, err.code) == (400, "checkin.code_invalid")


def test_six_digit_code_finds_only_activities_the_member_is_expected_at(
    park, meeting, make_activity, check_in
):
    other = make_activity(park.branch_b, starts_at=T)
    code_b = tokens.activity_code(other.id, tokens.window_of(T))
    err = refused(check_in, park.member_a, {"code": code_b}, T)
    assert err.code == "checkin.code_invalid"
    row, _ = check_in(park.member_b, {"code": code_b}, T)
    assert row.activity_id == other.id


def test_six_digit_code_dies_with_the_window(park, meeting, check_in):
    closed = T + 30 * MIN
    code = tokens.activity_code(meeting.id, tokens.window_of(closed))
    err = refused(check_in, park.member_a, {"code": code}, closed)
    assert err.code == "checkin.code_invalid"


# --- the personal code scanned by the secretary --------------------------------------------------


def test_secretary_scans_a_members_personal_code(park, meeting, principal_of):
    shown = checkins.member_code(principal_of(park.member_a), T)
    row, created = checkins.scan_member(
        principal_of(park.secretary_a), meeting.id, shown["code"], T + 3 * S
    )
    db.session.commit()
    assert created and row.method == "scan" and row.recorded_by_member_id == park.secretary_a.id
    again, created = checkins.scan_member(
        principal_of(park.secretary_a), meeting.id, shown["code"], T + 4 * S
    )
    assert not created and again.id == row.id


def test_personal_code_expires_and_cannot_be_forged(
    park, meeting, principal_of, make_member, make_org, grant
):
    secretary = principal_of(park.secretary_a)
    window = tokens.window_of(T)
    code = tokens.member_code(park.member_a.id, window)
    err = refused(checkins.scan_member, secretary, meeting.id, code, T + 20 * S)
    assert (err.status, err.code) == (410, "checkin.member_code_expired")
    err = refused(checkins.scan_member, secretary, meeting.id, code[:-1] + "Q", T)
    assert (err.status, err.code) == (400, "checkin.member_code_invalid")
    activity_token = token_at(meeting, T)  # a check-in token is not a personal code
    err = refused(checkins.scan_member, secretary, meeting.id, activity_token, T)
    assert err.code == "checkin.member_code_invalid"

    other_secretary = make_member(park.branch_b, name="B书记")
    grant(park.branch_b, "secretary", member=other_secretary)
    err = refused(checkins.scan_member, principal_of(other_secretary), meeting.id, code, T)
    assert err.status == 403

    stranger = tokens.member_code(park.member_b.id, window)
    err = refused(checkins.scan_member, secretary, meeting.id, stranger, T)
    assert err.code == "checkin.not_expected"


# --- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def live_meeting(park, make_activity, point_rules):
    """A meeting of branch A starting now (real time), so its window is open."""
    return make_activity(park.branch_a, starts_at=utcnow(), title="此刻的主题党日")


def test_http_checkin_201_then_200_with_the_same_attendance(client, park, live_meeting):
    code = client.get(
        f"/api/v1/activities/{live_meeting.id}/checkin-code", headers=park.headers.secretary_a
    )
    assert code.status_code == 200
    body = code.json
    assert body["scan_url"] == f"https://party.example.test/c/{body['token']}"
    assert len(body["token"]) == 26 and len(body["code"]) == 6 and body["code"].isdigit()
    assert 0 <= body["refresh_in_seconds"] <= 15 and body["expires_at"].endswith("+08:00")

    first = client.post(
        "/api/v1/checkins", json={"token": body["scan_url"]}, headers=park.headers.member_a
    )
    assert first.status_code == 201
    att = first.json
    assert att["status"] == "present" and att["method"] == "qr" and att["member_name"] == "张三"
    assert att["checked_in_at"].endswith("+08:00")

    again = client.post(
        "/api/v1/checkins", json={"token": body["token"]}, headers=park.headers.member_a
    )
    assert again.status_code == 200 and again.json["id"] == att["id"]

    by_code = client.post(
        "/api/v1/checkins", json={"code": body["code"]}, headers=park.headers.secretary_a
    )
    assert by_code.status_code == 201 and by_code.json["method"] == "code"


def test_http_checkin_errors_use_the_envelope(client, park, live_meeting):
    r = client.post("/api/v1/checkins", json={"token": "FORGED"}, headers=park.headers.member_a)
    assert r.status_code == 400 and r.json["error"]["code"] == "checkin.token_invalid"
    token = tokens.checkin_token(live_meeting.id, tokens.window_of(utcnow()))
    r = client.post("/api/v1/checkins", json={"token": token}, headers=park.headers.member_b)
    assert r.status_code == 403 and r.json["error"]["code"] == "checkin.not_expected"
    r = client.post("/api/v1/checkins", json={"token": token}, headers=park.headers.committee)
    assert r.status_code == 403 and r.json["error"]["code"] == "checkin.not_bound"
    r = client.post("/api/v1/checkins", json={"token": token})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": "x", "code": "123456"},
        {"code": "12345"},
        {"code": "abcdef"},
        {"token": "x", "lat": 91, "lng": 0},
        {"token": "x", "lat": 30},
        {"token": "x", "lat": 30, "lng": 181},
        {"token": "x", "device_id": "d" * 129},
        {"token": 5},
        {"token": "x", "extra": 1},
    ],
)
def test_http_checkin_validation(client, park, body):
    r = client.post("/api/v1/checkins", json=body, headers=park.headers.member_a)
    assert r.status_code == 400 and r.json["error"]["code"] == "validation_error"


def test_checkin_code_is_for_managers_of_the_hosting_org(client, park, live_meeting, make_activity):
    url = f"/api/v1/activities/{live_meeting.id}/checkin-code"
    assert client.get(url, headers=park.headers.member_a).status_code == 403
    assert client.get(url, headers=park.headers.committee).status_code == 200
    r = client.get("/api/v1/activities/999999/checkin-code", headers=park.headers.secretary_a)
    assert r.status_code == 404
    later = make_activity(park.branch_a, starts_at=utcnow() + timedelta(hours=2))
    r = client.get(f"/api/v1/activities/{later.id}/checkin-code", headers=park.headers.secretary_a)
    assert r.status_code == 409 and r.json["error"]["code"] == "checkin.window_not_open"


def test_me_code_is_for_members(client, park):
    r = client.get("/api/v1/me/code", headers=park.headers.member_a)
    assert r.status_code == 200 and len(r.json["code"]) == 26
    assert client.get("/api/v1/me/code", headers=park.headers.committee).status_code == 403


def test_scan_member_over_http(client, park, live_meeting):
    code = client.get("/api/v1/me/code", headers=park.headers.member_a).json["code"]
    url = f"/api/v1/activities/{live_meeting.id}/scan-member"
    r = client.post(url, json={"code": code}, headers=park.headers.secretary_a)
    assert r.status_code == 201 and r.json["method"] == "scan"
    r = client.post(url, json={"code": code}, headers=park.headers.secretary_a)
    assert r.status_code == 200
    assert client.post(url, json={"code": code}, headers=park.headers.member_b).status_code == 403


# --- QR images ----------------------------------------------------------------------------


def test_qr_images_render_once_per_window(client, park, live_meeting):
    url = f"/api/v1/activities/{live_meeting.id}/checkin-code"
    for _ in range(3):  # a window may roll over between two requests: then try again
        before = qrcodes.render_png.cache_info()
        first = client.get(url + ".png", headers=park.headers.secretary_a)
        second = client.get(url + ".png", headers=park.headers.secretary_a)
        after = qrcodes.render_png.cache_info()
        if first.headers["X-Checkin-Expires-At"] == second.headers["X-Checkin-Expires-At"]:
            break
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert first.data.startswith(b"\x89PNG") and first.data == second.data
    assert after.hits - before.hits >= 1 and after.misses - before.misses <= 1

    svg = client.get(url + ".svg", headers=park.headers.secretary_a)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get(url + ".png", headers=park.headers.member_a).status_code == 403

    scan_url = client.get(url, headers=park.headers.secretary_a).json["scan_url"]
    assert qrcodes.render_png(scan_url) is qrcodes.render_png(scan_url)  # the cached object
    rendered = qrcodes.render_png.cache_info()
    client.post("/api/v1/checkins", json={"token": scan_url}, headers=park.headers.member_a)
    assert qrcodes.render_png.cache_info() == rendered  # a scan never renders


# --- the race ------------------------------------------------------------------------------


def test_fifty_identical_checkins_at_once_make_one_row_and_one_award(
    app, backend, park, live_meeting, auth_headers
):
    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    token = tokens.checkin_token(live_meeting.id, tokens.window_of(utcnow()))
    headers = auth_headers(park.member_a)
    n = 50
    barrier = threading.Barrier(n)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def fire():
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/checkins", json={"token": token}, headers=headers)
        with lock:
            answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=fire) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(code for code, _ in answers)
    assert len(answers) == n
    assert codes.count(201) == 1 and codes.count(200) == n - 1, codes
    assert len({body["id"] for _, body in answers}) == 1
    db.session.rollback()
    assert attendance_rows(live_meeting.id) == 1
    ledger = db.session.scalars(
        select(PointLedger).where(PointLedger.member_id == park.member_a.id)
    ).all()
    assert [(e.action, e.delta) for e in ledger] == [("attendance_present", 2)]
    assert db.session.get(MemberPoints, park.member_a.id).total == 2
