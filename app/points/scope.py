"""Where a member is ranked: their branch and their park, kept on the period totals.

The period totals carry the member's branch and park so that a rank is one COUNT over an
index. They are written with every ledger entry, and rewritten here when a member moves,
is deactivated or reactivated, or when an org is moved or retyped (mapper events, so every
code path that changes these rows is covered, in the same transaction).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, inspect, select, update

from app.members.models import Member
from app.org.models import Organization
from app.points.models import MemberPointPeriod

BRANCH = "branch"
PARK = "general_committee"


def period_keys(day: date) -> list[tuple[str, str]]:
    """The (kind, key) of every period a day belongs to: ISO week, month, year, all time."""
    iso_year, iso_week, _ = day.isocalendar()
    return [
        ("week", f"{iso_year}-W{iso_week:02d}"),
        ("month", f"{day.year}-{day.month:02d}"),
        ("year", f"{day.year}"),
        ("all", "all"),
    ]


def path_ids(path: str) -> list[int]:
    """'/1/5/12/' → [1, 5, 12] (root first)."""
    return [int(part) for part in path.strip("/").split("/") if part]


def scope_of_path(executor, path: str) -> tuple[int | None, int | None]:
    """(branch id, park id) of the org with `path`: the nearest branch at or above it (else the
    org itself), and the highest general committee above it (else the root)."""
    ids = path_ids(path)
    if not ids:
        return None, None
    types = dict(
        executor.execute(
            select(Organization.id, Organization.type).where(Organization.id.in_(ids))
        ).all()
    )
    branch = next((i for i in reversed(ids) if types.get(i) == BRANCH), ids[-1])
    park = next((i for i in ids if types.get(i) == PARK), ids[0])
    return branch, park


def scope_of_org(executor, org_id: int) -> tuple[int | None, int | None]:
    """(branch id, park id) of an org by id."""
    path = executor.execute(select(Organization.path).where(Organization.id == org_id)).scalar()
    return scope_of_path(executor, path or "")


def member_scope(executor, member_id: int) -> tuple[int | None, int | None]:
    """(branch id, park id) the member is ranked in; (None, None) while inactive."""
    row = executor.execute(
        select(Member.is_active, Organization.path)
        .join(Organization, Organization.id == Member.org_id)
        .where(Member.id == member_id)
    ).first()
    if row is None or not row.is_active:
        return None, None
    return scope_of_path(executor, row.path)


def _rescope_members(connection, member_ids) -> None:
    for member_id in member_ids:
        branch_id, park_id = member_scope(connection, member_id)
        connection.execute(
            update(MemberPointPeriod.__table__)
            .where(MemberPointPeriod.__table__.c.member_id == member_id)
            .values(branch_id=branch_id, park_id=park_id)
        )


def _changed(target, *names: str) -> bool:
    state = inspect(target)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Member, "after_update")
def _member_moved(_mapper, connection, target: Member) -> None:
    if _changed(target, "org_id", "is_active"):
        _rescope_members(connection, [target.id])


@event.listens_for(Organization, "after_update")
def _org_moved(_mapper, connection, target: Organization) -> None:
    if not _changed(target, "parent_id", "type"):
        return
    # read the path from the database: a move rewrites the subtree's paths in bulk first
    path = connection.execute(
        select(Organization.path).where(Organization.id == target.id)
    ).scalar()
    if not path:
        return
    table = MemberPointPeriod.__table__
    orgs = connection.execute(
        select(Organization.id, Organization.path).where(Organization.path.like(path + "%"))
    ).all()
    for org_id, org_path in orgs:  # one UPDATE per org of the subtree, not one per member
        branch_id, park_id = scope_of_path(connection, org_path)
        active = select(Member.id).where(Member.org_id == org_id, Member.is_active.is_(True))
        connection.execute(
            update(table)
            .where(table.c.member_id.in_(active))
            .values(branch_id=branch_id, park_id=park_id)
        )
