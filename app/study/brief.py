"""Today's morning brief on home: the day's briefs kept per worker, the progress read along.

At 07:30 most of a city opens home within minutes, and every member of an org sees the same
brief. Loading and decorating it through the ORM per request (the item, its org, its tags,
the question count, three progress queries) was the largest cost of home. Here the day's
briefs of the whole city are loaded once per worker, by the org they were posted to, and
kept at the study and org versions (app.versions: any change to an item, its tags, its
questions or the org tree moves them in the writing transaction, so the copy is exact); a
member's brief is the newest posted to their org or above it. Their own progress is four
scalar subqueries that home adds to its one counters statement
(:func:`app.study.progress.progress_columns`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import versions
from app.extensions import db
from app.points.scope import path_ids
from app.study.access import question_counts
from app.study.models import ITEM_KIND_LABELS, StudyItem
from app.study.progress import progress_entry
from app.study.services import _LOADS, required_seconds
from app.timeutil import local_day, local_midnight

_BRIEFS = versions.VersionedCache(8)  # Shanghai day → the day's briefs by org

# what a brief looks like on home, apart from the member's progress and its status
_FIELDS = (
    "id",
    "kind",
    "title",
    "summary",
    "org_id",
    "publish_at",
    "minutes",
    "media_url",
    "created_at",
    "updated_at",
)


def briefs_by_org(now: datetime) -> dict[int, tuple[dict[str, Any], ...]]:
    """The active morning briefs of `now`'s Shanghai day, by the org they were posted to,
    newest first (scheduled ones included: the caller filters on the hour). One copy per
    worker for the whole city: keyed per reader's org, 3,000 branches missed on most
    requests of a city rush."""
    day = local_day(now)
    version = versions.current(versions.STUDY, versions.ORGS)
    found = _BRIEFS.get(day, version)
    if found is None:
        found = _load(day)
        _BRIEFS.put(day, version, found)
    return found


def _load(day) -> dict[int, tuple[dict[str, Any], ...]]:
    items = db.session.scalars(
        select(StudyItem)
        .where(
            StudyItem.is_active.is_(True),
            StudyItem.kind == "morning_brief",
            StudyItem.publish_at >= local_midnight(day),
            StudyItem.publish_at < local_midnight(day + timedelta(days=1)),
        )
        .options(*_LOADS)
        .order_by(StudyItem.publish_at.desc(), StudyItem.id.desc())
    ).all()
    counts = question_counts([i.id for i in items])
    by_org: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        by_org.setdefault(item.org_id, []).append(
            {
                **{name: getattr(item, name) for name in _FIELDS},
                "kind_label": ITEM_KIND_LABELS[item.kind],
                "org_name": item.org.name,
                "tags": tuple(item.tags),
                "question_count": counts.get(item.id, 0),
            }
        )
    return {org_id: tuple(briefs) for org_id, briefs in by_org.items()}


def todays_brief(org_path: str, now: datetime) -> dict[str, Any] | None:
    """The newest brief of today already published at `now` that reaches the org path (posted
    to the org or above it)."""
    by_org = briefs_by_org(now)
    best = None
    for org_id in path_ids(org_path):
        for brief in by_org.get(org_id, ()):
            if brief["publish_at"] <= now:
                if best is None or (brief["publish_at"], brief["id"]) > (
                    best["publish_at"],
                    best["id"],
                ):
                    best = brief
                break
    return best


def with_progress(brief: dict[str, Any], values, now: datetime) -> dict[str, Any]:
    """The brief as home shows it, with the member's progress from `progress_columns`."""
    started, completed, points, answered = values
    required = required_seconds(_Kind(brief["kind"], brief["minutes"]))
    return {
        **brief,
        "status": "published",
        "required_seconds": required,
        "progress": progress_entry(required, started, completed, points, bool(answered), now),
    }


class _Kind:
    """What required_seconds reads of an item."""

    __slots__ = ("kind", "minutes")

    def __init__(self, kind: str, minutes: int):
        self.kind, self.minutes = kind, minutes
