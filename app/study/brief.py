"""Today's morning brief on home: the item kept per org path and day, the progress read along.

At 07:30 most of a city opens home within minutes, and every member of an org sees the same
brief. Loading and decorating it through the ORM per request (the item, its org, its tags,
the question count, three progress queries) was the largest cost of home. Here the day's
briefs reaching an org path are loaded once per worker and kept at the study and org
versions (app.versions: any change to an item, its tags, its questions or the org tree moves
them in the writing transaction, so the copy is exact); the member's own progress is four
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
from app.study.models import ITEM_KIND_LABELS, StudyItem
from app.study.progress import progress_entry
from app.study.services import _LOADS, _question_counts, required_seconds
from app.timeutil import local_day, local_midnight

_BRIEFS = versions.VersionedCache(2048)  # (org path, Shanghai day) → the day's briefs

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


def briefs_of_day(org_path: str, now: datetime) -> tuple[dict[str, Any], ...]:
    """The active morning briefs of `now`'s Shanghai day posted to the org or above it,
    newest first (scheduled ones included: the caller filters on the hour)."""
    day = local_day(now)
    version = versions.current(versions.STUDY, versions.ORGS)
    found = _BRIEFS.get((org_path, day), version)
    if found is None:
        found = _load(org_path, day)
        _BRIEFS.put((org_path, day), version, found)
    return found


def _load(org_path: str, day) -> tuple[dict[str, Any], ...]:
    items = db.session.scalars(
        select(StudyItem)
        .where(
            StudyItem.is_active.is_(True),
            StudyItem.kind == "morning_brief",
            StudyItem.org_id.in_(path_ids(org_path)),
            StudyItem.publish_at >= local_midnight(day),
            StudyItem.publish_at < local_midnight(day + timedelta(days=1)),
        )
        .options(*_LOADS)
        .order_by(StudyItem.publish_at.desc(), StudyItem.id.desc())
    ).all()
    counts = _question_counts([i.id for i in items])
    return tuple(
        {
            **{name: getattr(item, name) for name in _FIELDS},
            "kind_label": ITEM_KIND_LABELS[item.kind],
            "org_name": item.org.name,
            "tags": tuple(item.tags),
            "question_count": counts.get(item.id, 0),
        }
        for item in items
    )


def todays_brief(org_path: str, now: datetime) -> dict[str, Any] | None:
    """The newest brief of today already published at `now` that reaches the org path."""
    for brief in briefs_of_day(org_path, now):
        if brief["publish_at"] <= now:
            return brief
    return None


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
