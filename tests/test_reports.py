"""Reports pinned on small hand-built data: attendance counts and rates, quorum, compliance
(committee and group rules, cancelled and not-quorate meetings), members, exports, scope."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.activities.models import Activity, Attendance, AttendanceRequest
from app.extensions import db
from app.org.models import OrgRole
from app.reports import members as report_members
from app.reports import services
from app.reports.services import Scope
from app.timeutil import local_tz

TZ = local_tz()
NOW = datetime(2026, 11, 21, 12, tzinfo=TZ)


def at(month, day, hour=9, year=2026):
    return datetime(year, month, day, hour, tzinfo=TZ)


def activity(org, starts_at, type="theme_day", status="published", title=None):
    a = Activity(
        org_id=org.id,
        type=type,
        title=title or f"{type}@{starts_at:%m-%d}",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        checkin_opens_at=starts_at - timedelta(minutes=30),
        checkin_closes_at=starts_at + timedelta(minutes=30),
        status=status,
        published_at=starts_at - timedelta(days=2),
    )
    db.session.add(a)
    db.session.commit()
    return a


def mark(a, member, status="present"):
    db.session.add(
        Attendance(
            activity_id=a.id,
            member_id=member.id,
            status=status,
            method="qr",
            checked_in_at=a.starts_at,
        )
    )
    db.session.commit()


def approved_leave(a, member):
    db.session.add(
        AttendanceRequest(
            activity_id=a.id,
            member_id=member.id,
            kind="leave",
            reason="出差",
            status="approved",
            decided_at=a.starts_at - timedelta(days=1),
        )
    )
    db.session.commit()


def row_for(report, org):
    return next(r for r in report["rows"] if r["org_id"] == org.id)


# --- attendance ---------------------------------------------------------------------------------


def test_attendance_counts_and_rate_exclude_leave(app, park):
    a = activity(park.branch_a, at(10, 15))
    mark(a, park.member_a, "present")
    mark(a, park.member_a2, "late")
    approved_leave(a, park.secretary_a)
    b = activity(park.branch_a, at(11, 1))
    mark(b, park.member_a, "makeup")
    scope = Scope(park.park, date(2026, 1, 1), date(2027, 1, 1))

    report = services.attendance_report(scope, NOW)
    row = row_for(report, park.branch_a)
    # a: 3 expected, present + late, one on leave; b: 3 expected, one make-up, two absent
    assert row["activities"] == 2
    assert (row["expected"], row["present"], row["late"], row["makeup"]) == (6, 1, 1, 1)
    assert (row["leave"], row["absent"], row["pending"]) == (1, 2, 0)
    assert row["rate"] == round(3 / 5, 4)
    assert report["totals"]["expected"] == 6


def test_a_member_on_leave_who_comes_anyway_counts_as_present(app, park):
    a = activity(park.branch_a, at(10, 15))
    approved_leave(a, park.member_a)
    mark(a, park.member_a)
    row = row_for(
        services.attendance_report(Scope(park.park, date(2026, 1, 1), date(2027, 1, 1)), NOW),
        park.branch_a,
    )
    assert (row["present"], row["leave"], row["absent"]) == (1, 0, 2)


def test_open_window_is_pending_not_absent(app, park):
    a = activity(park.branch_b, NOW - timedelta(minutes=5))
    report = services.attendance_report(Scope(park.park, date(2026, 11, 1), date(2026, 12, 1)), NOW)
    row = row_for(report, park.branch_b)
    assert (row["pending"], row["absent"], row["rate"]) == (1, 0, None)
    assert a.id


def test_invited_org_members_are_expected_and_groups_count_for_their_branch(
    app, park, make_org, make_member
):
    group = make_org("第一党小组", "group", park.branch_b)
    grouped = make_member(group, name="小组成员")
    a = activity(group, at(9, 3), type="group_meeting")
    mark(a, grouped)
    row = row_for(
        services.attendance_report(Scope(park.park, date(2026, 1, 1), date(2027, 1, 1)), NOW),
        park.branch_b,
    )
    assert (row["expected"], row["present"]) == (1, 1)

    from app.activities.models import activity_invited_orgs

    joint = activity(park.branch_a, at(9, 10))
    db.session.execute(
        activity_invited_orgs.insert().values(activity_id=joint.id, org_id=park.branch_b.id)
    )
    db.session.commit()
    per_activity = services.attendance_report(
        Scope(park.park, date(2026, 9, 10), date(2026, 9, 11)), NOW, by_activity=True
    )
    [only] = per_activity["rows"]
    assert only["expected"] == 3 + 2  # branch A's three and branch B's two (with its group)


def test_cancelled_and_draft_activities_are_left_out(app, park):
    activity(park.branch_a, at(10, 15), status="cancelled")
    activity(park.branch_a, at(10, 16), status="draft")
    report = services.attendance_report(Scope(park.park, date(2026, 1, 1), date(2027, 1, 1)), NOW)
    assert report["rows"] == []


# --- quorum -------------------------------------------------------------------------------------


@pytest.fixture
def big_branch(make_org, make_member, park):
    """5 full members, 1 probationary, 1 excused full member."""
    branch = make_org("大支部", "branch", park.park)
    full = [make_member(branch, name=f"正式{i}") for i in range(5)]
    make_member(branch, name="预备", status="probationary")
    make_member(branch, name="长期出国", excused=True)
    return branch, full


def test_quorum_counts_full_members_only_and_excludes_the_excused(app, big_branch, park):
    branch, full = big_branch
    not_quorate = activity(branch, at(3, 5), type="general_meeting")
    for m in full[:2]:  # 2 of 5 voters
        mark(not_quorate, m)
    quorate = activity(branch, at(6, 5), type="general_meeting")
    for m in full[:3]:  # 3 of 5 voters
        mark(quorate, m)
    report = services.attendance_report(
        Scope(branch, date(2026, 1, 1), date(2027, 1, 1)), NOW, by_activity=True
    )
    flags = {r["activity_id"]: r["quorate"] for r in report["rows"]}
    assert flags == {not_quorate.id: False, quorate.id: True}
    summary = row_for(
        services.attendance_report(Scope(branch, date(2026, 1, 1), date(2027, 1, 1)), NOW), branch
    )
    assert (summary["general_meetings"], summary["quorate_meetings"]) == (2, 1)


# --- compliance ---------------------------------------------------------------------------------


def items(report, org, month):
    branch = next(b for b in report["branches"] if b["org_id"] == org.id)
    m = next(x for x in branch["months"] if x["month"] == month)
    return {i["type"]: i for i in m["items"]}, branch


def test_a_branch_without_committee_owes_no_committee_meeting(app, park, big_branch):
    branch, _ = big_branch
    report = services.compliance_report(park.park, 2026, NOW)
    month, row = items(report, branch, 10)
    assert "committee_meeting" not in month and "group_meeting" not in month
    assert month["theme_day"]["status"] == "missed"
    assert row["has_committee"] is False
    assert "10月：主题党日" in row["gaps"]


def test_committee_meeting_needs_more_than_half_the_committee(app, park, big_branch):
    branch, full = big_branch
    for m, role in zip(full[:3], ("secretary", "organizer", "publicity"), strict=True):
        db.session.add(OrgRole(org_id=branch.id, member_id=m.id, role=role))
    db.session.commit()
    thin = activity(branch, at(9, 8), type="committee_meeting")
    mark(thin, full[0])  # 1 of 3: not valid
    ok = activity(branch, at(10, 8), type="committee_meeting")
    mark(ok, full[0])
    mark(ok, full[1])  # 2 of 3
    report = services.compliance_report(park.park, 2026, NOW)
    sept, row = items(report, branch, 9)
    octo, _ = items(report, branch, 10)
    assert row["has_committee"] is True
    assert (
        sept["committee_meeting"]["held"] == 0 and sept["committee_meeting"]["status"] == "missed"
    )
    assert octo["committee_meeting"]["held"] == 1 and octo["committee_meeting"]["status"] == "met"


def test_not_quorate_or_cancelled_general_meetings_do_not_count(app, park, big_branch):
    branch, full = big_branch
    weak = activity(branch, at(8, 5), type="general_meeting")
    mark(weak, full[0])
    cancelled = activity(branch, at(8, 6), type="general_meeting", status="cancelled")
    for m in full:
        mark(cancelled, m)
    lecture = activity(branch, at(7, 6), type="party_lecture")
    mark(lecture, full[0])
    report = services.compliance_report(park.park, 2026, NOW, quarter=3)
    sept, _ = items(report, branch, 9)  # the quarter closes in September
    assert sept["general_meeting"]["held"] == 0 and sept["general_meeting"]["status"] == "missed"
    assert sept["party_lecture"]["held"] == 1 and sept["party_lecture"]["status"] == "met"
    assert [
        m["month"]
        for m in next(b for b in report["branches"] if b["org_id"] == branch.id)["months"]
    ] == [7, 8, 9]


def test_groups_make_group_meetings_required(app, park, make_org, make_member):
    group = make_org("党小组", "group", park.branch_b)
    make_member(group)
    report = services.compliance_report(park.park, 2026, NOW)
    month, row = items(report, park.branch_b, 11)
    assert row["has_groups"] is True
    assert month["group_meeting"]["status"] == "open"  # November is still running
    assert month["theme_day"]["status"] == "open"
    future, _ = items(report, park.branch_b, 12)
    assert future["theme_day"]["status"] == "future"


def test_the_matrix_names_the_branch_that_missed_the_theme_day(client, park):
    held = activity(park.branch_a, at(10, 10))
    mark(held, park.member_a)
    r = client.get("/api/v1/reports/compliance?year=2026", headers=park.headers.committee)
    assert r.status_code == 200
    gaps = {b["org_name"]: b["gaps"] for b in r.json["branches"]}
    assert "10月：主题党日" not in gaps["A企业党支部"]
    assert "10月：主题党日" in gaps["B企业党支部"]


# --- members ------------------------------------------------------------------------------------


def test_member_rows_flag_the_six_month_rule(app, park):
    for m in (park.member_a, park.member_a2, park.secretary_a, park.member_b):
        m.created_at = datetime(2025, 1, 1, tzinfo=UTC)
    db.session.commit()
    old = activity(park.branch_a, at(6, 1))
    mark(old, park.member_a)  # 5 months before NOW
    approved_leave(old, park.member_a2)
    recent = activity(park.branch_a, at(8, 1))
    mark(recent, park.secretary_a)
    rows = {r["member_id"]: r for r in report_members.member_rows(park.park, NOW, 2026)}
    assert rows[park.member_a.id]["months_without_attendance"] == 5
    assert rows[park.member_a.id]["absence_flag"] == 5
    assert rows[park.member_a2.id]["absence_flag"] == 5  # leave counts, but was in June too
    assert rows[park.secretary_a.id]["absence_flag"] == 3
    assert rows[park.member_b.id]["absence_flag"] == 6  # never since joining in 2025: left
    assert rows[park.member_a.id]["attended"] == 1


def test_member_report_for_self_and_staff_only(client, park):
    a = activity(park.branch_a, at(3, 3))
    mark(a, park.member_a)
    own = client.get(
        f"/api/v1/reports/members/{park.member_a.id}?year=2026", headers=park.headers.member_a
    )
    assert own.status_code == 200
    assert own.json["months"][2] == {"month": 3, "attended": 1}
    other = client.get(
        f"/api/v1/reports/members/{park.member_a2.id}", headers=park.headers.member_a
    )
    assert other.status_code == 403
    by_secretary = client.get(
        f"/api/v1/reports/members/{park.member_a.id}", headers=park.headers.secretary_a
    )
    assert by_secretary.status_code == 200
    by_outsider = client.get(
        f"/api/v1/reports/members/{park.member_b.id}", headers=park.headers.secretary_a
    )
    assert by_outsider.status_code == 403


# --- scope and input ----------------------------------------------------------------------------


def test_secretary_sees_own_branch_by_default_and_not_others(client, park):
    a = activity(park.branch_a, at(10, 15))
    mark(a, park.member_a)
    r = client.get(
        "/api/v1/reports/attendance?from=2026-01-01&to=2026-12-31", headers=park.headers.secretary_a
    )
    assert r.status_code == 200
    assert r.json["org_id"] == park.branch_a.id
    assert [row["org_id"] for row in r.json["rows"]] == [park.branch_a.id]
    other = client.get(
        f"/api/v1/reports/attendance?org_id={park.branch_b.id}", headers=park.headers.secretary_a
    )
    assert other.status_code == 403


def test_members_cannot_read_staff_reports(client, park):
    for path in ("attendance", "compliance", "members"):
        r = client.get(f"/api/v1/reports/{path}", headers=park.headers.member_a)
        assert r.status_code == 403, path


@pytest.mark.parametrize(
    "query",
    ["from=2026-12-01&to=2026-01-01", "from=yesterday", "format=pdf", "by=month", "year=1800"],
)
def test_bad_report_input_is_a_400(client, park, query):
    r = client.get(f"/api/v1/reports/attendance?{query}", headers=park.headers.committee)
    if "year" in query:
        r = client.get(f"/api/v1/reports/compliance?{query}", headers=park.headers.committee)
    assert r.status_code == 400
    assert r.json["error"]["code"] in ("validation_error", "report.bad_period")


# --- exports ------------------------------------------------------------------------------------


def _seed_export(park):
    a = activity(park.branch_a, at(10, 15), title="=HYPERLINK('x')")  # a hostile title
    mark(a, park.member_a)
    mark(a, park.member_a2, "late")
    return a


def test_csv_has_a_bom_title_header_and_rows(client, park):
    _seed_export(park)
    r = client.get(
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31&by=activity&format=csv",
        headers=park.headers.committee,
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.get_data()
    assert body.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert "出勤统计" in lines[0][0]
    assert lines[1][:4] == ["开始时间", "活动", "类型", "组织"]
    assert lines[2][1] == "'=HYPERLINK('x')"  # neutralised for Excel
    assert lines[2][4:7] == ["3", "1", "1"]
    assert lines[-1][1] == "合计"


def test_xlsx_opens_with_title_frozen_header_and_typed_cells(client, park):
    _seed_export(park)
    r = client.get(
        "/api/v1/reports/attendance?from=2026-10-01&to=2026-10-31&by=activity&format=xlsx",
        headers=park.headers.committee,
    )
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.get_data()))
    ws = wb.active
    assert "园区综合党委" in ws["A1"].value and "2026-10-01" in ws["A1"].value
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]][:3] == ["开始时间", "活动", "类型"]
    assert isinstance(ws["A3"].value, datetime)
    assert ws["A3"].value == datetime(2026, 10, 15, 9, 0)  # local wall time
    assert ws["E3"].value == 3 and ws["F3"].value == 1
    assert ws["L3"].value == pytest.approx(2 / 3, abs=1e-4)
    assert ws.column_dimensions["B"].width >= 20


def test_compliance_and_members_export(client, park):
    _seed_export(park)
    r = client.get(
        "/api/v1/reports/compliance?year=2026&format=xlsx", headers=park.headers.committee
    )
    book = load_workbook(io.BytesIO(r.get_data()))
    # the grid the console shows first, the long list on the second sheet
    grid = book.worksheets[0]
    assert [c.value for c in grid[2]] == ["支部", *[f"{m}月" for m in range(1, 13)], "缺项合计"]
    cells = {row[0].value: [c.value for c in row] for row in grid.iter_rows(min_row=3)}
    assert cells["A企业党支部"][10] == "✓" and cells["B企业党支部"][10] == "缺：主题党日"
    ws = book.worksheets[1]
    assert ws.title == "明细"
    header = [c.value for c in ws[2]]
    assert header == ["支部", "月份", "会议", "周期", "已开", "应开", "状态"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert ["A企业党支部", 10, "主题党日", "月", 1, 1, "已完成"] in values
    assert ["B企业党支部", 10, "主题党日", "月", 0, 1, "未完成"] in values

    r = client.get("/api/v1/reports/members?format=csv&year=2026", headers=park.headers.committee)
    text = r.get_data().decode("utf-8-sig")
    assert "张三" in text and "139" not in text  # no phone numbers in shared reports
