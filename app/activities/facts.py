"""What a check-in needs to know of an activity, loaded once and kept per version.

A burst of check-ins at one meeting asks the same questions hundreds of times: is it
published, is the window open, when does `late` start, is there a geofence, and who is
expected. :func:`checkin_facts` answers them from a per-worker cache keyed by the
activities', the orgs' and the people's versions (app.versions): any edit of an activity,
its invitations, the org tree, a member, their history, excusals or roles moves a version
in its own transaction, so the cache is exact.

:func:`expected_at` is the one place the check-in asks who is expected at an activity;
rules about who is expected (history, invitation acceptance) belong there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app import versions
from app.activities.models import Activity, ActivityAttendee
from app.errors import not_found
from app.extensions import db
from app.members.models import MemberExcusal, MemberHistory
from app.org.models import Organization

_FACTS = versions.VersionedCache(2048)


@dataclass(frozen=True)
class Expected:
    """Who is expected at one activity, as app.activities.expected counts them: the list as
    of the activity's day (history, committee seats, accepted invitations), or its snapshot."""

    member_ids: frozenset[int]

    def includes(self, member_id: int, org_path: str) -> bool:
        """Whether the member is expected (`org_path` is not needed: the list is exact)."""
        return member_id in self.member_ids


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
    version = versions.current(versions.ACTIVITIES, versions.ORGS, versions.PEOPLE)
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
    """Who is expected at the activity (one statement; cached with the facts). The rules are
    app.activities.expected's, so the sheet, the reports and the check-in agree."""
    from app.activities.expected import expected_pairs

    pairs = expected_pairs(Activity.id == activity_id, host_path)
    return Expected(frozenset(db.session.scalars(select(pairs.c.member_id))))


def clear() -> None:
    """Forget this worker's facts (tests)."""
    _FACTS.clear()


# a new activity changes no cached facts (its id was never cached); edits and deletes do
versions.watch(Activity, lambda _row, change: [] if change == "new" else [versions.ACTIVITIES])


def _people(_row, _change) -> list[str]:
    return [versions.PEOPLE]


# who is expected follows the members' history and excusals (app.activities.expected)
versions.watch(MemberHistory, _people)
versions.watch(MemberExcusal, _people)
versions.watch(ActivityAttendee, lambda _row, _change: [versions.ACTIVITIES])
