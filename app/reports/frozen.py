"""Closed periods as reports read them: which are closed, and their frozen figures.

The writing side (freezing, closing when due, reopening) is app.reports.periods, which
builds on the reports; this module builds on nothing of them, so every report can ask it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.reports.models import ClosedPeriod, FrozenFigure

KIND_LABELS = {"month": "月度", "quarter": "季度", "year": "年度"}


def closed_keys(year: int) -> set[tuple[str, date]]:
    """(kind, start) of the closed periods of `year`."""
    rows = db.session.execute(
        select(ClosedPeriod.kind, ClosedPeriod.start).where(
            ClosedPeriod.start >= date(year, 1, 1), ClosedPeriod.start < date(year + 1, 1, 1)
        )
    ).all()
    return {(k, s) for k, s in rows}


def frozen_items(year: int, branch_ids: list[int]) -> dict[tuple, list[dict]]:
    """(branch, kind, start) → the frozen compliance items of the year's closed periods."""
    # only the compliance part is read: a city's year is 51,000 rows to decode
    rows = db.session.execute(
        select(
            FrozenFigure.org_id,
            ClosedPeriod.kind,
            ClosedPeriod.start,
            FrozenFigure.figures["compliance"],
        )
        .join(ClosedPeriod, ClosedPeriod.id == FrozenFigure.period_id)
        .where(
            ClosedPeriod.start >= date(year, 1, 1),
            ClosedPeriod.start < date(year + 1, 1, 1),
            FrozenFigure.org_id.in_(branch_ids),
        )
    ).all()
    return {(o, k, s): f or [] for o, k, s, f in rows}


def frozen_figures(kind: str, start: date, branch_ids: list[int]) -> dict[int, dict]:
    """Branch → the whole frozen figures of one closed period (empty when not closed)."""
    rows = db.session.execute(
        select(FrozenFigure.org_id, FrozenFigure.figures)
        .join(ClosedPeriod, ClosedPeriod.id == FrozenFigure.period_id)
        .where(
            ClosedPeriod.kind == kind,
            ClosedPeriod.start == start,
            FrozenFigure.org_id.in_(branch_ids),
        )
    ).all()
    return dict(rows)


def list_closed(year: int) -> list[dict[str, Any]]:
    """The closed periods of a year (for the console), oldest first."""
    rows = db.session.scalars(
        select(ClosedPeriod)
        .where(ClosedPeriod.start >= date(year, 1, 1), ClosedPeriod.start < date(year + 1, 1, 1))
        .order_by(ClosedPeriod.start, ClosedPeriod.kind)
    ).all()
    return [
        {
            "kind": r.kind,
            "kind_label": KIND_LABELS[r.kind],
            "start": r.start,
            "end": r.end - timedelta(days=1),
            "closed_at": r.closed_at,
            "version": r.version,
        }
        for r in rows
    ]
