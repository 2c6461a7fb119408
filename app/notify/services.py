"""Inbox writes (batched, exactly once per natural key), reads, opt-outs and consent credits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.errors import APIError, not_found
from app.extensions import db
from app.members.models import Member
from app.notify.models import KINDS, Notification, NotificationOptOut, SubscriptionCredit
from app.schemas import paginate
from app.timeutil import local_tz

BATCH = 1000  # rows per INSERT in a fan-out: one statement per batch, not per member


@dataclass
class Reminder:
    """What to write to the inbox of each member in `member_ids` for one cause."""

    kind: str
    cause: str
    day: date
    title: str
    body: str = ""
    member_ids: Iterable[int] = ()
    data: dict[str, Any] = field(default_factory=dict)


def quiet_until(now: datetime) -> datetime:
    """`now`, or the next 07:00 local when `now` falls in the 22:00–07:00 quiet hours."""
    start, end = current_app.config["QUIET_HOURS_START"], current_app.config["QUIET_HOURS_END"]
    local = now.astimezone(local_tz())
    if end <= local.hour < start:
        return now
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=local_tz())


def _insert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def write_reminder(reminder: Reminder, now: datetime) -> int:
    """Insert one inbox row per member, skipping any that already exist; returns rows added."""
    if reminder.kind not in KINDS:
        raise ValueError(f"unknown reminder kind {reminder.kind}")
    ids = sorted(set(reminder.member_ids))
    if not ids:
        return 0
    push_after = quiet_until(now)
    insert = _insert(db.engine.dialect.name)
    added = 0
    for start in range(0, len(ids), BATCH):
        rows = [
            {
                "member_id": member_id,
                "kind": reminder.kind,
                "cause": reminder.cause,
                "day": reminder.day,
                "title": reminder.title[:100],
                "body": reminder.body,
                "data": reminder.data,
                "created_at": now,
                "push_status": "pending",
                "push_after": push_after,
                "push_attempts": 0,
            }
            for member_id in ids[start : start + BATCH]
        ]
        # The unique natural key makes a re-run, a retry or a second scheduler add nothing.
        stmt = (
            insert(Notification)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["member_id", "kind", "cause", "day"])
            .returning(Notification.id)
        )
        # RETURNING counts what was really added (rowcount is -1 for this on psycopg)
        added += len(db.session.execute(stmt).all())
    db.session.flush()
    return added


def list_inbox(member: Member, args: dict[str, Any]) -> dict:
    """The member's notifications, newest first, with the unread count."""
    stmt = select(Notification).where(Notification.member_id == member.id)
    if args.get("unread"):
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(
        stmt.order_by(Notification.created_at.desc(), Notification.id.desc()),
        args["page"],
        args["per_page"],
    )
    page["unread"] = unread_count(member.id)
    return page


def unread_count_query(member_id: int):
    """The SELECT that counts the member's unread notifications (to compose into one)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
    )


def unread_count(member_id: int) -> int:
    """How many of the member's notifications are unread."""
    return db.session.scalar(unread_count_query(member_id))


def mark_read(member: Member, notification_id: int, now: datetime) -> Notification:
    """Mark one of the member's own notifications read (someone else's is a 404)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.member_id != member.id:
        raise not_found("通知")
    if note.read_at is None:
        note.read_at = now
    db.session.flush()
    return note


def mark_all_read(member: Member, now: datetime) -> int:
    """Mark every unread notification of the member read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.member_id == member.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount or 0


def preferences(member: Member) -> list[dict[str, Any]]:
    """Every reminder kind with whether the member receives it as a push message."""
    off = set(
        db.session.scalars(
            select(NotificationOptOut.kind).where(NotificationOptOut.member_id == member.id)
        )
    )
    return [{"kind": k, "label": label, "push": k not in off} for k, label in KINDS.items()]


def set_preferences(member: Member, changes: dict[str, bool]) -> list[dict[str, Any]]:
    """Turn push messages on or off per kind (the inbox always keeps the reminder)."""
    unknown = sorted(set(changes) - set(KINDS))
    if unknown:
        raise APIError(400, "notify.unknown_kind", "未知的提醒类型", {"kinds": unknown})
    for kind, wanted in changes.items():
        row = db.session.scalar(
            select(NotificationOptOut).where(
                NotificationOptOut.member_id == member.id, NotificationOptOut.kind == kind
            )
        )
        if wanted and row is not None:
            db.session.delete(row)
        elif not wanted and row is None:
            db.session.add(NotificationOptOut(member_id=member.id, kind=kind))
    db.session.flush()
    return preferences(member)


def record_consent(member: Member, results: dict[str, bool], now: datetime) -> dict[str, int]:
    """Add one credit per accepted one-time subscription; answers credits per template."""
    for template_id, accepted in results.items():
        if accepted:
            _add_credit(member.id, template_id, now)
    rows = db.session.execute(
        select(SubscriptionCredit.template_id, SubscriptionCredit.credits).where(
            SubscriptionCredit.member_id == member.id,
            SubscriptionCredit.template_id.in_(list(results)),
        )
    ).all()
    credits = {template_id: 0 for template_id in results}
    credits.update({r.template_id: r.credits for r in rows})
    return credits


def _add_credit(member_id: int, template_id: str, now: datetime) -> None:
    bump = (
        update(SubscriptionCredit)
        .where(
            SubscriptionCredit.member_id == member_id,
            SubscriptionCredit.template_id == template_id,
        )
        .values(credits=SubscriptionCredit.credits + 1, updated_at=now)
    )
    if db.session.execute(bump).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                SubscriptionCredit(
                    member_id=member_id, template_id=template_id, credits=1, updated_at=now
                )
            )
    except IntegrityError:  # another request created the row first: add to it instead
        db.session.execute(bump)


def take_credit(member_id: int, template_id: str) -> bool:
    """Consume one consent credit atomically; False when none is left."""
    result = db.session.execute(
        update(SubscriptionCredit)
        .where(
            SubscriptionCredit.member_id == member_id,
            SubscriptionCredit.template_id == template_id,
            SubscriptionCredit.credits > 0,
        )
        .values(credits=SubscriptionCredit.credits - 1)
    )
    return bool(result.rowcount)


def refund_credit(member_id: int, template_id: str) -> None:
    """Give back a credit WeChat did not use (the message was refused before delivery)."""
    db.session.execute(
        update(SubscriptionCredit)
        .where(
            SubscriptionCredit.member_id == member_id,
            SubscriptionCredit.template_id == template_id,
        )
        .values(credits=SubscriptionCredit.credits + 1)
    )


def clear_credits(member_id: int, template_id: str) -> None:
    """WeChat says there is no consent left (43101): our count was stale, so zero it."""
    db.session.execute(
        update(SubscriptionCredit)
        .where(
            SubscriptionCredit.member_id == member_id,
            SubscriptionCredit.template_id == template_id,
        )
        .values(credits=0)
    )


def heartbeat_status(now: datetime, starting: bool = False) -> dict[str, Any]:
    """For /readyz: the scheduler's last heartbeat and whether its lease is current; while
    the server itself has just started (`starting`), a missing or old lease is `starting`."""
    from app.notify.models import SchedulerLease

    row = db.session.scalar(select(SchedulerLease).limit(1))
    if row is None:
        return {"scheduler": "starting" if starting else "absent", "scheduler_heartbeat_at": None}
    fresh = row.lease_until >= now
    state = "ok" if fresh else ("starting" if starting else "stale")
    return {"scheduler": state, "scheduler_heartbeat_at": row.heartbeat_at}
