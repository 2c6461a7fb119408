"""Reading sessions: the server's clock decides, thresholds per kind, per-minute points, caps,
an item scores once, study time per day, concurrent completions award once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.points.models import MemberPoints, PointLedger
from app.study import reading
from app.study.models import ReadingSession, StudyDay
from app.timeutil import utcnow

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
S = timedelta(seconds=1)


@pytest.fixture
def reader(park, point_rules, principal_of):
    return principal_of(park.member_a)


def ledger(member_id):
    return list(
        db.session.scalars(
            select(PointLedger).where(PointLedger.member_id == member_id).order_by(PointLedger.id)
        )
    )


def read(principal, item, seconds, start=NOW):
    reading.start(principal, item.id, start)
    result = reading.complete(principal, item.id, start + seconds * S)
    db.session.commit()
    return result


def test_a_brief_counts_after_60_seconds_once(reader, park, make_item):
    item = make_item(park.branch_a, publish_at=NOW - timedelta(hours=3))
    session, created = reading.start(reader, item.id, NOW)
    assert created and session["remaining_seconds"] == 60
    again, created = reading.start(reader, item.id, NOW + 5 * S)  # the open one comes back
    assert not created and again["session"]["id"] == session["session"]["id"]
    early = reading.complete(reader, item.id, NOW + 10 * S)
    assert early["counted"] is False and early["remaining_seconds"] == 50
    assert early["points_awarded"] == 0 and ledger(park.member_a.id) == []
    done = reading.complete(reader, item.id, NOW + 61 * S)
    db.session.commit()
    assert done["counted"] and done["points_awarded"] == 1
    assert done["awards"] == [{"action": "morning_brief", "delta": 1}]
    twice = reading.complete(reader, item.id, NOW + 90 * S)
    assert twice["counted"] and twice["points_awarded"] == 0
    # reading it again later: a new session, study time, no points
    read(reader, item, 120, NOW + timedelta(minutes=10))
    assert sum(e.delta for e in ledger(park.member_a.id)) == 1
    seconds = db.session.scalar(
        select(StudyDay.seconds).where(StudyDay.member_id == park.member_a.id)
    )
    assert seconds == 61 + 120


def test_client_durations_are_ignored(client, park, point_rules, make_item):
    item = make_item(park.branch_a)
    h = park.headers.member_a
    assert client.post(f"/api/v1/study-items/{item.id}/start", headers=h).status_code == 201
    assert client.post(f"/api/v1/study-items/{item.id}/start", headers=h).status_code == 200
    r = client.post(
        f"/api/v1/study-items/{item.id}/complete", json={"dwell_seconds": 3600}, headers=h
    )
    assert r.status_code == 200 and r.json["counted"] is False  # the body is not read at all
    assert 55 <= r.json["remaining_seconds"] <= 60


def test_complete_without_start_is_409(client, park, make_item):
    item = make_item(park.branch_a)
    r = client.post(f"/api/v1/study-items/{item.id}/complete", headers=park.headers.member_a)
    assert r.status_code == 409 and r.json["error"]["code"] == "study.session_not_started"
    r = client.post(f"/api/v1/study-items/{item.id}/start", headers=park.headers.secretary_a)
    assert r.status_code == 201  # a secretary is a member too
    r = client.post(f"/api/v1/study-items/{item.id}/start", headers=park.headers.committee)
    assert r.status_code == 403  # the committee user has no member profile
    r = client.post(f"/api/v1/study-items/{item.id}/start", headers=park.headers.member_b)
    assert r.status_code == 404  # not their branch


def test_a_lesson_counts_after_60_percent_and_pays_per_minute(reader, park, make_item):
    lesson = make_item(park.park, "micro_lesson", minutes=10, publish_at=NOW - timedelta(days=1))
    short = read(reader, lesson, 359)
    assert short["counted"] is False and short["remaining_seconds"] == 1
    done = reading.complete(reader, lesson.id, NOW + 7 * 60 * S)
    db.session.commit()
    assert done["awards"] == [
        {"action": "read_item", "delta": 1},
        {"action": "read_minutes", "delta": 6},  # 7 minutes, capped at 6 a day
    ]
    assert db.session.get(ReadingSession, done["session"]["id"]).study_seconds == 420


def test_minutes_count_up_to_the_stated_length(reader, park, make_item):
    article = make_item(park.branch_a, "article", publish_at=NOW - timedelta(days=1))  # 3 min
    done = read(reader, article, 3600)  # left open for an hour
    assert done["required_seconds"] == 108
    assert done["awards"] == [
        {"action": "read_item", "delta": 1},
        {"action": "read_minutes", "delta": 3},
    ]
    row = db.session.get(ReadingSession, done["session"]["id"])
    assert (row.dwell_seconds, row.study_seconds) == (3600, 180)


def test_read_caps_per_day_and_reset_at_shanghai_midnight(reader, park, make_item):
    articles = [
        make_item(park.branch_a, "article", minutes=1, publish_at=NOW - timedelta(days=1))
        for _ in range(8)
    ]
    for i, article in enumerate(articles[:7]):
        read(reader, article, 60, NOW + timedelta(minutes=2 * i))
    by_action = dict(
        db.session.execute(
            select(PointLedger.action, func.sum(PointLedger.delta))
            .where(PointLedger.member_id == park.member_a.id)
            .group_by(PointLedger.action)
        ).all()
    )
    assert by_action == {"read_item": 6, "read_minutes": 6}
    tomorrow = datetime(2030, 5, 15, 16, 0, 1, tzinfo=UTC)  # 00:00:01 on the 16th in Shanghai
    done = read(reader, articles[7], 60, tomorrow)
    assert done["points_awarded"] == 2
    # the seventh article hit both caps yesterday: today its `read_item` (never paid) scores,
    # but its minutes were read yesterday and an item pays its minutes once, whatever the day
    again = read(reader, articles[6], 60, tomorrow + timedelta(minutes=5))
    assert again["points_awarded"] == 1
    assert [a["action"] for a in again["awards"]] == ["read_item"]
    assert read(reader, articles[6], 60, tomorrow + timedelta(minutes=9))["points_awarded"] == 0
    days = dict(
        db.session.execute(
            select(StudyDay.day, StudyDay.seconds).where(StudyDay.member_id == park.member_a.id)
        ).all()
    )
    assert days == {date(2030, 5, 15): 7 * 60, date(2030, 5, 16): 3 * 60}


def test_a_session_left_open_on_an_earlier_day_is_abandoned(reader, park, make_item):
    item = make_item(park.branch_a, publish_at=NOW - timedelta(hours=3))
    first, _ = reading.start(reader, item.id, NOW)
    next_day = NOW + timedelta(days=1)
    second, created = reading.start(reader, item.id, next_day)
    db.session.commit()
    assert created and second["session"]["id"] != first["session"]["id"]
    assert db.session.get(ReadingSession, first["session"]["id"]).status == "abandoned"
    assert reading.complete(reader, item.id, next_day + 30 * S)["counted"] is False


def test_progress_shows_on_the_item(client, park, point_rules, make_item):
    item = make_item(park.branch_a)
    h = park.headers.member_a
    assert (
        client.get(f"/api/v1/study-items/{item.id}", headers=h).json["progress"]["state"] == "new"
    )
    client.post(f"/api/v1/study-items/{item.id}/start", headers=h)
    progress = client.get(f"/api/v1/study-items/{item.id}", headers=h).json["progress"]
    assert progress["state"] == "reading" and progress["remaining_seconds"] > 0
    session = db.session.scalar(select(ReadingSession))
    session.started_at = utcnow() - timedelta(seconds=70)
    db.session.commit()
    r = client.post(f"/api/v1/study-items/{item.id}/complete", headers=h)
    assert r.json["counted"] and r.json["points_awarded"] == 1
    progress = client.get(f"/api/v1/study-items/{item.id}", headers=h).json["progress"]
    assert progress["state"] == "done" and progress["points"] == 1


def _posted_at_once(app, path: str, headers: dict, n: int) -> list[tuple[int, dict]]:
    """POST `path` from `n` threads released together; (status, body) of each answer."""
    barrier = threading.Barrier(n)
    answers: list = []

    def post():
        client = app.test_client()
        barrier.wait()
        r = client.post(path, headers=headers)
        answers.append((r.status_code, r.json))

    threads = [threading.Thread(target=post) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def test_concurrent_completions_award_once(app, backend, park, point_rules, make_item):
    item_id = make_item(park.park, "micro_lesson", minutes=2).id
    member_id = park.member_a.id
    headers = park.headers.member_a
    db.session.add(
        ReadingSession(
            member_id=member_id,
            item_id=item_id,
            status="open",
            open_key=f"{member_id}:{item_id}",
            started_at=utcnow() - timedelta(minutes=5),
        )
    )
    db.session.commit()
    db.session.remove()
    n = 8
    answers = _posted_at_once(app, f"/api/v1/study-items/{item_id}/complete", headers, n)
    assert [a[0] for a in answers] == [200] * n, answers
    assert all(a[1]["counted"] for a in answers)
    assert sorted(a[1]["points_awarded"] for a in answers) == [0] * (n - 1) + [3]
    entries = ledger(member_id)
    assert sorted((e.action, e.delta) for e in entries) == [("read_item", 1), ("read_minutes", 2)]
    assert db.session.get(MemberPoints, member_id).total == 3
    assert db.session.scalar(select(StudyDay.seconds)) == 120  # recorded once


def test_concurrent_starts_open_one_session(app, backend, park, point_rules, make_item):
    """Eight starts at once (a double tap, retries): one session is opened (201), the others
    answer with it (200) — the unique open key decides, in one INSERT … ON CONFLICT."""
    item_id = make_item(park.park, "morning_brief").id
    member_id = park.member_a.id
    headers = park.headers.member_a
    db.session.remove()
    n = 8
    answers = _posted_at_once(app, f"/api/v1/study-items/{item_id}/start", headers, n)
    assert sorted(a[0] for a in answers) == [200] * (n - 1) + [201], answers
    assert len({a[1]["session"]["id"] for a in answers}) == 1
    rows = db.session.scalars(
        select(ReadingSession).where(
            ReadingSession.member_id == member_id, ReadingSession.item_id == item_id
        )
    ).all()
    assert [(r.status, r.open_key) for r in rows] == [("open", f"{member_id}:{item_id}")]
