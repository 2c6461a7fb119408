"""What a check-in needs to know of an activity, loaded once and kept per version.

A burst of check-ins at one meeting asks the same questions hundreds of times: is it
published, is the window open, when does `late` start, is there a geofence, and who is
expected. :func:`checkin_facts` answers them from a per-worker cache keyed by the
activities' and the orgs' versions (app.versions): any edit of an activity, its
invitations or the org tree moves a version in its own transaction, so the cache is exact.

:func:`expected_at` is the one place the check-in asks who is expected at an activity;
rules about who is expected (history, invitation acceptance) belong there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app import versions
from app.activities.models import Activity, activity_invited_members, activity_invited_orgs
from app.errors import not_found
from app.extensions import db
from app.org.models import Organization

_FACTS = versions.VersionedCache(2048)


@dataclass(frozen=True)
class Expected:
    """Who is expected at one activity: the hosting and invited subtrees, invited members."""

    paths: tuple[str, ...]
    member_ids: frozenset[int]

    def includes(self, member_id: int, org_path: str) -> bool:
        """Whether an active member (of the org at `org_path`) is expected."""
        return org_path.startswith(self.paths) or member_id in self.member_ids


@dataclass(frozen=True)
class CheckinFacts:
    """The activity as the check-in sees it."""

    id: int
    title: str
    status: str
    org_id: int
    org_path: str
    starts_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    late_after_minutes: int
    geofence_lat: float | None
    geofence_lng: float | None
    geofence_radius_m: int | None
    expected: Expected

    @property
    def late_at(self) -> datetime:
        """From this instant (exclusive) a check-in is `late`."""
        return self.starts_at + timedelta(minutes=self.late_after_minutes)


def checkin_facts(activity_id: int) -> CheckinFacts:
    """The facts of an activity (404 when missing): cached, or loaded in 3 statements."""
    version = versions.current(versions.ACTIVITIES, versions.ORGS)
    facts = _FACTS.get(activity_id, version)
    if facts is None:
        facts = _load(activity_id)
        _FACTS.put(activity_id, version, facts)
    return facts


def _load(activity_id: int) -> CheckinFacts:
    row = (
        db.session.execute(
            select(Activity.__table__, Organization.path.label("org_path"))
            .join(Organization, Organization.id == Activity.org_id)
            .where(Activity.id == activity_id)
        )
        .mappings()
        .first()
        if 0 < activity_id <= 2**31 - 1
        else None
    )
    if row is None:
        raise not_found("活动")
    return CheckinFacts(
        id=row["id"],
        title=row["title"],
        status=row["status"],
        org_id=row["org_id"],
        org_path=row["org_path"],
        starts_at=row["starts_at"],
        checkin_opens_at=row["checkin_opens_at"],
        checkin_closes_at=row["checkin_closes_at"],
        late_after_minutes=row["late_after_minutes"],
        geofence_lat=row["geofence_lat"],
        geofence_lng=row["geofence_lng"],
        geofence_radius_m=row["geofence_radius_m"],
        expected=expected_at(activity_id, row["org_path"]),
    )


def expected_at(activity_id: int, host_path: str) -> Expected:
    """Who is expected at the activity: its host's subtree, the invited orgs' subtrees and
    the invited members (2 statements; cached with the facts)."""
    invited_paths = db.session.scalars(
        select(Organization.path)
        .join(activity_invited_orgs, activity_invited_orgs.c.org_id == Organization.id)
        .where(activity_invited_orgs.c.activity_id == activity_id)
    ).all()
    invited_members = db.session.scalars(
        select(activity_invited_members.c.member_id).where(
            activity_invited_members.c.activity_id == activity_id
        )
    ).all()
    return Expected((host_path, *invited_paths), frozenset(invited_members))


def clear() -> None:
    """Forget this worker's facts (tests)."""
    _FACTS.clear()


# a new activity changes no cached facts (its id was never cached); edits and deletes do
versions.watch(Activity, lambda _row, change: [] if change == "new" else [versions.ACTIVITIES])
