"""Frozen compliance in one compact row per branch and year (issue 18 item 5): the matrix of
closed periods reads exactly what the frozen figures say, before and after the migration."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from app.extensions import db
from app.reports import compliance, periods
from app.reports.compliance import compliance_report
from app.reports.frozen import frozen_items
from app.reports.models import ClosedPeriod, FrozenCompliance, FrozenFigure
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
