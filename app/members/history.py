"""Effective-dated history of members: where they belonged, with which status, excused when.

Every change of a member's org, status, activity or excusal — through a service, the
importer, the demo seed or a test — is turned into history rows at flush time, so the
history cannot drift from the member row. The date a change takes effect is the member's
`effective_on` (set by the service from the request; default: today in the display zone);
a new member's history starts on `member_since` (NULL: before any record).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

from app.members.models import Member, MemberExcusal, MemberHistory
from app.timeutil import local_day, utcnow

TRACKED = ("org_id", "status", "is_active")


def effective_on(member: Member) -> date:
    """The day the pending change of `member` takes effect (default today)."""
    return getattr(member, "effective_on", None) or local_day(utcnow())


def open_row(session: Session, member_id: int) -> MemberHistory | None:
    """The member's current history row (None once they left)."""
    with session.no_autoflush:
        return session.scalar(
            select(MemberHistory).where(
                MemberHistory.member_id == member_id, MemberHistory.valid_to.is_(None)
            )
        )


def open_excusal(session: Session, member_id: int) -> MemberExcusal | None:
    """The member's excusal without an end day, if any."""
    with session.no_autoflush:
        return session.scalar(
            select(MemberExcusal)
            .where(MemberExcusal.member_id == member_id, MemberExcusal.to_on.is_(None))
            .order_by(MemberExcusal.id.desc())
            .limit(1)
        )


def excused_on(session: Session, member_id: int, day: date) -> bool:
    """Whether an excusal covers `day`."""
    with session.no_autoflush:
        return (
            session.scalar(
                select(MemberExcusal.id)
                .where(
                    MemberExcusal.member_id == member_id,
                    or_(MemberExcusal.from_on.is_(None), MemberExcusal.from_on <= day),
                    or_(MemberExcusal.to_on.is_(None), MemberExcusal.to_on >= day),
                )
                .limit(1)
            )
            is not None
        )


def _started(session: Session, member: Member) -> None:
    since = getattr(member, "member_since", None)
    row = MemberHistory(member=member, status=member.status, valid_from=since)
    row.org_id = member.org_id
    if member.org_id is None:
        row.org = member.org
    session.add(row)
    if member.excused:
        session.add(_excusal(member, since))


def _excusal(member: Member, start: date | None) -> MemberExcusal:
    excusal = MemberExcusal(member=member, from_on=start, to_on=None)
    excusal.reason = getattr(member, "change_reason", None) or ""
    excusal.decided_by_org_id = getattr(member, "excused_by_org_id", None)
    return excusal


def _changed(member: Member, key: str) -> bool:
    return inspect(member).attrs[key].history.has_changes()


def _moved(session: Session, member: Member) -> None:
    """Close the open row on the effective day and open the new state from it."""
    day = effective_on(member)
    current = open_row(session, member.id)
    if current is not None:
        if current.valid_from is not None and current.valid_from >= day:
            # a correction on (or before) the day the row began replaces it
            if member.is_active:
                current.org_id, current.status = member.org_id, member.status
            else:
                session.delete(current)
            return
        current.valid_to = day
    if member.is_active:
        session.add(
            MemberHistory(
                member_id=member.id, org_id=member.org_id, status=member.status, valid_from=day
            )
        )


def _excused_changed(session: Session, member: Member) -> None:
    day = effective_on(member)
    current = open_excusal(session, member.id)
    if member.excused:
        if current is None:
            session.add(_excusal(member, day))
        return
    if current is None:
        return
    if current.from_on is not None and current.from_on >= day:
        session.delete(current)
    else:
        current.to_on = day - timedelta(days=1)


@event.listens_for(Session, "before_flush")
def _write_history(session: Session, flush_context, instances) -> None:
    """Turn pending member changes into history rows in the same flush."""
    for obj in list(session.new):
        if isinstance(obj, Member):
            _started(session, obj)
    for obj in list(session.dirty):
        if not isinstance(obj, Member) or obj in session.new:
            continue
        if any(_changed(obj, key) for key in TRACKED):
            _moved(session, obj)
        if _changed(obj, "excused"):
            _excused_changed(session, obj)
