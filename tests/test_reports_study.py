"""Study participation, quiz accuracy, top lessons, study hours against 32 a year, and star
ratings — pinned on small hand-built data, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.activities.models import Activity, Attendance
from app.audit.models import AuditLog
from app.extensions import db
from app.points.models import PointLedger
from app.reports import stars, study
from app.study.models import DailyQuiz, ReadingSession, StudyDay, StudyItem
from app.timeutil import local_tz

TZ = local_tz()
NOW = datetime(2026, 11, 21, 12, tzinfo=TZ)


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=TZ)


def studied(member, day, seconds=600):
    db.session.add(StudyDay(member_id=member.id, day=day, seconds=seconds))


def quiz(member, day, correct, asked=5):
    db.session.add(
        DailyQuiz(
            member_id=member.id,
            day=day,
            question_ids=list(range(1, asked + 1)),
            drawn_at=at(day.month, day.day),
            submitted_at=at(day.month, day.day, 10),
            correct=correct,
            points=correct,
        )
    )


def ledger(member, day, delta, key):
    db.session.add(
        PointLedger(
            member_id=member.id,
            action="read_item",
            delta=delta,
            reason="阅读",
            source_type="study_item",
            source_id=1,
            day=day,
            idempotency_key=key,
            created_at=at(day.month, day.day),
        )
    )


@pytest.fixture
def week_of_study(park):
    """Week of 2 Nov (Mon) 2026: member_a reads Mon and Tue, member_a2 quizzes on Wed."""
    studied(park.member_a, date(2026, 11, 2))
    studied(park.member_a, date(2026, 11, 3))
    studied(park.member_a2, date(2026, 11, 4), seconds=0)  # opened but counted nothing
    quiz(park.member_a2, date(2026, 11, 4), correct=3)
    quiz(park.member_b, date(2026, 11, 4), correct=5)
    ledger(park.member_a, date(2026, 11, 2), 4, "k1")
    ledger(park.member_a2, date(2026, 11, 4), 3, "k2")
    ledger(park.member_a, date(2026, 10, 30), 9, "k-outside")  # before the period
    db.session.commit()


def row(report, org):
    return next(r for r in report["rows"] if r["org_id"] == org.id)


def test_participation_by_day_and_by_week(app, park, week_of_study):
    by_day = study.study_report(park.park, date(2026, 11, 1), date(2026, 11, 8), "day")
    a = row(by_day, park.branch_a)
    assert (a["members"], a["participants"]) == (3, 2)
    assert a["participation_rate"] == round(2 / 3, 4)
    assert [(p["start"], p["members"]) for p in a["series"]] == [
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 1),
        (date(2026, 11, 4), 1),
    ]
    by_week = study.study_report(park.park, date(2026, 11, 2), date(2026, 11, 16), "week")
    a = row(by_week, park.branch_a)
    # distinct members per week: member_a twice in the week counts once
    assert [(p["start"], p["members"], p["rate"]) for p in a["series"]] == [
        (date(2026, 11, 2), 2, round(2 / 3, 4))
    ]


def test_average_points_and_quiz_accuracy(app, park, week_of_study):
    report = study.study_report(park.park, date(2026, 11, 1), date(2026, 12, 1), "week")
    a, b = row(report, park.branch_a), row(report, park.branch_b)
    assert a["average_points"] == round((4 + 3) / 3, 2)
    assert a["quiz_accuracy"] == 0.6
    assert b["quiz_accuracy"] == 1.0 and b["participation_rate"] == 1.0


def test_top_lessons_count_effective_completions(app, park):
    lesson = StudyItem(
        kind="micro_lesson",
        title="微课堂：党章第一章",
        org_id=park.park.id,
        publish_at=at(10, 1),
        minutes=10,
    )
    article = StudyItem(
        kind="article", title="文章", org_id=park.park.id, publish_at=at(10, 1), minutes=3
    )
    db.session.add_all([lesson, article])
    db.session.flush()
    for member, item, points in (
        (park.member_a, lesson, 2),
        (park.member_a2, lesson, 1),
        (park.member_b, article, 1),
        (park.secretary_a, article, 0),  # too short: not counted
    ):
        db.session.add(
            ReadingSession(
                member_id=member.id,
                item_id=item.id,
                status="completed",
                started_at=at(11, 5),
                completed_at=at(11, 5, 10),
                dwell_seconds=600,
                study_seconds=600,
                points=points,
            )
        )
    db.session.commit()
    top = study.study_report(park.park, date(2026, 11, 1), date(2026, 12, 1), "week")["top_lessons"]
    assert [(t["title"], t["completions"]) for t in top] == [("微课堂：党章第一章", 2), ("文章", 1)]


def test_study_hours_count_reading_and_collective_study(app, park):
    studied(park.member_a, date(2026, 3, 1), seconds=30 * 3600)
    lecture = Activity(
        org_id=park.branch_a.id,
        type="party_lecture",
        title="党课",
        starts_at=at(4, 1),
        ends_at=at(4, 1) + timedelta(hours=2),
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        checkin_opens_at=at(4, 1) - timedelta(minutes=30),
        checkin_closes_at=at(4, 1) + timedelta(minutes=30),
        status="published",
        published_at=at(3, 25),
    )
    db.session.add(lecture)
    db.session.flush()
    for member in (park.member_a, park.member_a2):
        db.session.add(
            Attendance(
                activity_id=lecture.id,
                member_id=member.id,
                status="present",
                method="qr",
                checked_in_at=lecture.starts_at,
            )
        )
    db.session.commit()
    assert study.member_hours(park.member_a.id, 2026, NOW) == 32.0
    hours = study.hours_by_branch(park.park, 2026, NOW)[park.branch_a.id]
    assert hours["members"] == 3 and hours["members_meeting_target"] == 1
    assert hours["average_hours"] == round((32 + 2 + 0) / 3, 2)


def test_compliance_and_member_reports_carry_study_hours(client, park):
    studied(park.member_a, date(2026, 6, 1), seconds=7200)
    db.session.commit()
    r = client.get("/api/v1/reports/compliance?year=2026", headers=park.headers.committee)
    a = next(b for b in r.json["branches"] if b["org_id"] == park.branch_a.id)
    assert a["study_hours"]["target_hours"] == 32
    assert a["study_hours"]["members"] == 3
    members = client.get("/api/v1/reports/members?year=2026", headers=park.headers.committee).json
    assert {m["member_id"]: m["study_hours"] for m in members["rows"]}[park.member_a.id] == 2.0
    me = client.get(
        f"/api/v1/reports/members/{park.member_a.id}?year=2026", headers=park.headers.member_a
    )
    assert me.json["study_hours"] == 2.0


def test_study_report_api_and_export(client, park, week_of_study):
    r = client.get(
        "/api/v1/reports/study?from=2026-11-01&to=2026-11-30&by=week",
        headers=park.headers.committee,
    )
    assert r.status_code == 200
    assert {x["org_name"] for x in r.json["rows"]} == {"A企业党支部", "B企业党支部"}
    too_long = client.get(
        "/api/v1/reports/study?from=2024-01-01&to=2026-11-30", headers=park.headers.committee
    )
    assert too_long.status_code == 400
    xlsx = client.get(
        "/api/v1/reports/study?from=2026-11-01&to=2026-11-30&format=xlsx",
        headers=park.headers.committee,
    )
    ws = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert [c.value for c in ws[2]][:4] == ["支部", "党员数", "参与学习人数", "参与率"]


# --- stars ----------------------------------------------------------------------------------


def test_score_follows_the_documented_formula(app, park, week_of_study):
    board = stars.star_board(park.park, 2026, NOW)
    a = row(board, park.branch_a)
    w = board["weights"]
    expected = round(
        10
        * (
            w["compliance"] * a["compliance"]
            + w["attendance"] * a["attendance"]
            + w["study"] * a["study"]
        ),
        2,
    )
    assert a["score"] == expected
    assert a["computed_stars"] == round(expected)
    assert a["final"] is False and a["stars"] == a["computed_stars"]
    # nothing held all year: every closed requirement missed
    assert a["compliance"] == 0.0
    assert a["study"] == round(2 / 3, 4)


def test_weights_are_configuration(app, park, week_of_study):
    app.config["STAR_WEIGHTS"] = {"compliance": 0, "attendance": 0, "study": 1}
    a = row(stars.star_board(park.park, 2026, NOW), park.branch_a)
    assert a["score"] == round(10 * 2 / 3, 2)


def test_committee_sets_final_stars_with_a_reason_audited(client, park):
    r = client.put(
        f"/api/v1/reports/stars/{park.branch_a.id}",
        headers=park.headers.committee,
        json={"year": 2026, "stars": 8, "reason": "组织生活规范，学习氛围好"},
    )
    assert r.status_code == 200, r.json
    assert (r.json["stars"], r.json["band"], r.json["final"]) == (8, "良好", True)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "stars.set"))
    assert entry.reason == "组织生活规范，学习氛围好" and entry.org_id == park.branch_a.id
    board = client.get("/api/v1/reports/stars?year=2026", headers=park.headers.committee).json
    assert row(board, park.branch_a)["stars"] == 8


def test_a_branch_cannot_rate_itself(client, park):
    r = client.put(
        f"/api/v1/reports/stars/{park.branch_a.id}",
        headers=park.headers.secretary_a,
        json={"year": 2026, "stars": 10, "reason": "自评"},
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"year": 2026, "stars": 11, "reason": "太多"},
        {"year": 2026, "stars": 8},
        {"stars": 8, "reason": "没有年份"},
    ],
)
def test_bad_star_input(client, park, body):
    r = client.put(
        f"/api/v1/reports/stars/{park.branch_a.id}", headers=park.headers.committee, json=body
    )
    assert r.status_code == 400


def test_only_branches_get_stars(client, park):
    r = client.put(
        f"/api/v1/reports/stars/{park.park.id}",
        headers=park.headers.admin,
        json={"year": 2026, "stars": 9, "reason": "综合党委"},
    )
    assert r.status_code == 400 and r.json["error"]["code"] == "stars.not_a_branch"
