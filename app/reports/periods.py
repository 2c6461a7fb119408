"""Closed periods: a month, quarter or year is frozen PERIOD_CLOSE_DAYS after it ends.

Freezing writes each branch's figures of the period — its compliance items, its attendance
counts and (for a year) its study hours — to FrozenFigure rows; the reports read a closed
period from there, so nothing done afterwards (a late excusal, a transfer, a 转正, a
corrected list) moves a number the committee has seen. Reopening is a committee action
with a reason: it is audited and freezes the period again from the data as it is now.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from app.activities.models import Activity
from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden
from app.extensions import db
from app.org.models import Organization
from app.reports.frozen import write_compliance
from app.reports.models import PERIOD_KINDS, ClosedPeriod, FrozenFigure
from app.reports.study import freeze_study_month
from app.timeutil import local_day


def period_of(kind: str, start: date) -> tuple[date, date]:
    """[start, end) of the period of `kind` beginning on `start` (validated)."""
    from app.reports.compliance import period_bounds

    first, end = period_bounds(start, kind)
    if first != start:
        raise APIError(400, "period.bad_start", "周期起始日期不正确", {"start": ["不是周期首日"]})
    return first, end


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _figures(
    kind: str, start: date, end: date, now: datetime, tops: list[Organization] | None = None
) -> dict[int, dict]:
    """Every active branch's figures of the period (under `tops`, default every top-level
    org), computed from the data as it is now."""
    from app.reports.compliance import closes_in_month, compliance_report
    from app.reports.services import Scope, attendance_report, no_jit
    from app.reports.study import hours_by_branch

    no_jit()  # city-wide aggregates: JIT compiling them costs more than it saves

    out: dict[int, dict] = {}
    roots = (
        tops
        or db.session.scalars(
            select(Organization).where(
                Organization.parent_id.is_(None), Organization.is_active.is_(True)
            )
        ).all()
    )
    last_month = (end - timedelta(days=1)).month
    for root in roots:
        report = compliance_report(root, start.year, now, live=True)
        attendance = {
            r["org_id"]: r
            for r in attendance_report(Scope(root, start, end), now, live=True)["rows"]
        }
        # the year's hours from the data as it is now, as its items (not the frozen months)
        hours = hours_by_branch(root, start.year, now, frozen=False) if kind == "year" else {}
        for branch in report["branches"]:
            month = next(m for m in branch["months"] if m["month"] == last_month)
            items = [
                i
                for i in month["items"]
                if i["period"] == kind and closes_in_month(date(start.year, last_month, 1), kind)
            ]
            out[branch["org_id"]] = _json(
                {
                    "compliance": [{k: v for k, v in i.items() if k != "frozen"} for i in items],
                    "attendance": attendance.get(branch["org_id"]),
                    "study_hours": hours.get(branch["org_id"]),
                }
            )
    return out


def freeze(
    kind: str, start: date, now: datetime, tops: list[Organization] | None = None
) -> ClosedPeriod:
    """Write (or rewrite, for the branches under `tops`) the frozen figures of a period."""
    first, end = period_of(kind, start)
    row = db.session.scalar(
        select(ClosedPeriod)
        .where(ClosedPeriod.kind == kind, ClosedPeriod.start == first)
        .with_for_update()
    )
    figures = _figures(kind, first, end, now, tops)
    if row is None:
        row = ClosedPeriod(kind=kind, start=first, end=end, closed_at=now, version=1)
        db.session.add(row)
        db.session.flush()
    else:
        db.session.execute(
            delete(FrozenFigure).where(
                FrozenFigure.period_id == row.id, FrozenFigure.org_id.in_(list(figures))
            )
        )
        row.version += 1
        row.closed_at = now
    db.session.add_all(
        FrozenFigure(period_id=row.id, org_id=org_id, figures=f, frozen_at=now)
        for org_id, f in figures.items()
    )
    db.session.flush()
    write_compliance(kind, first, {org_id: f["compliance"] for org_id, f in figures.items()})
    if kind == "month" and (tops is None or row.study_frozen):
        # only part of a month never frozen whole stays live (close-due freezes it whole)
        freeze_study_month(first, now, tops)
        row.study_frozen = True
    return row


def _periods_between(first_day: date, last_end: date):
    """Every month, quarter and year starting on or after `first_day`'s period and ending by
    `last_end`."""
    from app.reports.compliance import period_bounds

    for kind in PERIOD_KINDS:
        start = period_bounds(first_day, kind)[0]
        while True:
            _, end = period_bounds(start, kind)
            if end > last_end:
                break
            yield kind, start, end
            start = end


def close_due_periods(now: datetime, limit: int | None = None) -> list[tuple[str, date]]:
    """Freeze every period that ended PERIOD_CLOSE_DAYS ago or more and is not closed yet
    (from the first activity's period on; at most `limit`). Idempotent; returns what it
    closed."""
    days = current_app.config["PERIOD_CLOSE_DAYS"]
    # a period [start, end) closes on the day end + PERIOD_CLOSE_DAYS
    cutoff = local_day(now) - timedelta(days=days)
    first = db.session.scalar(select(func.min(Activity.held_on)))
    if first is None:
        return []
    have = set(db.session.execute(select(ClosedPeriod.kind, ClosedPeriod.start)).all())
    closed = []
    for kind, start, end in _periods_between(first, cutoff):
        if (kind, start) in have or end > cutoff:
            continue
        if limit is not None and len(closed) >= limit:
            break
        freeze(kind, start, now)
        closed.append((kind, start))
    unfrozen = (ClosedPeriod.kind == "month", ClosedPeriod.study_frozen.is_(False))
    # months closed before their study seconds were frozen: from the data as it is now, as
    # many per call as periods may close (the scheduler's tick: one; a city month ≈ 4 s)
    for row in db.session.scalars(
        select(ClosedPeriod).where(*unfrozen).order_by(ClosedPeriod.start).limit(limit)
    ).all():
        freeze_study_month(row.start, now, None)
        row.study_frozen = True
    return closed


def reopen(
    principal: Principal, kind: str, start: date, reason: str, now: datetime
) -> ClosedPeriod:
    """A committee reopens a closed period to take in a correction: the figures of the
    branches under it are frozen again from the data as it is now. Audited. Admins, and
    managers of a 党工委 or 综合党委 (for their subtree)."""
    tops = _committees(principal)
    if tops is not None and not tops:
        raise forbidden("只有党工委、综合党委可以重新核定已关账的周期")
    first, _ = period_of(kind, start)
    row = db.session.scalar(
        select(ClosedPeriod).where(ClosedPeriod.kind == kind, ClosedPeriod.start == first)
    )
    if row is None:
        raise APIError(409, "period.not_closed", "该周期尚未关账", {"start": [str(first)]})
    old = row.version
    row = freeze(kind, first, now, tops)
    where = tops[0].id if tops else db.session.scalar(select(func.min(Organization.id)))
    audit.record(
        principal,
        action="period.reopen",
        entity_type="closed_period",
        entity_id=row.id,
        org_id=where,
        field=f"{kind}:{first}",
        old=f"v{old}",
        new=f"v{row.version}",
        reason=reason,
        now=now,
    )
    return row


def _committees(principal: Principal) -> list[Organization] | None:
    """The 党工委/综合党委 the caller manages (None: an admin, every org)."""
    if principal.is_admin:
        return None
    ids = [g.org_id for g in principal.grants if g.manages]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organization).where(
                Organization.id.in_(ids),
                Organization.type.in_(("work_committee", "general_committee")),
                Organization.is_active.is_(True),
            )
        )
    )
