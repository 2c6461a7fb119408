"""Who is expected at an activity — the one definition used by check-in, the sheet, quorum,
reminders, the screen and every report.

As of the activity's day (`held_on`), from the effective-dated history:
- 支委会: the members holding a committee role on the hosting org that day;
- other kinds: members whose org that day is in the hosting org's subtree or an invited
  org's subtree, if they are Party members (full or probationary), or activists at the
  kinds in ACTIVIST_TYPES;
- members invited by name, whatever their status;
with their voting right (full and not excused that day) and committee seat that day.

When the check-in window closes the list is fixed into ActivityAttendee rows (`fix_*`);
from then on the snapshot is the answer, and only an audited correction changes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.activities.models import (
    ACTIVIST_TYPES,
    Activity,
    ActivityAttendee,
    activity_invited_members,
    activity_invited_orgs,
)
from app.db import UTCDateTime
from app.extensions import db
from app.members.models import PARTY_STATUSES, Member, MemberExcusal, MemberHistory
from app.org.models import COMMITTEE_ROLES, Organization, OrgRole

PAIR_COLUMNS = ("activity_id", "member_id", "org_id", "member_status", "voter", "committee")


def valid_on(start_col, end_col, day):
    """SQL: a [start, end) date range (NULL: open) covers `day`."""
    return and_(or_(start_col.is_(None), start_col <= day), or_(end_col.is_(None), end_col > day))


def ancestry(scope_path: str | None = None):
    """(org_id, ancestor_id) for every org (of the subtree at `scope_path`) and each org at or
    above it, as a union of fixed-length parent chains (one per level of the tree).

    The same pairs as `org.path LIKE ancestor.path || '%'`, but joined by equality, so the
    database hashes them instead of comparing every activity's host with every org (which
    is quadratic in the city's orgs), and estimates them well (a recursive CTE it does not).
    """
    levels = db.session.scalar(select(func.max(Organization.depth))) or 0
    parts = []
    for up in range(levels + 1):
        org = aliased(Organization)
        ancestor, chain = (org.id if up == 0 else org.parent_id), []
        for _ in range(up - 1):
            step = aliased(Organization)
            chain.append((step, step.id == ancestor))
            ancestor = step.parent_id
        stmt = select(org.id.label("org_id"), ancestor.label("ancestor_id")).select_from(org)
        for step, on in chain:
            stmt = stmt.join(step, on)
        if up:
            stmt = stmt.where(ancestor.is_not(None))
        if scope_path is not None:
            stmt = stmt.where(org.path.like(scope_path + "%"))
        parts.append(stmt)
    return union_all(*parts).subquery("ancestry")


def _status_fits(history, activity_type):
    return or_(
        history.status.in_(PARTY_STATUSES),
        and_(history.status == "activist", activity_type.in_(list(ACTIVIST_TYPES))),
    )


def _in_host_subtree(member_org_path):
    host = aliased(Organization)
    return (
        select(host.id)
        .where(host.id == Activity.org_id, member_org_path.like(host.path + "%"))
        .exists()
    )


def computed_pairs(where, scope_path: str | None = None, member_id: int | None = None):
    """Subquery (activity_id, member_id, org_id, member_status, voter, committee) computed
    from the history as of each activity's day, for the activities in `where`.

    `scope_path` bounds the host's subtree walk (the activities are hosted inside it);
    `member_id` restricts to one member (the check-in question).
    """
    h = aliased(MemberHistory, name="h")
    cols = (Activity.id.label("activity_id"), h.member_id, h.org_id, h.status)
    one = (h.member_id == member_id) if member_id is not None else True
    asof = valid_on(h.valid_from, h.valid_to, Activity.held_on)
    below = ancestry(scope_path)
    by_host = (
        select(*cols)
        .join(below, below.c.ancestor_id == Activity.org_id)
        .join(h, and_(h.org_id == below.c.org_id, asof, one))
        .where(where, Activity.type != "committee_meeting", _status_fits(h, Activity.type))
    )
    role = aliased(OrgRole)
    by_committee = (
        select(*cols)
        .join(
            role,
            and_(
                role.org_id == Activity.org_id,
                role.role.in_(list(COMMITTEE_ROLES)),
                valid_on(role.since, role.until, Activity.held_on),
            ),
        )
        .join(h, and_(h.member_id == role.member_id, asof, one))
        .where(where, Activity.type == "committee_meeting")
    )
    inv, sub = aliased(Organization), aliased(Organization)
    by_org = (
        select(*cols)
        .join(activity_invited_orgs, activity_invited_orgs.c.activity_id == Activity.id)
        .join(inv, inv.id == activity_invited_orgs.c.org_id)
        .join(sub, sub.path.like(inv.path + "%"))
        .join(h, and_(h.org_id == sub.id, asof, one))
        .where(where, _status_fits(h, Activity.type))
        .where(or_(Activity.type == "committee_meeting", ~_in_host_subtree(sub.path)))
    )
    by_name = (
        select(*cols)
        .join(activity_invited_members, activity_invited_members.c.activity_id == Activity.id)
        .join(h, and_(h.member_id == activity_invited_members.c.member_id, asof, one))
        .where(where)
    )
    # by_host has no duplicates (one host per activity, one history row per member and
    # day), so only the few other pairs are de-duplicated, not a city-wide report's millions
    others = union(by_committee, by_org, by_name).subquery("others")
    base = union_all(by_host, select(others)).subquery("base")
    act = aliased(Activity)
    excused = (
        select(MemberExcusal.id)
        .where(
            MemberExcusal.member_id == base.c.member_id,
            or_(MemberExcusal.from_on.is_(None), MemberExcusal.from_on <= act.held_on),
            or_(MemberExcusal.to_on.is_(None), MemberExcusal.to_on >= act.held_on),
        )
        .exists()
    )
    seat = aliased(OrgRole)
    committee = (
        select(seat.id)
        .where(
            seat.member_id == base.c.member_id,
            seat.org_id == act.org_id,
            seat.role.in_(list(COMMITTEE_ROLES)),
            valid_on(seat.since, seat.until, act.held_on),
        )
        .exists()
    )
    return (
        select(
            base.c.activity_id,
            base.c.member_id,
            base.c.org_id,
            base.c.status.label("member_status"),
            and_(base.c.status == "full", ~excused).label("voter"),
            committee.label("committee"),
        )
        .join(act, act.id == base.c.activity_id)
        .subquery("computed")
    )


def expected_pairs(where, scope_path: str | None = None):
    """Subquery of PAIR_COLUMNS for the activities in `where`: the fixed snapshot where it
    was taken, the history as of the day otherwise."""
    snap = ActivityAttendee
    fixed = (
        select(
            snap.activity_id,
            snap.member_id,
            snap.org_id,
            snap.member_status,
            snap.voter,
            snap.committee,
        )
        .join(Activity, Activity.id == snap.activity_id)
        .where(where, Activity.attendees_fixed_at.is_not(None))
    )
    live = computed_pairs(and_(where, Activity.attendees_fixed_at.is_(None)), scope_path)
    return union_all(fixed, select(live)).subquery("pairs")


def attendees(activity: Activity) -> list[tuple[Member, object]]:
    """(member, pair row) for each expected attendee of one activity, in org-tree order."""
    pairs = expected_pairs(Activity.id == activity.id, activity.org.path)
    org = aliased(Organization)
    rows = db.session.execute(
        select(Member, pairs)
        .join(pairs, pairs.c.member_id == Member.id)
        .join(org, org.id == pairs.c.org_id)
        .order_by(org.path, Member.id)
    ).all()
    return [(r[0], r) for r in rows]


def expected_ids_select(activity: Activity):
    """A select of the ids of the members expected at `activity`."""
    pairs = expected_pairs(Activity.id == activity.id, activity.org.path)
    return select(pairs.c.member_id)


def is_expected(activity: Activity, member: Member) -> bool:
    """Whether `member` is (or was, on the day) expected at `activity`."""
    if activity.attendees_fixed_at is not None:
        return (
            db.session.get(ActivityAttendee, {"activity_id": activity.id, "member_id": member.id})
            is not None
        )
    pairs = computed_pairs(Activity.id == activity.id, activity.org.path, member.id)
    return db.session.scalar(select(pairs.c.member_id).limit(1)) is not None


# --- fixing the snapshot ---------------------------------------------------------------------


def fix_attendees(activity: Activity, now: datetime) -> bool:
    """Write the snapshot of one activity (once; True when this call wrote it)."""
    locked = db.session.get(Activity, activity.id, with_for_update=True, populate_existing=True)
    if locked is None or locked.attendees_fixed_at is not None:
        return False
    pairs = computed_pairs(Activity.id == activity.id, activity.org.path)
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(ActivityAttendee).from_select(
                    [*PAIR_COLUMNS, "manual", "created_at"],
                    select(pairs, literal(False, Boolean()), literal(now, UTCDateTime())),
                )
            )
            locked.attendees_fixed_at = now
            db.session.flush()
    except IntegrityError:  # another process fixed it first
        db.session.refresh(locked)
        return False
    return True


def fix_due_attendees(now: datetime, limit: int = 500) -> int:
    """Fix, in one statement, the lists of up to `limit` published activities whose check-in
    window has closed (rows another transaction is fixing are skipped, not waited for)."""
    ids = list(
        db.session.scalars(
            select(Activity.id)
            .where(
                Activity.status == "published",
                Activity.checkin_closes_at <= now,
                Activity.attendees_fixed_at.is_(None),
            )
            .order_by(Activity.checkin_closes_at, Activity.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    pairs = computed_pairs(Activity.id.in_(ids))
    db.session.execute(
        insert(ActivityAttendee).from_select(
            [*PAIR_COLUMNS, "manual", "created_at"],
            select(pairs, literal(False, Boolean()), literal(now, UTCDateTime())),
        )
    )
    db.session.execute(
        update(Activity)
        .where(Activity.id.in_(ids))
        .values(attendees_fixed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return len(ids)
