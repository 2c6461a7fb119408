"""The demo park with its year of life (issue 17): a park in its eleventh month, not a failing
one — checked through the same report endpoints the console reads, and against the rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.activities.models import Activity, Attendance
from app.demo import seed_demo_park
from app.extensions import db
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger, PointRule
from app.points.services import daily_cap
from app.study.models import StudyDay
from app.timeutil import local_day, to_local

# 23:30 in Shanghai on 20 November: the hour the first impression went wrong
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


@pytest.fixture
def demo(app):
    assert seed_demo_park(progress=False, now=NOW, life=True)
    db.session.commit()


def _headers(client):
    token = client.post(
        "/api/v1/auth/login", json={"username": "committee", "password": "demo12345"}
    ).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seeding_twice_adds_nothing(demo):
    counts = [_count(m) for m in (Activity, Attendance, PointLedger, StudyDay)]
    assert all(counts)
    assert seed_demo_park(progress=False, now=NOW + timedelta(days=1), life=True) is False
    db.session.commit()
    assert [_count(m) for m in (Activity, Attendance, PointLedger, StudyDay)] == counts


def test_the_console_figures_look_like_a_real_park(demo, client, monkeypatch):
    # the report views read the clock: hold it at NOW, the instant the park was seeded
    monkeypatch.setattr("app.api.reports.utcnow", lambda: NOW)
    headers = _headers(client)
    comp = client.get("/api/v1/reports/compliance?year=2026", headers=headers).json
    statuses = [i["status"] for b in comp["branches"] for m in b["months"] for i in m["items"]]
    met, missed = statuses.count("met"), statuses.count("missed")
    assert 0.80 <= met / (met + missed) <= 0.98
    gaps = {
        b["org_name"]
        for b in comp["branches"]
        for m in b["months"]
        for i in m["items"]
        if i["status"] == "missed"
    }
    assert gaps == {"恩阳食品党支部", "元窝社区党支部"}  # the two branches with a story

    totals = client.get(
        "/api/v1/reports/attendance?from=2026-01-01&to=2026-11-19", headers=headers
    ).json["totals"]
    assert 0.85 <= totals["rate"] <= 0.95
    assert totals["leave"] > 0 and totals["late"] > 0 and totals["makeup"] >= 0

    flagged = [
        r
        for r in client.get("/api/v1/reports/members?year=2026", headers=headers).json["rows"]
        if r["absence_flag"]
    ]
    assert flagged and max(r["absence_flag"] for r in flagged) == 5  # near the six-month line

    study = client.get("/api/v1/reports/study?from=2026-01-01&to=2026-11-19", headers=headers).json[
        "rows"
    ]
    participants = sum(r["participants"] for r in study)
    assert participants / sum(r["members"] for r in study) >= 0.6
    stars = client.get("/api/v1/reports/stars?year=2026", headers=headers).json["rows"]
    assert sum(r["stars"] for r in stars) / len(stars) >= 6
    # last year was rated by the committee in January, with a reason, in the audit log
    last = client.get("/api/v1/reports/stars?year=2025", headers=headers).json["rows"]
    assert last and all(r["final"] and r["reason"] for r in last)
    assert all(r["stars"] == r["computed_stars"] for r in last)


def test_meetings_keep_office_hours_and_titles_match_their_dates(demo):
    activities = db.session.scalars(select(Activity)).all()
    assert len(activities) > 200
    for a in activities:
        local = to_local(a.starts_at)
        assert 8 <= local.hour <= 17 and local.minute in (0, 30), (a.title, local)
        if "季度" in a.title:
            assert f"第{(local.month - 1) // 3 + 1}季度" in a.title, (a.title, local)
    today = local_day(NOW)
    upcoming = [
        a
        for a in activities
        if a.status == "published" and today < local_day(a.starts_at) <= today + timedelta(7)
    ]
    assert upcoming  # something to look forward to this week


def test_point_totals_equal_the_ledger_and_every_cap_holds(demo):
    ledger = db.session.execute(
        select(PointLedger.member_id, PointLedger.action, PointLedger.day, PointLedger.delta)
    ).all()
    sums, per_day = defaultdict(int), defaultdict(int)
    for member_id, action, day, delta in ledger:
        sums[member_id] += delta
        per_day[(member_id, action, day)] += delta
    totals = dict(db.session.execute(select(MemberPoints.member_id, MemberPoints.total)).all())
    assert totals == dict(sums)
    alltime = dict(
        db.session.execute(
            select(MemberPointPeriod.member_id, MemberPointPeriod.points).where(
                MemberPointPeriod.period_kind == "all"
            )
        ).all()
    )
    assert alltime == dict(sums)
    rules = {r.action: r for r in db.session.scalars(select(PointRule))}
    for (_member, action, _day), delta in per_day.items():
        cap = daily_cap(rules[action])
        if cap is not None:
            assert delta <= cap * rules[action].points, (action, delta)


def test_the_past_is_closed_as_the_scheduler_would_have(demo, client):
    """Months that ended PERIOD_CLOSE_DAYS (10) before 20 November are frozen: January to
    September 2026 (October ended 21 days ago: closed too), not November; the compliance
    report says so and reads them from the frozen table."""
    from app.reports.models import ClosedPeriod

    months = set(
        db.session.scalars(select(ClosedPeriod.start).where(ClosedPeriod.kind == "month")).all()
    )
    assert {m.month for m in months if m.year == 2026} == set(range(1, 11))
    assert datetime(2025, 12, 1).date() in months  # last year's too
    assert (
        db.session.scalar(
            select(func.count()).select_from(ClosedPeriod).where(ClosedPeriod.kind == "year")
        )
        == 1
    )  # 2025 only
    r = client.get("/api/v1/reports/compliance?year=2026", headers=_headers(client))
    assert r.status_code == 200
    closed = {(p["kind"], p["start"]) for p in r.json["closed_periods"]}
    assert ("month", "2026-10-01") in closed and ("month", "2026-11-01") not in closed
