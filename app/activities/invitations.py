"""Invitations of other orgs and members to an activity, and their acceptance.

Inviting an org or a member the caller manages takes effect at once. Inviting one outside
the caller's subtree (but in the same park) is `pending` until a manager of the invited org
(or of the member's org) accepts it; until then the `Activity.invited_orgs` /
`invited_members` relationships — and every expected-attendee query — ignore it, so nothing
of theirs is shown, marked, awarded or reminded. Ids in another park, like missing ids,
answer 404: an out-of-scope id must not be told apart from one that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from app import versions
from app.activities.models import Activity, activity_invited_members, activity_invited_orgs
from app.auth import Principal, path_filter
from app.errors import not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization

ACCEPTED, PENDING = "accepted", "pending"
MAX_ID = 2**31 - 1


def _root(org: Organization) -> str:
    return org.path.split("/")[1]


def _org_in_park(host: Organization, org_id: int) -> Organization:
    org = db.session.get(Organization, org_id) if 0 < org_id <= MAX_ID else None
    if org is None or not org.is_active or _root(org) != _root(host):
        raise not_found("组织")
    return org


def _member_in_park(host: Organization, member_id: int) -> Member:
    member = db.session.get(Member, member_id) if 0 < member_id <= MAX_ID else None
    if member is None or not member.is_active or _root(member.org) != _root(host):
        raise not_found("党员")
    return member


def _current(table, column, activity_id: int) -> dict[int, str]:
    rows = db.session.execute(
        select(column, table.c.status).where(table.c.activity_id == activity_id)
    )
    return {target: status for target, status in rows}


def _replace(table, column, activity_id: int, wanted: dict[int, str]) -> None:
    current = _current(table, column, activity_id)
    gone = [target for target in current if target not in wanted]
    if gone:
        db.session.execute(
            delete(table).where(table.c.activity_id == activity_id, column.in_(gone))
        )
    new = [
        {"activity_id": activity_id, column.key: target, "status": status}
        for target, status in wanted.items()
        if target not in current
    ]
    if new:
        db.session.execute(insert(table), new)
    if gone or new:
        versions.bump([versions.ACTIVITIES])  # Core writes: the check-in's cached list must move


def apply_invitations(
    principal: Principal,
    activity: Activity,
    org_ids: list[int] | None,
    member_ids: list[int] | None,
) -> None:
    """Set the activity's invited orgs / members (None leaves that kind alone). A kept
    invitation keeps its status; a new one is accepted only where the caller manages."""
    host = activity.org
    if org_ids is not None:
        wanted: dict[int, str] = {}
        for org_id in dict.fromkeys(org_ids):
            if org_id == host.id:
                continue
            org = _org_in_park(host, org_id)
            wanted[org.id] = ACCEPTED if principal.can_manage_org(org) else PENDING
        _replace(activity_invited_orgs, activity_invited_orgs.c.org_id, activity.id, wanted)
    if member_ids is not None:
        wanted = {}
        for member_id in dict.fromkeys(member_ids):
            member = _member_in_park(host, member_id)
            wanted[member.id] = ACCEPTED if principal.can_manage_org(member.org) else PENDING
        _replace(
            activity_invited_members, activity_invited_members.c.member_id, activity.id, wanted
        )
    db.session.flush()
    db.session.expire(activity, ["invited_orgs", "invited_members"])
    attach_pending(activity)


def attach_pending(activity: Activity) -> Activity:
    """Put the ids of invitations still awaiting acceptance on the activity (for its host)."""
    orgs = _current(activity_invited_orgs, activity_invited_orgs.c.org_id, activity.id)
    members = _current(activity_invited_members, activity_invited_members.c.member_id, activity.id)
    activity.pending_org_ids = sorted(i for i, s in orgs.items() if s == PENDING)
    activity.pending_member_ids = sorted(i for i, s in members.items() if s == PENDING)
    return activity


def pending_for(principal: Principal) -> list[dict[str, Any]]:
    """Invitations awaiting the caller's answer: to orgs they manage, or members of those."""
    paths = principal.manage_paths()
    host = Organization.__table__.alias("host")
    invited = Organization.__table__.alias("invited")
    base = (
        Activity.id.label("activity_id"),
        Activity.title,
        Activity.starts_at,
        host.c.id.label("host_org_id"),
        host.c.name.label("host_org_name"),
    )
    by_org = (
        select(*base, invited.c.id.label("org_id"), invited.c.name.label("org_name"))
        .join(activity_invited_orgs, activity_invited_orgs.c.activity_id == Activity.id)
        .join(invited, invited.c.id == activity_invited_orgs.c.org_id)
        .join(host, host.c.id == Activity.org_id)
        .where(activity_invited_orgs.c.status == PENDING, path_filter(invited.c.path, paths))
        .where(Activity.status != "cancelled")
    )
    by_member = (
        select(*base, Member.id.label("member_id"), Member.name.label("member_name"))
        .join(activity_invited_members, activity_invited_members.c.activity_id == Activity.id)
        .join(Member, Member.id == activity_invited_members.c.member_id)
        .join(invited, invited.c.id == Member.org_id)
        .join(host, host.c.id == Activity.org_id)
        .where(activity_invited_members.c.status == PENDING, path_filter(invited.c.path, paths))
        .where(Activity.status != "cancelled")
    )
    items = [
        {**row._asdict(), "kind": "org", "member_id": None, "member_name": None}
        for row in db.session.execute(by_org)
    ] + [
        {**row._asdict(), "kind": "member", "org_id": None, "org_name": None}
        for row in db.session.execute(by_member)
    ]
    return sorted(items, key=lambda i: (i["starts_at"], i["activity_id"], i["kind"]))


def respond(
    principal: Principal,
    activity_id: int,
    *,
    org_id: int | None,
    member_id: int | None,
    accept: bool,
) -> dict[str, Any]:
    """Accept (or decline, which removes it) a pending invitation addressed to the caller's
    org or one of its members; anything else answers 404, as if it did not exist."""
    if org_id is not None:
        table, column, target = activity_invited_orgs, activity_invited_orgs.c.org_id, org_id
        owner = select(Organization.path).where(Organization.id == org_id)
    else:
        table, column = activity_invited_members, activity_invited_members.c.member_id
        target = member_id
        owner = (
            select(Organization.path)
            .join(Member, Member.org_id == Organization.id)
            .where(Member.id == member_id)
        )
    path = db.session.scalar(owner)
    paths = principal.manage_paths()
    allowed = path is not None and (paths is None or any(path.startswith(p) for p in paths))
    where = (table.c.activity_id == activity_id, column == target, table.c.status == PENDING)
    if not allowed or db.session.execute(select(table.c.activity_id).where(*where)).first() is None:
        raise not_found("邀请")
    if accept:
        db.session.execute(update(table).where(*where).values(status=ACCEPTED))
    else:
        db.session.execute(delete(table).where(*where))
    versions.bump([versions.ACTIVITIES])  # Core writes: the check-in's cached list must move
    db.session.flush()
    activity = db.session.get(Activity, activity_id)
    if activity is not None:
        db.session.expire(activity, ["invited_orgs", "invited_members"])
    return {
        "activity_id": activity_id,
        "org_id": org_id,
        "member_id": member_id,
        "status": ACCEPTED if accept else "declined",
    }
