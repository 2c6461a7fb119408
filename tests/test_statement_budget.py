"""Statement budgets of the hot paths, counted with SQLAlchemy's cursor events (not timed).

Each request is made twice or after a warm-up, so the budgets are those of a warm worker:
the principal and the activity's facts come from their caches (app.principals,
app.activities.facts), which the version read at authentication keeps exact. The counts
exclude SQLite's `BEGIN IMMEDIATE` (PostgreSQL's BEGIN is implicit in the driver).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.activities import tokens
from app.activities.models import Attendance
from app.extensions import db
from app.members.models import Member
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger
from app.timeutil import utcnow


@contextmanager
def counted():
    """Collect the SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _show(statements: list[str]) -> str:
    return "\n".join(s[:160].replace("\n", " ") for s in statements)


def _token(activity) -> str:
    return tokens.checkin_token(activity.id, tokens.window_of(utcnow()))


@pytest.fixture
def meeting(park, make_activity, point_rules):
    """A published meeting of branch A whose window is open now."""
    return make_activity(park.branch_a, starts_at=utcnow() + timedelta(minutes=10))


def _check_in(client, headers, activity, **extra):
    token = _token(activity)  # outside the count: the test's own session may reload it
    with counted() as statements:
        r = client.post("/api/v1/checkins", json={"token": token, **extra}, headers=headers)
    return r, statements


def test_first_and_repeat_check_in_budgets(client, park, meeting, backend, auth_headers):
    # warm the worker: the activity's facts (another member) and the caller's principal
    assert _check_in(client, park.headers.secretary_a, meeting)[0].status_code == 201
    assert client.get("/api/v1/me", headers=park.headers.member_a).status_code == 200
    assert client.get("/api/v1/me", headers=auth_headers(park.member_a2)).status_code == 200

    r, first = _check_in(client, park.headers.member_a, meeting)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "present" and r.json["member_name"] == "张三"
    # PostgreSQL: versions + attendance (one CTE) + award (one CTE); SQLite: the award is 3
    assert len(first) <= (3 if backend == "postgresql" else 5), _show(first)

    # a first device is remembered: inside the CTE on PostgreSQL, one UPDATE more on SQLite
    r2, with_device = _check_in(client, auth_headers(park.member_a2), meeting, device_id="phone-a2")
    assert r2.status_code == 201 and not r2.json["new_device"]
    assert len(with_device) <= (3 if backend == "postgresql" else 6), _show(with_device)
    db.session.expire_all()
    assert db.session.get(Member, park.member_a2.id).usual_device == "phone-a2"

    again, repeat = _check_in(client, park.headers.member_a, meeting)
    assert again.status_code == 200 and again.json["id"] == r.json["id"]
    assert len(repeat) <= (2 if backend == "postgresql" else 3), _show(repeat)

    # exactly once, and the totals moved with the ledger
    member_id = park.member_a.id
    assert (
        db.session.scalar(
            select(func.count()).select_from(Attendance).where(Attendance.member_id == member_id)
        )
        == 1
    )
    ledger = db.session.scalar(
        select(func.sum(PointLedger.delta)).where(PointLedger.member_id == member_id)
    )
    assert ledger == 2
    assert db.session.get(MemberPoints, member_id).total == 2
    periods = db.session.scalars(
        select(MemberPointPeriod.points).where(MemberPointPeriod.member_id == member_id)
    ).all()
    assert sorted(periods) == [2, 2, 2, 2]


def test_cold_worker_check_in_stays_bounded(client, park, meeting, backend, auth_headers):
    """Nothing cached yet: the principal (4), the facts (3) and the rules (1) are loaded."""
    r, cold = _check_in(client, park.headers.member_a, meeting)
    assert r.status_code == 201
    assert len(cold) <= (3 if backend == "postgresql" else 5) + 4 + 3 + 1, _show(cold)
    r, warm = _check_in(client, auth_headers(park.member_a2), meeting)
    assert r.status_code == 201
    assert len(warm) <= len(cold) - 4, _show(warm)  # facts and rules were not read again


class TestWithRedis:
    """With REDIS_URL the version read is one MGET: no statement before the work itself."""

    @pytest.fixture
    def app_config(self):
        return {
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "CACHE_KEY_PREFIX": f"t{uuid.uuid4().hex}:",
        }

    def test_check_in_without_a_statement_for_the_principal(self, client, park, meeting, backend):
        assert _check_in(client, park.headers.secretary_a, meeting)[0].status_code == 201
        assert client.get("/api/v1/me", headers=park.headers.member_a).status_code == 200
        r, first = _check_in(client, park.headers.member_a, meeting)
        assert r.status_code == 201
        assert len(first) <= (2 if backend == "postgresql" else 4), _show(first)
        with counted() as me:
            assert client.get("/api/v1/me", headers=park.headers.member_a).status_code == 200
        # the principal, the versions and /me's profile all come from the caches: no statement
        assert me == [], _show(me)


def _counted_get(client, headers, path):
    with counted() as statements:
        r = client.get(path, headers=headers)
    assert r.status_code == 200, r.json
    return r, statements


@pytest.mark.parametrize("with_brief", [True, False], ids=["brief", "no-brief"])
def test_home_budget(client, park, meeting, backend, auth_headers, make_item, with_brief):
    """Versions, the sign-in award, the activities with my status and the counters (with
    the streak and my progress on today's brief, which is kept per org and day): 4 on a warm
    worker, with or without a brief, and 3 once the worker knows the day's sign-in is taken;
    the first home of the day writes the sign-in (on SQLite in 3 statements instead of 1)."""
    brief = make_item(park.park, title="晨会五分钟") if with_brief else None
    _counted_get(client, auth_headers(park.member_a2), "/api/mp/v1/home")  # warm the worker
    _counted_get(client, park.headers.member_a, "/api/v1/me")  # and the caller's principal
    r, first = _counted_get(client, park.headers.member_a, "/api/mp/v1/home")
    assert r.json["points"]["signin_awarded"] is True
    assert [a["id"] for a in r.json["next_activities"]] == [meeting.id]
    assert r.json["next_activities"][0]["my"]["status"] == "pending"
    if brief is None:
        assert r.json["study_today"] is None
    else:
        assert r.json["study_today"]["id"] == brief.id
        assert r.json["study_today"]["progress"]["state"] == "new"
    assert len(first) <= (4 if backend == "postgresql" else 6), _show(first)
    r, again = _counted_get(client, park.headers.member_a, "/api/mp/v1/home")
    assert r.json["points"] == {"today": 1, "total": 1, "signin_awarded": False}
    assert len(again) <= 4, _show(again)
    # once this worker has seen the day's sign-in taken, it no longer asks for it
    r, later = _counted_get(client, park.headers.member_a, "/api/mp/v1/home")
    assert r.json["points"] == {"today": 1, "total": 1, "signin_awarded": False}
    assert len(later) <= 3 and not any("INSERT" in s.upper() for s in later), _show(later)


def test_reading_budgets(client, park, make_item, auth_headers):
    """The 07:30 rush's last two steps on a warm worker without Redis: start is the version
    read and one INSERT … ON CONFLICT; complete before the dwell is the version read and the
    session's locked read — the answer is shown from what was read, not read again after the
    commit."""
    brief = make_item(park.park, title="晨会五分钟")
    url = f"/api/v1/study-items/{brief.id}"
    warm = auth_headers(park.member_a2)  # builds this worker's statements and item snapshot
    assert client.post(f"{url}/start", headers=warm).status_code == 201
    assert client.post(f"{url}/complete", headers=warm).status_code == 200
    _counted_get(client, park.headers.member_a, "/api/v1/me")  # the caller's principal
    with counted() as started:
        r = client.post(f"{url}/start", headers=park.headers.member_a)
    assert r.status_code == 201, r.json
    session = r.json["session"]
    assert session["status"] == "open" and session["completed_at"] is None
    assert len(started) <= 2, _show(started)
    with counted() as completed:
        r = client.post(f"{url}/complete", headers=park.headers.member_a)
    assert r.status_code == 200, r.json
    assert r.json["counted"] is False and r.json["remaining_seconds"] > 0
    assert r.json["session"] == session  # the same open session, as it stands
    assert len(completed) <= 2, _show(completed)


def test_me_budget(client, park, backend):
    """The authenticated no-op on a warm worker without Redis: the version read (which also
    answers the token's revocation) and nothing else; the profile is kept per identity."""
    _counted_get(client, park.headers.member_a, "/api/v1/me")
    r, again = _counted_get(client, park.headers.member_a, "/api/v1/me")
    assert r.json["member"]["id"] == park.member_a.id
    assert len(again) == 1 and "cache_versions" in again[0], _show(again)


def test_points_me_budget(client, park, meeting, auth_headers):
    _counted_get(client, park.headers.member_a, "/api/mp/v1/home")  # a sign-in to show
    _counted_get(client, auth_headers(park.member_a2), "/api/v1/points/me")
    r, statements = _counted_get(client, park.headers.member_a, "/api/v1/points/me")
    assert r.json["balance"] == 1 and r.json["today"]["points"] == 1
    assert r.json["periods"] == {"week": 1, "month": 1, "year": 1, "all": 1}
    assert r.json["history"]["total"] == 1 and r.json["history"]["items"][0]["delta"] == 1
    signin = next(x for x in r.json["today"]["rules"] if x["action"] == "daily_signin")
    assert (signin["current"], signin["max"]) == (1, 1)
    assert len(statements) <= 4, _show(statements)


class TestLeaderboardCache:
    @pytest.fixture
    def app_config(self):
        return {"LEADERBOARD_CACHE_SECONDS": 60}

    def test_leaderboard_budget(self, client, park, meeting):
        path = "/api/v1/points/leaderboard?scope=park&period=month"
        _counted_get(client, park.headers.member_a, "/api/mp/v1/home")  # 1 point
        _counted_get(client, park.headers.member_b, path)  # the top list is now shared
        r, statements = _counted_get(client, park.headers.member_a, path)
        assert r.json["me"] == {"member_id": park.member_a.id, "points": 1, "rank": 1}
        assert [i["member_id"] for i in r.json["items"]] == [park.member_a.id]
        assert len(statements) <= 3, _show(statements)


def test_hot_paths_hit_the_compiled_sql_cache(client, park, meeting, backend, auth_headers):
    """A warm worker compiles nothing: every statement of a check-in, home and /me is found
    in SQLAlchemy's compiled cache (a construct without a cache key, such as VALUES with
    data, would be compiled again on every request)."""
    other = auth_headers(park.member_a2)
    for path in ("/api/v1/me", "/api/mp/v1/home"):
        assert client.get(path, headers=other).status_code == 200
    assert _check_in(client, other, meeting)[0].status_code == 201
    assert client.get("/api/v1/me", headers=park.headers.member_a).status_code == 200
    seen: list[tuple[str, str]] = []

    def after(_conn, _cursor, statement, _params, context, _many):
        if context is not None and not statement.lstrip().upper().startswith("BEGIN"):
            seen.append((str(context.cache_hit), statement[:120]))

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        assert _check_in(client, park.headers.member_a, meeting)[0].status_code == 201
        assert client.get("/api/mp/v1/home", headers=park.headers.member_a).status_code == 200
        assert client.get("/api/v1/me", headers=park.headers.member_a).status_code == 200
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
    assert seen
    missed = [s for s in seen if "CACHE_HIT" not in s[0]]
    assert not missed, missed


def test_hot_statements_are_built_once_per_worker(
    client, park, meeting, backend, auth_headers, make_member
):
    """A warm worker reuses the statement objects of the hot paths across members: they are
    built once with bound parameters (building a select per request cost more CPU than
    running it). Each request runs as two different members; the statement object a cursor
    executes must be the same one both times, except the brief's ORM query and /me's member
    load, which load ORM rows and are built per request."""
    third = make_member(park.branch_a, name="赵六")
    members = [park.member_a, park.member_a2, third]
    headers = [auth_headers(m) for m in members]
    meeting_id = meeting.id  # read now: the test's own session would reload it mid-count

    def check_in(h):
        token = tokens.checkin_token(meeting_id, tokens.window_of(utcnow()))
        return client.post("/api/v1/checkins", json={"token": token}, headers=h)

    requests = [
        check_in,
        lambda h: client.get("/api/mp/v1/home", headers=h),
        lambda h: client.get("/api/v1/points/me", headers=h),
        check_in,  # the repeat
    ]
    for call in requests:  # warm-up: the first member builds every statement
        assert call(headers[0]).status_code < 300
    for h in headers:  # and each member's principal is cached (its first request reads it)
        assert client.get("/api/v1/me", headers=h).status_code == 200

    def run(h):
        seen: dict[str, list] = {}  # the objects themselves: an id() may be reused after GC

        def after(_conn, _cursor, statement, _params, context, _many):
            invoked = getattr(context, "invoked_statement", None)
            if invoked is not None:
                seen.setdefault(statement, []).append(invoked)

        event.listen(db.engine, "after_cursor_execute", after)
        try:
            for call in requests:
                assert call(h).status_code < 300
        finally:
            event.remove(db.engine, "after_cursor_execute", after)
        return seen

    def same(a: list, b: list) -> bool:
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))

    second, third_seen = run(headers[1]), run(headers[2])
    assert second
    rebuilt = [
        sql
        for sql, objects in second.items()
        if sql in third_seen and not same(objects, third_seen[sql]) and "study_items" not in sql
    ]
    assert not rebuilt, "\n\n".join(rebuilt)
    reused = [sql for sql, objects in second.items() if same(objects, third_seen.get(sql, []))]
    assert len(reused) >= 5, _show(list(second))
