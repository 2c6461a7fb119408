"""Leave, make-up, manual statuses and their audit; the sheet, its rate and quorum; live counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.activities import attendance, checkins, leave, tokens
from app.activities.models import Attendance
from app.audit.models import AuditLog
from app.errors import APIError
from app.extensions import db
from app.points.models import MemberPoints, PointLedger
from app.timeutil import utcnow

T = datetime(2030, 5, 15, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
END = T + timedelta(hours=2)


@pytest.fixture
def meeting(park, make_activity, point_rules):
    """Branch A's meeting at T (members: 张三, 李四, 赵书记)."""
    return make_activity(park.branch_a, starts_at=T, title="五月主题党日")


@pytest.fixture
def as_(principal_of):
    """Call a service as someone and commit like a view."""

    def _call(who, fn, *args):
        result = fn(principal_of(who), *args)
        db.session.commit()
        return result

    return _call


def refused(fn, *args) -> APIError:
    with pytest.raises(APIError) as info:
        fn(*args)
    db.session.rollback()
    return info.value


def sheet_status(sheet, member):
    return next(i["status"] for i in sheet["items"] if i["member_id"] == member.id)


def qr_check_in(as_, who, activity, now):
    token = tokens.checkin_token(activity.id, tokens.window_of(now))
    return as_(who, checkins.check_in, {"token": token}, now)[0]


# --- leave ---------------------------------------------------------------------------------


def test_approved_leave_counts_as_leave_and_leaves_the_rate(park, meeting, as_):
    req = as_(park.member_a2, leave.request_leave, meeting.id, "出差在外", T - timedelta(days=1))
    assert req.status == "pending" and req.kind == "leave"
    qr_check_in(as_, park.member_a, meeting, T)

    pending = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert sheet_status(pending, park.member_a2) == "absent"  # not decided yet
    assert pending["rate"] == round(1 / 3, 4)

    decided = as_(
        park.secretary_a, attendance.decide, req.id, {"approve": True, "note": "同意"}, T - MIN
    )
    assert decided.status == "approved" and decided.decision_note == "同意"
    sheet = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert sheet_status(sheet, park.member_a2) == "leave"
    assert sheet["counts"] == {
        "present": 1,
        "late": 0,
        "leave": 1,
        "absent": 1,
        "makeup": 0,
        "pending": 0,
    }
    assert sheet["expected"] == 3 and sheet["rate"] == 0.5  # 1 / (3 − 1)
    row = next(i for i in sheet["items"] if i["member_id"] == park.member_a2.id)
    assert row["reason"] == "出差在外" and row["leave_request_id"] == req.id

    audit_row = db.session.scalar(select(AuditLog).where(AuditLog.action == "leave.decide"))
    assert (audit_row.old_value, audit_row.new_value, audit_row.reason) == (
        "pending",
        "approved",
        "同意",
    )
    assert audit_row.actor_member_id == park.secretary_a.id and audit_row.actor_name == "赵书记"


def test_rejected_leave_stays_absent_and_cannot_be_decided_twice(park, meeting, as_):
    req = as_(park.member_a, leave.request_leave, meeting.id, "家里有事", T - MIN)
    as_(park.secretary_a, attendance.decide, req.id, {"approve": False, "note": "会议重要"}, T)
    sheet = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert sheet_status(sheet, park.member_a) == "absent"
    err = refused(as_, park.secretary_a, attendance.decide, req.id, {"approve": True}, T)
    assert (err.status, err.code) == (409, "leave.already_decided")
    # after a rejection the member may ask again
    again = as_(park.member_a, leave.request_leave, meeting.id, "确有急事", T + MIN)
    assert again.id != req.id


def test_leave_rules(park, meeting, make_activity, as_, principal_of):
    as_(park.member_a, leave.request_leave, meeting.id, "出差", T - MIN)
    err = refused(as_, park.member_a, leave.request_leave, meeting.id, "又出差", T)
    assert (err.status, err.code) == (409, "leave.duplicate")
    err = refused(as_, park.member_a2, leave.request_leave, meeting.id, "太晚了", END)
    assert (err.status, err.code) == (409, "leave.too_late")
    qr_check_in(as_, park.secretary_a, meeting, T)
    err = refused(as_, park.secretary_a, leave.request_leave, meeting.id, "签了到", T + MIN)
    assert err.code == "leave.already_checked_in"
    err = refused(as_, park.member_b, leave.request_leave, meeting.id, "不是我的会", T)
    assert err.status == 403
    other = make_activity(park.branch_b, starts_at=T)
    req = as_(park.member_b, leave.request_leave, other.id, "出差", T - MIN)
    err = refused(as_, park.secretary_a, attendance.decide, req.id, {"approve": True}, T)
    assert err.status == 403  # branch A's secretary does not decide for branch B


def test_a_member_on_leave_who_comes_anyway_is_present(park, meeting, as_):
    req = as_(park.member_a, leave.request_leave, meeting.id, "可能出差", T - timedelta(days=1))
    as_(park.secretary_a, attendance.decide, req.id, {"approve": True}, T - timedelta(hours=1))
    qr_check_in(as_, park.member_a, meeting, T)
    sheet = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert sheet_status(sheet, park.member_a) == "present" and sheet["counts"]["leave"] == 0


def test_leave_over_http(client, park, make_activity, point_rules):
    a = make_activity(park.branch_a, starts_at=utcnow() + timedelta(hours=1))
    r = client.post(
        f"/api/v1/activities/{a.id}/leave", json={"reason": "出差"}, headers=park.headers.member_a
    )
    assert r.status_code == 201 and r.json["status"] == "pending"
    rid = r.json["id"]
    r = client.post(
        f"/api/v1/activities/{a.id}/leave", json={"reason": "出差"}, headers=park.headers.member_a
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "leave.duplicate"
    r = client.post(
        f"/api/v1/activities/{a.id}/leave", json={"reason": "x"}, headers=park.headers.secretary_a
    )
    assert r.status_code == 400  # a reason of at least two characters
    mine = client.get("/api/v1/leave-requests", headers=park.headers.member_a)
    assert [x["id"] for x in mine.json["items"]] == [rid]
    assert client.get("/api/v1/leave-requests", headers=park.headers.member_b).json["total"] == 0
    staff = client.get(
        f"/api/v1/leave-requests?activity_id={a.id}&status=pending", headers=park.headers.committee
    )
    assert staff.json["total"] == 1 and staff.json["items"][0]["member_name"] == "张三"
    url = f"/api/v1/leave-requests/{rid}/decision"
    assert (
        client.post(url, json={"approve": True}, headers=park.headers.member_a).status_code == 403
    )
    r = client.post(url, json={"approve": True, "note": "准假"}, headers=park.headers.secretary_a)
    assert r.status_code == 200 and r.json["status"] == "approved"
    r = client.post(
        "/api/v1/leave-requests/9999/decision",
        json={"approve": True},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 404


# --- make-up -------------------------------------------------------------------------------


def test_makeup_request_window(park, meeting, as_):
    err = refused(as_, park.member_a, leave.request_makeup, meeting.id, "忘记扫码", T + MIN)
    assert (err.status, err.code) == (409, "makeup.too_early")
    three_days = END + timedelta(days=3)
    req = as_(park.member_a, leave.request_makeup, meeting.id, "手机没电", three_days)
    assert req.kind == "makeup"
    err = refused(as_, park.member_a2, leave.request_makeup, meeting.id, "忘了", three_days + MIN)
    assert (err.status, err.code) == (410, "makeup.window_passed")
    err = refused(as_, park.member_a, leave.request_makeup, meeting.id, "再来", END)
    assert err.code == "makeup.duplicate"


def test_approved_makeup_marks_makeup_counts_and_is_audited(park, meeting, as_):
    req = as_(park.member_a, leave.request_makeup, meeting.id, "手机没电", END + MIN)
    as_(
        park.secretary_a,
        attendance.decide,
        req.id,
        {"approve": True, "note": "确认参加"},
        END + 2 * MIN,
    )
    sheet = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END + 3 * MIN)
    assert sheet_status(sheet, park.member_a) == "makeup"
    assert sheet["attended"] == 1 and sheet["rate"] == round(1 / 3, 4)
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["makeup.decide", "makeup.approve"]
    change = db.session.scalar(select(AuditLog).where(AuditLog.action == "makeup.approve"))
    assert (change.old_value, change.new_value) == ("absent", "makeup")
    err = refused(as_, park.member_a, leave.request_makeup, meeting.id, "又来", END + 4 * MIN)
    assert err.code == "makeup.not_needed"


def test_makeup_over_http(client, park, make_activity, point_rules):
    ended = make_activity(
        park.branch_a,
        starts_at=utcnow() - timedelta(days=1),
        ends_at=utcnow() - timedelta(days=1) + timedelta(hours=2),
    )
    r = client.post(
        f"/api/v1/activities/{ended.id}/makeup-request",
        json={"reason": "手机没电"},
        headers=park.headers.member_a,
    )
    assert r.status_code == 201 and r.json["kind"] == "makeup"
    old = make_activity(park.branch_a, starts_at=utcnow() - timedelta(days=5))
    r = client.post(
        f"/api/v1/activities/{old.id}/makeup-request",
        json={"reason": "手机没电"},
        headers=park.headers.member_a,
    )
    assert r.status_code == 410 and r.json["error"]["code"] == "makeup.window_passed"


# --- manual statuses -----------------------------------------------------------------------


def test_manual_status_is_audited_and_points_follow(park, meeting, as_):
    qr_check_in(as_, park.member_a, meeting, T)  # present: +2
    row = as_(
        park.secretary_a,
        attendance.set_status,
        meeting.id,
        park.member_a.id,
        {"status": "absent", "reason": "代签，本人未到场"},
        T + MIN,
    )
    assert row.status == "absent" and row.method == "manual" and row.checked_in_at == T
    as_(
        park.secretary_a,
        attendance.set_status,
        meeting.id,
        park.member_a2.id,
        {"status": "late", "reason": "扫码失败，现场确认"},
        T + 10 * MIN,
    )
    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(e.member_id, e.old_value, e.new_value, e.reason) for e in entries] == [
        (park.member_a.id, "present", "absent", "代签，本人未到场"),
        (park.member_a2.id, "pending", "late", "扫码失败，现场确认"),
    ]
    assert all(e.actor_member_id == park.secretary_a.id and e.at for e in entries)
    assert db.session.get(MemberPoints, park.member_a.id).total == 0
    assert db.session.get(MemberPoints, park.member_a2.id).total == 1
    deltas = db.session.scalars(
        select(PointLedger.delta)
        .where(PointLedger.member_id == park.member_a.id)
        .order_by(PointLedger.id)
    ).all()
    assert deltas == [2, -2]  # append-only: a correction, never an edit

    # the same status again changes nothing and writes no audit row
    as_(
        park.secretary_a,
        attendance.set_status,
        meeting.id,
        park.member_a.id,
        {"status": "absent", "reason": "重复"},
        T + 2 * MIN,
    )
    assert db.session.scalar(select(db.func.count()).select_from(AuditLog)) == 2


def test_manual_status_scope_and_expected(park, meeting, as_, make_member, grant):
    err = refused(
        as_, park.member_a, attendance.set_status, meeting.id, park.member_a2.id,
        {"status": "present", "reason": "自己改"}, T,
    )  # fmt: skip
    assert err.status == 403
    b_secretary = make_member(park.branch_b, name="B书记")
    grant(park.branch_b, "secretary", member=b_secretary)
    err = refused(
        as_, b_secretary, attendance.set_status, meeting.id, park.member_a.id,
        {"status": "present", "reason": "别的支部"}, T,
    )  # fmt: skip
    assert err.status == 403
    err = refused(
        as_, park.secretary_a, attendance.set_status, meeting.id, park.member_b.id,
        {"status": "present", "reason": "不是参加对象"}, T,
    )  # fmt: skip
    assert (err.status, err.code) == (409, "activity.not_expected")
    assert db.session.scalar(select(db.func.count()).select_from(AuditLog)) == 0


def test_manual_status_and_audit_over_http(client, park, make_activity, point_rules):
    a = make_activity(park.branch_a, starts_at=utcnow() - timedelta(hours=1))
    url = f"/api/v1/activities/{a.id}/attendance/{park.member_a.id}"
    r = client.put(
        url, json={"status": "makeup", "reason": "补签：外出办事"}, headers=park.headers.secretary_a
    )
    assert r.status_code == 200 and r.json["status"] == "makeup"
    assert (
        client.put(url, json={"status": "makeup"}, headers=park.headers.secretary_a).status_code
        == 400
    )
    r = client.put(url, json={"status": "bogus", "reason": "xx"}, headers=park.headers.secretary_a)
    assert r.status_code == 400
    r = client.put(
        f"/api/v1/activities/{a.id}/attendance/99999",
        json={"status": "present", "reason": "xx"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 404

    log = client.get(f"/api/v1/audit-log?activity_id={a.id}", headers=park.headers.committee)
    assert log.status_code == 200 and log.json["total"] == 1
    entry = log.json["items"][0]
    assert entry["old_value"] == "absent" and entry["new_value"] == "makeup"
    assert entry["reason"] == "补签：外出办事" and entry["actor_name"] == "赵书记"
    assert entry["member_name"] == "张三" and entry["at"].endswith("+08:00")
    assert client.get("/api/v1/audit-log", headers=park.headers.member_a).status_code == 403
    other_secretary = client.get("/api/v1/audit-log", headers=park.headers.secretary_a)
    assert other_secretary.json["total"] == 1


def test_audit_log_is_scoped(
    client, park, make_activity, make_member, grant, auth_headers, point_rules
):
    a = make_activity(park.branch_a, starts_at=utcnow() - timedelta(hours=1))
    client.put(
        f"/api/v1/activities/{a.id}/attendance/{park.member_a.id}",
        json={"status": "leave", "reason": "病假补录"},
        headers=park.headers.secretary_a,
    )
    b_secretary = make_member(park.branch_b, name="B书记")
    grant(park.branch_b, "secretary", member=b_secretary)
    headers = auth_headers(b_secretary)
    assert client.get("/api/v1/audit-log", headers=headers).json["total"] == 0
    r = client.get(f"/api/v1/audit-log?activity_id={a.id}", headers=headers)
    assert r.status_code == 403


# --- the sheet and quorum ------------------------------------------------------------------


def test_sheet_pending_before_close_absent_after(park, meeting, as_):
    qr_check_in(as_, park.member_a, meeting, T)
    during = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, T + MIN)
    assert sheet_status(during, park.member_a2) == "pending"
    assert during["counts"]["pending"] == 2
    after = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, T + 30 * MIN)
    assert sheet_status(after, park.member_a2) == "absent"
    assert after["counts"]["absent"] == 2 and after["quorum"] is None
    err = refused(as_, park.member_a, attendance.attendance_sheet, meeting.id, T)
    assert err.status == 403


def test_sheet_lists_invited_members_and_orgs(
    park, make_activity, make_org, make_member, as_, point_rules
):
    guest = make_member(make_org("C支部", "branch", park.park), name="客人")
    joint = make_activity(
        park.branch_a, starts_at=T, invited_orgs=[park.branch_b], invited_members=[guest]
    )
    sheet = as_(park.committee, attendance.attendance_sheet, joint.id, T)
    names = {i["name"] for i in sheet["items"]}
    assert names == {"张三", "李四", "赵书记", "王五", "客人"} and sheet["expected"] == 5


@pytest.fixture
def congress(park, make_member, make_activity, point_rules):
    """A 支部党员大会 of branch A with 3 more full members, 1 probationary, 1 excused."""
    extra_full = [make_member(park.branch_a, name=f"正式{i}") for i in range(3)]
    probationary = make_member(park.branch_a, name="预备党员", status="probationary")
    excused = make_member(park.branch_a, name="长期病假", excused=True)
    meeting = make_activity(park.branch_a, starts_at=T, type="general_meeting")
    return meeting, extra_full, probationary, excused


def test_quorum_needs_more_than_half_of_expected_full_members(park, congress, as_):
    meeting, extra_full, probationary, excused = congress
    # expected voters: 张三 李四 赵书记 + 3 正式 = 6 (not the probationary, not the excused)
    for who in (park.member_a, park.member_a2, probationary, excused):
        qr_check_in(as_, who, meeting, T)
    sheet = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert sheet["quorum"] == {
        "expected_voters": 6,
        "present_voters": 2,
        "required": 4,
        "quorate": False,
    }
    qr_check_in(as_, park.secretary_a, meeting, T + MIN)
    three_of_six = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert three_of_six["quorum"]["quorate"] is False  # exactly half is not more than half

    req = as_(extra_full[0], leave.request_leave, meeting.id, "出差", T - MIN)
    as_(park.secretary_a, attendance.decide, req.id, {"approve": True}, T)
    still = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert still["quorum"]["expected_voters"] == 6  # leave is still an expected voter

    as_(
        park.secretary_a,
        attendance.set_status,
        meeting.id,
        extra_full[1].id,
        {"status": "makeup", "reason": "现场确认"},
        END,
    )
    quorate = as_(park.secretary_a, attendance.attendance_sheet, meeting.id, END)
    assert quorate["quorum"]["present_voters"] == 4 and quorate["quorum"]["quorate"] is True


# --- live ----------------------------------------------------------------------------------


def test_live_counts_and_latest_arrivals(park, make_member, make_activity, as_, point_rules):
    crowd = [make_member(park.branch_a, name=f"到会{i:02d}") for i in range(12)]
    meeting = make_activity(park.branch_a, starts_at=T)
    for i, who in enumerate(crowd):
        qr_check_in(as_, who, meeting, T + i * MIN)  # the last ones are late
    req = as_(park.member_a2, leave.request_leave, meeting.id, "出差", T - MIN)
    as_(park.secretary_a, attendance.decide, req.id, {"approve": True}, T)

    board = as_(park.secretary_a, attendance.live, meeting.id, T + 12 * MIN)
    assert board["expected"] == 15
    assert (board["present"], board["late"], board["leave"]) == (6, 6, 1)
    assert board["checked_in"] == 12 and board["rate"] == round(12 / 14, 4)
    assert [a["name"] for a in board["latest"]] == [f"到会{i:02d}" for i in range(11, 1, -1)]
    assert board["latest"][0]["status"] == "late"


def test_live_over_http_is_staff_only(client, park, make_activity, point_rules):
    a = make_activity(park.branch_a, starts_at=utcnow())
    token = tokens.checkin_token(a.id, tokens.window_of(utcnow()))
    client.post("/api/v1/checkins", json={"token": token}, headers=park.headers.member_a)
    r = client.get(f"/api/v1/activities/{a.id}/live", headers=park.headers.secretary_a)
    assert r.status_code == 200
    assert r.json["present"] == 1 and r.json["latest"][0]["name"] == "张三"
    assert r.json["latest"][0]["checked_in_at"].endswith("+08:00")
    assert (
        client.get(f"/api/v1/activities/{a.id}/live", headers=park.headers.member_a).status_code
        == 403
    )
    row = db.session.scalar(select(Attendance).where(Attendance.activity_id == a.id))
    assert row.member_id == park.member_a.id
