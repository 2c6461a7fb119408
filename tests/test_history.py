"""The past does not move (issue 15): effective-dated history, fixed attendee lists, each
branch's calendar, and the smaller rules — every case with its hand-computed answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.activities import attendance
from app.activities.expected import fix_due_attendees, is_expected
from app.activities.models import Activity, ActivityAttendee
from app.audit.models import AuditLog
from app.extensions import db
from app.members import services as members
from app.members.models import MemberExcusal, MemberHistory
from app.org.models import OrgRole
from app.org.services import decorate_orgs
from app.reports import members as report_members
from app.reports import services
from app.reports.compliance import compliance_report
from app.reports.stars import star_count
from app.reports.study import member_hours
from tests.test_reports import NOW, activity, at, mark


def q1_general(report, branch):
    row = next(b for b in report["branches"] if b["org_id"] == branch.id)
    march = next(m for m in row["months"] if m["month"] == 3)
    return next(i for i in march["items"] if i["type"] == "general_meeting")


def sheet(principal, a, now=NOW):
    return attendance.attendance_sheet(principal, a.id, now)


@pytest.fixture
def nine_and_two(park, make_org, make_member):
    """A branch of 9 full and 2 probationary members; a 党员大会 in March with 5 full present."""
    branch = make_org("转正支部", "branch", park.park)
    full = [make_member(branch, name=f"正式{i}") for i in range(9)]
    probation = [make_member(branch, name=f"预备{i}", status="probationary") for i in range(2)]
    meeting = activity(branch, at(3, 10), type="general_meeting")
    for m in full[:5]:
        mark(meeting, m)
    return branch, full, probation, meeting


# --- 1. history: 转正, transfers, leaving -------------------------------------------------------


def test_conversion_in_november_leaves_march_quorate(app, park, principal_of, nine_and_two):
    branch, _, probation, meeting = nine_and_two
    committee = principal_of(park.committee)
    before = sheet(committee, meeting)["quorum"]
    assert (before["expected_voters"], before["present_voters"], before["quorate"]) == (9, 5, True)
    for m in probation:
        members.update_member(
            committee, m.id, {"status": "full", "effective_on": date(2026, 11, 1)}, NOW
        )
    db.session.commit()
    # as of 10 March they were probationary: still 5 of 9, quorate; Q1 still met
    after = sheet(committee, meeting)["quorum"]
    assert (after["expected_voters"], after["present_voters"], after["quorate"]) == (9, 5, True)
    assert q1_general(compliance_report(park.park, 2026, NOW), branch)["status"] == "met"
    # the history holds both states, the change is audited with its effective day
    rows = db.session.scalars(
        select(MemberHistory)
        .where(MemberHistory.member_id == probation[0].id)
        .order_by(MemberHistory.id)
    ).all()
    assert [(r.status, r.valid_from, r.valid_to) for r in rows] == [
        ("probationary", None, date(2026, 11, 1)),
        ("full", date(2026, 11, 1), None),
    ]
    log = db.session.scalar(
        select(AuditLog).where(AuditLog.member_id == probation[0].id, AuditLog.field == "status")
    )
    assert (log.old_value, log.new_value) == ("probationary", "full")
    assert "2026-11-01" in log.reason


def test_converting_today_without_a_date_changes_nothing_in_march(
    app, park, principal_of, nine_and_two
):
    """Without effective_on the change is today's: it never reaches back."""
    _, _, probation, meeting = nine_and_two
    for m in probation:
        m.status = "full"  # as an import or a script would write it
    db.session.commit()
    assert sheet(principal_of(park.committee), meeting)["quorum"]["expected_voters"] == 9


def test_members_transferring_in_later_are_not_expected_in_march(
    app, park, principal_of, nine_and_two, make_member
):
    branch, _, _, meeting = nine_and_two
    committee = principal_of(park.committee)
    newcomers = [make_member(park.branch_b, name=f"转入{i}") for i in range(2)]
    for m in newcomers:
        members.update_member(
            committee, m.id, {"org_id": branch.id, "effective_on": date(2026, 6, 1)}, NOW
        )
    db.session.commit()
    march = sheet(committee, meeting)
    assert march["expected"] == 11 and march["quorum"]["expected_voters"] == 9
    assert not is_expected(meeting, newcomers[0])
    # branch B's March meeting still expects them (they were there then)
    b_march = activity(park.branch_b, at(3, 12))
    assert is_expected(b_march, newcomers[0])
    june = activity(branch, at(6, 15), type="general_meeting")
    assert sheet(committee, june)["quorum"]["expected_voters"] == 11


def test_a_member_who_left_still_counts_where_they_were(app, park, principal_of, nine_and_two):
    _, full, _, meeting = nine_and_two
    committee = principal_of(park.committee)
    members.update_member(
        committee, full[8].id, {"is_active": False, "effective_on": date(2026, 8, 1)}, NOW
    )
    db.session.commit()
    assert sheet(committee, meeting)["quorum"]["expected_voters"] == 9
    september = activity(meeting.org, at(9, 9), type="general_meeting")
    assert sheet(committee, september)["quorum"]["expected_voters"] == 8


def test_effective_day_cannot_precede_the_last_change_or_be_in_the_future(
    app, park, principal_of, nine_and_two
):
    from app.errors import APIError

    _, full, _, _ = nine_and_two
    committee = principal_of(park.committee)
    members.update_member(
        committee, full[0].id, {"status": "probationary", "effective_on": date(2026, 5, 1)}, NOW
    )
    with pytest.raises(APIError) as early:
        members.update_member(
            committee, full[0].id, {"status": "full", "effective_on": date(2026, 4, 1)}, NOW
        )
    assert early.value.code == "member.effective_before_last_change"
    with pytest.raises(APIError) as future:
        members.update_member(
            committee, full[0].id, {"status": "full", "effective_on": date(2026, 12, 1)}, NOW
        )
    assert future.value.code == "member.effective_in_future"


# --- 2. the list is a snapshot --------------------------------------------------------------


def test_a_late_excusal_does_not_turn_a_fixed_meeting_quorate(
    app, park, principal_of, nine_and_two
):
    branch, full, _, meeting = nine_and_two
    committee = principal_of(park.committee)
    # 4 of 9 present: not quorate
    db.session.delete(
        db.session.scalar(
            select(attendance.Attendance).where(
                attendance.Attendance.activity_id == meeting.id,
                attendance.Attendance.member_id == full[0].id,
            )
        )
    )
    db.session.commit()
    assert fix_due_attendees(NOW) == 1  # the scheduler fixes the list after the window
    db.session.commit()
    assert sheet(committee, meeting)["quorum"]["quorate"] is False
    # months later the level above excuses two absentees back to January
    for m in full[5:7]:
        members.add_excusal(
            committee, m.id, {"from_on": date(2026, 1, 1), "reason": "长期出国"}, NOW
        )
    db.session.commit()
    quorum = sheet(committee, meeting)["quorum"]
    assert (quorum["expected_voters"], quorum["present_voters"], quorum["quorate"]) == (9, 4, False)
    assert q1_general(compliance_report(park.park, 2026, NOW), branch)["status"] == "missed"
    # a meeting after the excusal does not count them as voters
    later = activity(branch, at(10, 10), type="general_meeting")
    assert sheet(committee, later)["quorum"]["expected_voters"] == 7


def test_the_branch_secretary_cannot_excuse(app, park, principal_of):
    from app.errors import APIError

    with pytest.raises(APIError) as denied:
        members.add_excusal(
            principal_of(park.secretary_a),
            park.member_a.id,
            {"from_on": date(2026, 1, 1), "reason": "自己批准"},
            NOW,
        )
    assert denied.value.status == 403
    with pytest.raises(APIError):
        members.update_member(
            principal_of(park.secretary_a), park.member_a.id, {"excused": True}, NOW
        )
    assert db.session.scalar(select(MemberExcusal.id)) is None


def test_an_audited_correction_is_the_only_way_to_change_a_fixed_list(
    app, park, principal_of, nine_and_two
):
    from app.activities import roster

    _, full, _, meeting = nine_and_two
    committee = principal_of(park.committee)
    fix_due_attendees(NOW)
    roster.correct(
        committee, meeting.id, full[8].id, {"expected": False, "reason": "已转出，名单有误"}, NOW
    )
    db.session.commit()
    quorum = sheet(committee, meeting)["quorum"]
    assert (quorum["expected_voters"], quorum["present_voters"]) == (8, 5)
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "attendees.correct"))
    assert (log.old_value, log.new_value, log.reason) == (
        "应到（有表决权）",
        "不在名单",
        "已转出，名单有误",
    )


def test_committee_meeting_expects_the_committee_only(app, park, make_org, make_member):
    branch = make_org("支委支部", "branch", park.park)
    people = [make_member(branch) for i in range(9)]
    for m, role in zip(people[:3], ("secretary", "organizer", "publicity"), strict=True):
        db.session.add(OrgRole(org_id=branch.id, member_id=m.id, role=role))
    db.session.commit()
    meeting = activity(branch, at(10, 8), type="committee_meeting")
    for m in people[:3]:
        mark(meeting, m)
    report = services.attendance_report(
        services.Scope(branch, date(2026, 10, 1), date(2026, 11, 1)), NOW, by_activity=True
    )
    [row] = report["rows"]
    assert (row["expected"], row["present"], row["absent"], row["rate"]) == (3, 3, 0, 1.0)
    assert not is_expected(meeting, people[5])


def test_activists_only_at_their_kinds_and_the_public_never(app, park, make_member):
    activist = make_member(park.branch_a, status="activist")
    staff = make_member(park.branch_a, status="staff")
    theme = activity(park.branch_a, at(10, 5), type="theme_day")
    lecture = activity(park.branch_a, at(10, 6), type="party_lecture")
    assert not is_expected(theme, activist) and is_expected(lecture, activist)
    assert not is_expected(theme, staff) and not is_expected(lecture, staff)


def test_recording_a_past_meeting_fixes_its_list_as_of_its_day(
    app, park, principal_of, nine_and_two
):
    """补录 from the paper sheet: the list is as of the meeting, every mark audited."""
    branch, full, probation, _ = nine_and_two
    committee = principal_of(park.committee)
    members.update_member(
        committee, probation[0].id, {"status": "full", "effective_on": date(2026, 11, 1)}, NOW
    )
    paper = activity(branch, at(4, 20), type="general_meeting")
    for m in full[:5]:
        attendance.set_status(
            committee, paper.id, m.id, {"status": "present", "reason": "纸质签到表补录"}, NOW
        )
    db.session.commit()
    assert db.session.get(Activity, paper.id).attendees_fixed_at is not None
    fixed = db.session.get(
        ActivityAttendee, {"activity_id": paper.id, "member_id": probation[0].id}
    )
    assert (fixed.member_status, fixed.voter) == ("probationary", False)
    assert sheet(committee, paper)["quorum"]["expected_voters"] == 9
    marks = db.session.scalars(
        select(AuditLog).where(
            AuditLog.activity_id == paper.id, AuditLog.action == "attendance.set_status"
        )
    ).all()
    assert len(marks) == 5


# --- 3. each branch's calendar ----------------------------------------------------------------


def months_with(report, org, kind):
    row = next(b for b in report["branches"] if b["org_id"] == org.id)
    return [m["month"] for m in row["months"] if any(i["type"] == kind for i in m["items"])]


def test_nothing_is_required_before_the_founding_day(app, park, make_org):
    branch = make_org("七月支部", "branch", park.park, founded_on=date(2026, 7, 1))
    report = compliance_report(park.park, 2026, NOW)
    row = next(b for b in report["branches"] if b["org_id"] == branch.id)
    assert months_with(report, branch, "theme_day") == [7, 8, 9, 10, 11, 12]
    assert months_with(report, branch, "general_meeting") == [9, 12]
    # founded after 1 January: the year's kinds do not bind it this year
    assert months_with(report, branch, "life_meeting") == []
    assert row["gaps"] == [
        "7月：主题党日",
        "8月：主题党日",
        "9月：支部党员大会",
        "9月：党课",
        "9月：主题党日",
        "10月：主题党日",
    ]
    old = next(b for b in report["branches"] if b["org_id"] == park.branch_b.id)
    assert sum(g.startswith(("1月", "2月", "3月", "4月", "5月", "6月")) for g in old["gaps"]) == 10


def test_committee_meetings_are_required_from_the_election(app, park, make_org, make_member):
    branch = make_org("九月支部", "branch", park.park)
    people = [make_member(branch) for _ in range(7)]
    for m, role in zip(people[:3], ("secretary", "organizer", "publicity"), strict=True):
        db.session.add(OrgRole(org_id=branch.id, member_id=m.id, role=role, since=date(2026, 9, 1)))
    db.session.commit()
    report = compliance_report(park.park, 2026, NOW)
    assert months_with(report, branch, "committee_meeting") == [9, 10, 11, 12]
    row = next(b for b in report["branches"] if b["org_id"] == branch.id)
    assert [g for g in row["gaps"] if "支委会" in g] == ["9月：支委会", "10月：支委会"]


def test_group_meetings_are_required_per_group(app, park, make_org, make_member):
    one = make_org("第一党小组", "group", park.branch_b)
    two = make_org("第二党小组", "group", park.branch_b)
    make_member(one)
    make_member(two)
    member_one = make_member(one)
    met = activity(one, at(10, 12), type="group_meeting")
    mark(met, member_one)
    report = compliance_report(park.park, 2026, NOW)
    row = next(b for b in report["branches"] if b["org_id"] == park.branch_b.id)
    october = next(m for m in row["months"] if m["month"] == 10)
    item = next(i for i in october["items"] if i["type"] == "group_meeting")
    assert (item["held"], item["required"], item["status"]) == (1, 2, "missed")
    assert item["missing_groups"] == ["第二党小组"]
    assert "10月：党小组会（第二党小组）" in row["gaps"]


def test_life_meeting_outside_q4_and_theme_day_on_another_day_are_flagged(
    app, park, make_org, make_member
):
    branch = make_org("主题日支部", "branch", park.park, theme_day=15)
    m = make_member(branch)
    life = activity(branch, at(6, 3), type="life_meeting")
    mark(life, m)
    off_day = activity(branch, at(9, 16), type="theme_day")
    mark(off_day, m)
    on_day = activity(branch, at(10, 15), type="theme_day")
    mark(on_day, m)
    now = datetime(2027, 1, 20, 12, tzinfo=UTC)
    report = compliance_report(park.park, 2026, now)
    row = next(b for b in report["branches"] if b["org_id"] == branch.id)
    items = {(mm["month"], i["type"]): i for mm in row["months"] for i in mm["items"]}
    assert items[(12, "life_meeting")]["status"] == "met"
    assert items[(12, "life_meeting")]["flags"] == ["not_in_q4"]
    assert items[(9, "theme_day")]["status"] == "met"
    assert items[(9, "theme_day")]["flags"] == ["other_day"]
    assert (items[(10, "theme_day")]["flags"], items[(10, "theme_day")]["fixed_day"]) == ([], 15)


def test_heart_talks_cover_each_party_member(app, park, make_org, make_member):
    branch = make_org("谈心支部", "branch", park.park)
    people = [make_member(branch) for _ in range(3)]
    make_member(branch, status="activist")  # not a Party member: not owed a talk
    talk = activity(branch, at(5, 5), type="heart_talk")
    for m in people[:2]:
        mark(talk, m)
    now = datetime(2027, 1, 20, 12, tzinfo=UTC)
    row = next(
        b for b in compliance_report(park.park, 2026, now)["branches"] if b["org_id"] == branch.id
    )
    december = next(m for m in row["months"] if m["month"] == 12)
    item = next(i for i in december["items"] if i["type"] == "heart_talk")
    assert (item["held"], item["required"], item["status"]) == (2, 3, "missed")
    mark(activity(branch, at(12, 5), type="heart_talk"), people[2])
    row = next(
        b for b in compliance_report(park.park, 2026, now)["branches"] if b["org_id"] == branch.id
    )
    december = next(m for m in row["months"] if m["month"] == 12)
    item = next(i for i in december["items"] if i["type"] == "heart_talk")
    assert (item["held"], item["required"], item["status"]) == (3, 3, "met")


# --- 5. the smaller rules ---------------------------------------------------------------------


def test_six_month_rule_skips_excused_days_and_counts_party_members_only(
    app, park, make_member, principal_of
):
    since = datetime(2026, 1, 1, tzinfo=UTC)
    activist = make_member(park.branch_a, status="activist")
    abroad = make_member(park.branch_a, name="出国")
    back = make_member(park.branch_a, name="已回国")
    for m in (activist, abroad, back, park.member_b):
        m.created_at = since
    db.session.commit()
    committee = principal_of(park.committee)
    members.add_excusal(committee, abroad.id, {"from_on": date(2026, 3, 1), "reason": "出国"}, NOW)
    # excused March–August (184 days): 10 months and 20 days since 1 Jan less 184 days → 4 months
    members.add_excusal(
        committee,
        back.id,
        {"from_on": date(2026, 3, 1), "to_on": date(2026, 8, 31), "reason": "病休"},
        NOW,
    )
    db.session.commit()
    rows = {r["member_id"]: r for r in report_members.member_rows(park.park, NOW, 2026)}
    assert rows[park.member_b.id]["absence_flag"] == 6  # 1 Jan → 21 Nov: 10 months
    assert rows[activist.id]["absence_flag"] is None
    assert rows[abroad.id]["absence_flag"] is None and rows[abroad.id]["excused"] is True
    assert rows[back.id]["months_without_attendance"] == 4
    assert rows[back.id]["absence_flag"] == 3


def test_branch_size_counts_party_members_only(app, park, make_org, make_member):
    branch = make_org("大支部", "branch", park.park)
    for i in range(45):
        make_member(branch, status="probationary" if i % 3 else "full")
    for _ in range(10):
        make_member(branch, status="activist")
    [org] = decorate_orgs([branch])
    assert org.member_count == 45
    assert "branch.too_many_members" not in {w["code"] for w in org.warnings}
    for _ in range(6):
        make_member(branch)
    [org] = decorate_orgs([branch])
    assert org.member_count == 51
    assert "branch.too_many_members" in {w["code"] for w in org.warnings}


def test_a_three_day_training_counts_8_hours_a_day_or_its_declared_hours(app, park):
    monday = datetime(2026, 9, 7, 9, tzinfo=at(1, 1).tzinfo)
    training = activity(park.branch_a, monday, type="training")
    training.ends_at = monday + timedelta(days=2, hours=8)  # Wednesday 17:00: 56 h on the clock
    db.session.commit()
    mark(training, park.member_a)
    assert member_hours(park.member_a.id, 2026, NOW) == 24.0
    training.study_hours = 18
    db.session.commit()
    assert member_hours(park.member_a.id, 2026, NOW) == 18.0
    lecture = activity(park.branch_a, at(10, 9), type="party_lecture")  # 2 h
    mark(lecture, park.member_a)
    assert member_hours(park.member_a.id, 2026, NOW) == 20.0


@pytest.mark.parametrize(
    ("score", "stars"), [(6.5, 7), (6.49, 6), (7.5, 8), (8.5, 9), (0.5, 1), (9.99, 10)]
)
def test_stars_round_half_up(score, stars):
    assert star_count(score) == stars


def test_the_secretary_hears_of_a_conversion_a_month_ahead(app, park, make_member):
    from app.notify.models import Notification
    from app.notify.reminders import run_due

    soon = make_member(park.branch_a, name="将转正", status="probationary")
    soon.probation_started_on = date(2025, 12, 15)  # due 15 December: 24 days after NOW
    later = make_member(park.branch_a, name="明年转正", status="probationary")
    later.probation_started_on = date(2026, 1, 10)  # due 10 January: 50 days after NOW
    db.session.commit()
    run_due(NOW)
    run_due(NOW + timedelta(days=1))  # the next day adds nothing
    db.session.commit()
    rows = db.session.scalars(
        select(Notification).where(Notification.kind == "conversion_due")
    ).all()
    assert [(n.member_id, n.data["member_id"], n.data["due_on"]) for n in rows] == [
        (park.secretary_a.id, soon.id, "2026-12-15")
    ]
    [shown] = members.decorate([soon], None, full_phone=False)
    assert shown.full_due_on == date(2026, 12, 15)


def test_concurrent_fixers_write_each_list_once(app, backend, park, principal_of, nine_and_two):
    """The scheduler and a 补录 mark fixing at the same moment: one list, never two."""
    import threading

    if backend != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL only (SQLite serialises)")
    from app.activities.expected import fix_attendees

    meeting = nine_and_two[3]
    others = [activity(park.branch_b, at(m, 3)).id for m in (4, 5, 6)]
    meeting_id = meeting.id  # the threads must not touch this session's objects
    n = 8
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def fire(i):
        with app.app_context():
            try:
                barrier.wait()
                if i % 2:
                    fix_due_attendees(NOW)
                else:
                    fix_attendees(db.session.get(Activity, meeting_id), NOW)
                db.session.commit()
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.rollback()
    counts = dict(
        db.session.execute(
            select(ActivityAttendee.activity_id, func.count()).group_by(
                ActivityAttendee.activity_id
            )
        ).all()
    )
    assert counts == {meeting_id: 11, **dict.fromkeys(others, 1)}
    assert sheet(principal_of(park.committee), meeting)["quorum"]["expected_voters"] == 9
