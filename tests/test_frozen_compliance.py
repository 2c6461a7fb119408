"""Frozen compliance in one compact row per branch and year (issue 18 item 5): the matrix of
closed periods reads exactly what the frozen figures say, before and after the migration."""

from __future__ import annotations

import gc
import json
import random
from datetime import UTC, date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from app.extensions import db
from app.reports import compliance, periods, study
from app.reports.compliance import compliance_report
from app.reports.frozen import frozen_items, gc_paused
from app.reports.models import ClosedPeriod, FrozenCompliance, FrozenFigure
from app.reports.schemas import ComplianceReportSchema, dump_compliance
from app.timeutil import utcnow
from tests.test_reports import activity, at, mark

MIGRATION_BEFORE = "1cd727773855"  # the head before frozen_compliance


def figures_items(year: int, branch_ids: list[int]) -> dict[tuple, list[dict]]:
    """The read before this change: every period's JSON figures, their compliance part."""
    rows = db.session.execute(
        select(FrozenFigure.org_id, ClosedPeriod.kind, ClosedPeriod.start, FrozenFigure.figures)
        .join(ClosedPeriod, ClosedPeriod.id == FrozenFigure.period_id)
        .where(
            ClosedPeriod.start >= date(year, 1, 1),
            ClosedPeriod.start < date(year + 1, 1, 1),
            FrozenFigure.org_id.in_(branch_ids),
        )
    ).all()
    return {(o, k, s): (f or {}).get("compliance") or [] for o, k, s, f in rows}


@pytest.fixture
def closed_year(park, principal_of):
    """Meetings in January and September, the year 2026 closed, then September reopened for
    the park after a late record (so a row holds periods of two freezes)."""
    mark(activity(park.branch_a, at(1, 12)), park.member_a)
    mark(activity(park.branch_b, at(3, 5)), park.member_b)
    now = datetime(2027, 1, 20, 12, tzinfo=UTC)
    closed = periods.close_due_periods(now)
    db.session.commit()
    assert len(closed) == 12 + 4 + 1
    mark(activity(park.branch_b, at(9, 20)), park.member_b)
    periods.reopen(principal_of(park.committee), "month", date(2026, 9, 1), "补录", now)
    db.session.commit()
    return now


def _report(park, now, monkeypatch, reader):
    monkeypatch.setattr(compliance, "frozen_items", reader)
    return compliance_report(park.park, 2026, now)


def test_the_compact_rows_answer_as_the_frozen_figures(app, park, closed_year, monkeypatch):
    ids = [park.branch_a.id, park.branch_b.id]
    old = figures_items(2026, ids)
    assert len(old) == 2 * 17
    assert frozen_items(2026, ids) == old
    # one row per branch for the whole year
    assert db.session.scalar(select(func.count()).select_from(FrozenCompliance)) == 2
    new_report = _report(park, closed_year, monkeypatch, frozen_items)
    old_report = _report(park, closed_year, monkeypatch, figures_items)
    assert new_report == old_report
    sept = next(
        m
        for b in new_report["branches"]
        if b["org_id"] == park.branch_b.id
        for m in b["months"]
        if m["month"] == 9
    )
    theme = next(i for i in sept["items"] if i["type"] == "theme_day")
    assert (theme["held"], theme["status"], theme["frozen"]) == (1, "met", True)
    assert frozen_items(2025, ids) == {} and frozen_items(2026, []) == {}


def test_the_migration_builds_the_rows_from_existing_figures(app, park, closed_year):
    ids = [park.branch_a.id, park.branch_b.id]
    expected = figures_items(2026, ids)
    db.session.commit()
    db.session.remove()
    downgrade(revision=MIGRATION_BEFORE)  # frozen_compliance gone, frozen_figures kept
    upgrade()  # rebuilt from frozen_figures
    assert db.session.scalar(select(func.count()).select_from(FrozenCompliance)) == 2
    assert frozen_items(2026, ids) == expected


def _schema_dump(park, now) -> dict:
    """What the answer was before dump_compliance: the schema's dump, through JSON."""
    report = study.with_study_hours(compliance_report(park.park, 2026, now), "compliance", now)
    dumped = ComplianceReportSchema().dump(report)
    return json.loads(json.dumps(dumped, ensure_ascii=False))


def test_the_json_answer_is_the_schemas_dump(app, client, park, closed_year):
    now = utcnow()
    r = client.get("/api/v1/reports/compliance?year=2026", headers=park.headers.committee)
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_data().endswith(b"\n")
    answer = json.loads(r.get_data())
    assert answer == _schema_dump(park, now)
    items = [i for b in answer["branches"] for m in b["months"] for i in m["items"]]
    assert items and all(i["frozen"] for i in items)
    assert answer["branches"][0]["study_hours"]["target_hours"] == 32
    # the downloads still flatten the same report
    csv = client.get(
        "/api/v1/reports/compliance?year=2026&format=csv", headers=park.headers.committee
    )
    assert csv.status_code == 200 and "A企业党支部" in csv.get_data(as_text=True)


def test_a_year_half_closed_dumps_as_the_schema(app, park):
    """Frozen months and live ones in one matrix: the hand-built dump is the schema's."""
    mark(activity(park.branch_a, at(1, 12)), park.member_a)
    mark(activity(park.branch_b, at(8, 5)), park.member_b)
    periods.close_due_periods(datetime(2026, 7, 20, 12, tzinfo=UTC))  # January to June
    db.session.commit()
    now = datetime(2026, 8, 20, 12, tzinfo=UTC)
    report = study.with_study_hours(compliance_report(park.park, 2026, now), "compliance", now)
    flags = {i["frozen"] for b in report["branches"] for m in b["months"] for i in m["items"]}
    assert flags == {True, False}
    assert dump_compliance(report) == ComplianceReportSchema().dump(report)
    assert dump_compliance({**report, "quarter": 3}) == ComplianceReportSchema().dump(
        {**report, "quarter": 3}
    )


def test_gc_paused_turns_the_collector_back_on_only_if_it_was_on():
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.fixture
def committee_a(park, grant):
    """Branch A with a committee of three seated: its months show 支委会 beside 主题党日."""
    grant(park.branch_a, "deputy_secretary", member=park.member_a)
    grant(park.branch_a, "organizer", member=park.member_a2)


def test_frozen_items_in_any_order_show_in_the_requirements_order(
    app, park, committee_a, closed_year, monkeypatch
):
    expected = _report(park, closed_year, monkeypatch, frozen_items)
    jan = next(b for b in expected["branches"] if b["org_id"] == park.branch_a.id)["months"][0]
    assert [i["type"] for i in jan["items"]] == ["committee_meeting", "theme_day"]

    def reversed_items(year, ids):
        return {key: items[::-1] for key, items in frozen_items(year, ids).items()}

    assert _report(park, closed_year, monkeypatch, reversed_items) == expected


def test_the_live_part_reads_only_the_open_periods_and_each_of_them_whole(app, park, monkeypatch):
    """January to July closed in August: the live figures read only the meetings the open
    periods count (August's and September's months, Q3, the year) — and equal the figures
    computed from every meeting of the year. A quarter still open counts a meeting of its
    closed month; the year counts its meetings of every month."""
    branch = park.branch_a
    mark(activity(branch, at(3, 12), type="life_meeting"), park.member_a)
    mark(activity(branch, at(7, 10), type="party_lecture"), park.member_a)
    mark(activity(branch, at(7, 15)), park.member_a)  # July's 主题党日: frozen, not re-read
    mark(activity(branch, at(8, 5)), park.member_a)
    now = datetime(2026, 8, 20, 12, tzinfo=UTC)
    periods.close_due_periods(now)
    db.session.commit()
    live = compliance_report(park.park, 2026, now)
    row = next(b for b in live["branches"] if b["org_id"] == branch.id)
    items = {(m["month"], i["type"]): i for m in row["months"] for i in m["items"]}
    assert (items[(7, "theme_day")]["held"], items[(7, "theme_day")]["frozen"]) == (1, True)
    assert (items[(8, "theme_day")]["held"], items[(8, "theme_day")]["frozen"]) == (1, False)
    lecture = items[(9, "party_lecture")]
    assert (lecture["held"], lecture["status"], lecture["frozen"]) == (1, "met", False)
    life = items[(12, "life_meeting")]
    assert (life["held"], life["flags"], life["frozen"]) == (1, ["not_in_q4"], False)

    read = []
    whole_year = compliance.held_meetings

    def recording(*args, **kwargs):
        rows = whole_year(*args, **kwargs)
        read.append({(r[2], int(r[3])) for r in rows})
        return rows

    monkeypatch.setattr(compliance, "held_meetings", recording)
    assert compliance_report(park.park, 2026, now) == live
    assert read[-1] == {("life_meeting", 3), ("party_lecture", 7), ("theme_day", 8)}
    # the reference: the same matrix from every meeting of the year
    monkeypatch.setattr(compliance, "open_windows", lambda keys, types: None)
    assert compliance_report(park.park, 2026, now) == live
    assert ("theme_day", 7) in read[-1]


def test_committee_months_follow_the_seats_on_each_first():
    """The shortcut for seats held all year gives what counting every 1st gives."""
    from types import SimpleNamespace

    rng = random.Random(15)
    firsts = [date(2026, m, 1) for m in range(1, 13)]
    days = [None, date(2025, 6, 1), *(date(2026, m, d) for m in range(1, 13) for d in (1, 2))]
    for _ in range(2000):
        seats = []
        for _ in range(rng.randrange(0, 7)):
            since, until = rng.choice(days), rng.choice([None, *days[1:], date(2027, 1, 1)])
            seats.append(SimpleNamespace(member_id=rng.randrange(5), since=since, until=until))
        plain = {
            m
            for m, first in enumerate(firsts, start=1)
            if len(
                {
                    s.member_id
                    for s in seats
                    if (s.since is None or s.since <= first)
                    and (s.until is None or s.until > first)
                }
            )
            >= compliance.MIN_COMMITTEE
        }
        assert compliance.committee_months(seats, firsts) == plain, seats
