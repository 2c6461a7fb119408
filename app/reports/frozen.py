"""Closed periods as reports read them: which are closed, and their frozen figures.

The writing side (freezing, closing when due, reopening) is app.reports.periods, which
builds on the reports; this module builds on nothing of them, so every report can ask it.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import Select, insert, select, update

from app.extensions import db
from app.reports.models import ClosedPeriod, FrozenCompliance, FrozenFigure

KIND_LABELS = {"month": "月度", "quarter": "季度", "year": "年度"}


def closed_keys(year: int) -> set[tuple[str, date]]:
    """(kind, start) of the closed periods of `year`."""
    rows = db.session.execute(
        select(ClosedPeriod.kind, ClosedPeriod.start).where(
            ClosedPeriod.start >= date(year, 1, 1), ClosedPeriod.start < date(year + 1, 1, 1)
        )
    ).all()
    return {(k, s) for k, s in rows}


def period_key(kind: str, start: date) -> str:
    """The key of a period in a FrozenCompliance row: `month:2025-01-01`."""
    return f"{kind}:{start.isoformat()}"


def _dumps(doc: dict[str, list]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for the block (back on after, if it was on)."""
    # a city's closed year decodes ~350,000 containers, none of them cyclic, freed by their
    # reference counts when the answer is written; the collections their allocation
    # triggers walked the heap over and over (over half of the request's CPU)
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def frozen_items(year: int, branch_ids: list[int] | Select) -> dict[tuple, list[dict]]:
    """(branch, kind, start) → the frozen compliance items of the year's closed periods."""
    # one compact row per branch and year (FrozenCompliance): a city's year is 3,000 texts
    # for one json.loads each, not 51,000 JSON documents parsed twice (server and driver)
    # (orjson decodes a city's 18 MB in half the time json.loads takes)
    out: dict[tuple, list[dict]] = {}
    periods: dict[str, tuple[str, date]] = {}
    for org_id, text in db.session.execute(
        select(FrozenCompliance.org_id, FrozenCompliance.items).where(
            FrozenCompliance.year == year, FrozenCompliance.org_id.in_(branch_ids)
        )
    ):
        for key, items in orjson.loads(text).items():
            if key not in periods:
                kind, _, start = key.partition(":")
                periods[key] = (kind, date.fromisoformat(start))
            out[(org_id, *periods[key])] = items
    return out


def write_compliance(kind: str, start: date, items_by_branch: dict[int, list[dict]]) -> None:
    """Put one period's frozen compliance items into each branch's row of the year (the
    freezing transaction calls this with what it wrote to FrozenFigure)."""
    if not items_by_branch:
        return
    key, year = period_key(kind, start), start.year
    stored = dict(
        db.session.execute(
            select(FrozenCompliance.org_id, FrozenCompliance.items).where(
                FrozenCompliance.year == year,
                FrozenCompliance.org_id.in_(list(items_by_branch)),
            )
        ).all()
    )
    new, changed = [], []
    for org_id, items in items_by_branch.items():
        doc = json.loads(stored[org_id]) if org_id in stored else {}
        doc[key] = items or []
        row = {"org_id": org_id, "year": year, "items": _dumps(doc)}
        (changed if org_id in stored else new).append(row)
    if new:
        db.session.execute(insert(FrozenCompliance), new)
    if changed:
        db.session.execute(update(FrozenCompliance), changed)


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


def frozen_study_hours(year: int, branch_ids: list[int]) -> dict[int, dict | None]:
    """Branch → the study hours frozen with the closed year (None: frozen without them)."""
    # only that part of each document: the year's figures carry its compliance items too
    rows = db.session.execute(
        select(FrozenFigure.org_id, FrozenFigure.figures["study_hours"])
        .join(ClosedPeriod, ClosedPeriod.id == FrozenFigure.period_id)
        .where(
            ClosedPeriod.kind == "year",
            ClosedPeriod.start == date(year, 1, 1),
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
