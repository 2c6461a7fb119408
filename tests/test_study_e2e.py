"""Done when (issue 4), as a new user would try it: a secretary schedules tomorrow's morning
brief; it is invisible until its time; a member who completes it after 10 s gets nothing and
is told how long remains; after 60 s gets 1 point once, however often they complete; the
daily quiz gives 1 point per correct answer up to 5; the leaderboard and points/me agree
with the ledger. HTTP where the clock is now, the services with `now` moved where it is not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.points import ranking
from app.points.models import PointLedger
from app.study import quiz, reading, services
from app.study.days import my_standing
from app.timeutil import local_day, local_midnight, utcnow


def ledger_sum(member_id, day=None):
    stmt = select(func.coalesce(func.sum(PointLedger.delta), 0)).where(
        PointLedger.member_id == member_id
    )
    if day is not None:
        stmt = stmt.where(PointLedger.day == day)
    return db.session.scalar(stmt)


def test_a_morning_brief_and_the_daily_quiz_end_to_end(
    client, park, point_rules, make_question, principal_of
):
    # the evening before: the secretary schedules tomorrow's brief for 07:00
    now = utcnow()
    seven_tomorrow = local_midnight(local_day(now) + timedelta(days=1)) + timedelta(hours=7)
    r = client.post(
        "/api/v1/study-items",
        json={
            "kind": "morning_brief",
            "title": "晨会5分钟：学习《中国共产党支部工作条例》",
            "body": "## 第一条\n\n党支部是党的基础组织……",
            "org_id": park.branch_a.id,
            "publish_at": seven_tomorrow.isoformat(),
            "tags": ["支部工作条例"],
        },
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 201 and r.json["status"] == "scheduled"
    item_id = r.json["id"]

    # tonight the member sees nothing of it
    h = park.headers.member_a
    assert client.get("/api/v1/study-items/today", headers=h).json["items"] == []
    r = client.post(f"/api/v1/study-items/{item_id}/start", headers=h)
    assert r.status_code == 404 and r.json["error"]["code"] == "study.not_published"

    # tomorrow morning (services with the clock moved)
    member = principal_of(park.member_a)
    t0 = seven_tomorrow + timedelta(minutes=30)
    today = services.today_items(member, {"page": 1, "per_page": 20}, t0)
    assert [i.id for i in today["items"]] == [item_id]
    _session, created = reading.start(member, item_id, t0)
    assert created
    early = reading.complete(member, item_id, t0 + timedelta(seconds=10))
    assert early["counted"] is False and early["remaining_seconds"] == 50
    assert early["points_awarded"] == 0
    done = reading.complete(member, item_id, t0 + timedelta(seconds=60))
    assert done["counted"] and done["points_awarded"] == 1
    for later in (61, 300, 3600):
        again = reading.complete(member, item_id, t0 + timedelta(seconds=later))
        assert again["points_awarded"] == 0
    reading.start(member, item_id, t0 + timedelta(minutes=5))  # read it again: no points
    assert reading.complete(member, item_id, t0 + timedelta(minutes=7))["points_awarded"] == 0
    db.session.commit()
    assert ledger_sum(park.member_a.id) == 1

    # the daily quiz: 7 questions in the park's bank, the member answers all 5 right
    for _ in range(7):
        make_question(park.park)
    t1 = t0 + timedelta(hours=2)
    drawn = quiz.daily_quiz(member, t1)["questions"]
    assert len(drawn) == 5
    graded = quiz.submit_daily_quiz(member, {q.id: ["A"] for q in drawn}, t1)
    assert graded["correct"] == 5 and graded["points"] == 5
    db.session.commit()
    # a colleague gets 2 of their 5 right
    colleague = principal_of(park.member_a2)
    theirs = quiz.daily_quiz(colleague, t1)["questions"]
    answers = {q.id: ["A"] if i < 2 else ["B"] for i, q in enumerate(theirs)}
    assert quiz.submit_daily_quiz(colleague, answers, t1)["points"] == 2
    db.session.commit()

    # points/me and the leaderboard agree with the ledger
    me = my_standing(park.member_a.id, {"page": 1, "per_page": 20}, t1)
    day = local_day(t1)
    assert me["balance"] == 6 == ledger_sum(park.member_a.id)
    assert me["today"]["points"] == 6 == ledger_sum(park.member_a.id, day)
    rules = {r["action"]: (r["current"], r["max"]) for r in me["today"]["rules"]}
    assert rules["morning_brief"] == (1, 1) and rules["quiz_correct"] == (5, 5)
    assert me["streak"] == {"days": 1, "studied_today": True}
    assert sum(e.delta for e in me["history"]["items"]) == 6
    for period in ("week", "month", "year", "all"):
        assert me["periods"][period] == 6
        board = ranking.leaderboard(member, {"scope": "branch", "period": period}, t1)
        assert [(i["name"], i["points"], i["rank"]) for i in board["items"]] == [
            ("张三", 6, 1),
            ("李四", 2, 2),
        ]
        assert board["me"] == {"member_id": park.member_a.id, "points": 6, "rank": 1}
        park_board = ranking.leaderboard(colleague, {"scope": "park", "period": period}, t1)
        assert park_board["me"]["rank"] == 2 and park_board["me"]["points"] == 2
    db.session.commit()
