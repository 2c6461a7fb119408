"""The point rules as the awards read them: cached per worker, exact per version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app import versions
from app.extensions import db
from app.points.models import PointRule


def daily_cap(rule: PointRule) -> int | None:
    """Units a rule pays per day: the smaller of its count and minute caps (None: no cap)."""
    caps = [c for c in (rule.daily_count_cap, rule.daily_minute_cap) if c is not None]
    return min(caps) if caps else None


@dataclass(frozen=True)
class Rule:
    """A point rule as the award reads it (cached per version of the rules)."""

    id: int
    action: str
    label: str
    points: int
    cap: int | None  # units per day (None: no cap)
    active: bool


_RULES = versions.VersionedCache(4)


def rules() -> dict[str, Rule]:
    """Every rule by action, cached per worker until an admin edits one."""
    version = versions.current(versions.RULES)
    cached = _RULES.get("rules", version)
    if cached is None:
        cached = {
            r.action: Rule(r.id, r.action, r.label, r.points, daily_cap(r), r.active)
            for r in db.session.scalars(select(PointRule))
        }
        _RULES.put("rules", version, cached)
    return cached


versions.watch(PointRule, lambda _rule, _change: [versions.RULES])
