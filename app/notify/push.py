"""WeChat subscribe-message delivery for inbox rows: at most once, bounded retries, credits.

A notification is claimed (pending or queued → sending) in one transaction that also checks
the member and spends the consent credit; that transaction commits before WeChat is called.
So two senders never push the same row; a sender killed before the commit leaves the row
claimable (nothing was sent); a sender killed during the call leaves it in `sending`, and such
a row is given up as failed after STALE_SENDING, never re-sent: WeChat has no idempotency
key, so "maybe sent" must count as sent (at most once, see the README). `queued` rows (handed
to the task queue, app.notify.tasks) go back to `pending` when their lease lapses: nobody
has claimed them, so nothing can have been sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.members.models import Member
from app.notify import models as m
from app.notify.services import clear_credits, refund_credit, take_credit
from app.timeutil import local_tz
from app.wechat import TokenCache, WeChatClient, WeChatSendError, thing, time_value

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4
STALE_SENDING = timedelta(minutes=10)
UNKNOWN_OUTCOME = "sender stopped during the call: outcome unknown, not re-sent"
_RATE_WAIT = WeChatSendError(
    429, "wechat.rate_limited", "发送过于频繁，稍后重试", errcode=None, retryable=True
)  # our own limit kept us waiting too long: nothing was sent, try again later


class DatabaseTokenCache(TokenCache):
    """The WeChat access token in one row shared by every worker and the scheduler.

    It uses its own connection, so storing a token never commits a caller's unit of work.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def get(self) -> tuple[str, float] | None:
        """The cached token and its expiry (epoch seconds), if any."""
        table = m.WeChatAccessToken.__table__
        with db.engine.connect() as raw:
            conn = raw.execution_options(sqlite_begin="DEFERRED")  # a read takes no lock
            row = conn.execute(
                select(table.c.token, table.c.expires_at).where(table.c.key == self.key)
            ).first()
        return (row.token, row.expires_at) if row else None

    def set(self, token: str, expires_at: float) -> None:
        """Store a fresh token for every process (upsert in its own transaction)."""
        table = m.WeChatAccessToken.__table__
        with db.engine.begin() as conn:
            changed = conn.execute(
                update(table)
                .where(table.c.key == self.key)
                .values(token=token, expires_at=expires_at)
            ).rowcount
            if not changed:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            table.insert().values(key=self.key, token=token, expires_at=expires_at)
                        )
                except IntegrityError:  # another process stored one first; ours is as good
                    pass


def template_for(kind: str) -> str | None:
    """The subscribe template configured for a reminder kind (WECHAT_TEMPLATES)."""
    return current_app.config["WECHAT_TEMPLATES"].get(kind)


def template_data(note: m.Notification) -> dict[str, str]:
    """Template fields within WeChat's limits: thing1 title, time2 when, thing3 detail."""
    when = note.data.get("starts_at")
    moment = datetime.fromisoformat(when) if when else note.created_at.astimezone(local_tz())
    return {
        "thing1": thing(note.title),
        "time2": time_value(moment.astimezone(local_tz())),
        "thing3": thing(note.body or note.title),
    }


def due_ids(now: datetime, limit: int) -> list[int]:
    """Ids of pending notifications whose push time has come, oldest first."""
    return list(
        db.session.scalars(
            select(m.Notification.id)
            .where(m.Notification.push_status == m.PUSH_PENDING, m.Notification.push_after <= now)
            .order_by(m.Notification.id)
            .limit(limit)
        )
    )


def push_due(client: WeChatClient, now: datetime, limit: int = 500, limiter=None) -> dict[str, int]:
    """Push every pending notification whose time has come, in this process; commits per row."""
    reap(now)
    ids = due_ids(now, limit)
    db.session.commit()
    return push_ids(client, ids, lambda: now, limiter)


def push_ids(
    client: WeChatClient, ids: list[int], clock: Callable[[], datetime], limiter=None
) -> dict[str, int]:
    """Push the given notifications (those still unclaimed); `clock` gives each row its `now`."""
    counts = {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}
    for note_id in ids:
        outcome = _push_one(client, note_id, clock(), limiter)
        if outcome:
            counts[outcome] += 1
    return counts


def reap(now: datetime, queue_lease: timedelta | None = None) -> dict[str, int]:
    """Give up rows left `sending` (outcome unknown) and free `queued` rows whose lease lapsed."""
    stale = list(
        db.session.scalars(
            select(m.Notification.id).where(
                m.Notification.push_status == m.PUSH_SENDING,
                m.Notification.push_after < now - STALE_SENDING,
            )
        )
    )
    for start in range(0, len(stale), 1000):
        chunk = stale[start : start + 1000]
        given_up = db.session.scalars(
            update(m.Notification.__table__)
            .where(m.Notification.id.in_(chunk), m.Notification.push_status == m.PUSH_SENDING)
            .values(push_status=m.PUSH_FAILED)
            .returning(m.Notification.id)
        ).all()
        db.session.add_all(
            m.PushAttempt(notification_id=i, status=m.PUSH_FAILED, message=UNKNOWN_OUTCOME)
            for i in given_up
        )
    freed = 0
    if queue_lease is not None:
        # never claimed, so never sent: safe to hand out again
        freed = db.session.execute(
            update(m.Notification.__table__)
            .where(
                m.Notification.push_status == m.PUSH_QUEUED,
                m.Notification.push_after < now - queue_lease,
            )
            .values(push_status=m.PUSH_PENDING)
        ).rowcount
    db.session.commit()
    return {"given_up": len(stale), "requeued": freed or 0}


def _finish(note_id: int, status: str, errcode: int | None = None, message: str = "") -> None:
    db.session.add(
        m.PushAttempt(
            notification_id=note_id, status=status, errcode=errcode, message=message[:200]
        )
    )
    db.session.commit()


def _push_one(client: WeChatClient, note_id: int, now: datetime, limiter=None) -> str | None:
    # One transaction: claim, checks, credit. Killed before its commit, the row stays
    # claimable and nothing was sent; after it, the row is `sending` until the call returns.
    claimed = db.session.execute(
        update(m.Notification)
        .where(
            m.Notification.id == note_id,
            or_(
                m.Notification.push_status == m.PUSH_QUEUED,
                and_(
                    m.Notification.push_status == m.PUSH_PENDING,
                    m.Notification.push_after <= now,
                ),
            ),
        )
        .values(
            push_status=m.PUSH_SENDING,
            push_after=now,
            push_attempts=m.Notification.push_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return None  # another sender has it, or it is no longer due
    note = db.session.get(m.Notification, note_id, populate_existing=True)
    member = db.session.get(Member, note.member_id)
    template = template_for(note.kind)
    opted_out = db.session.scalar(
        select(m.NotificationOptOut.id).where(
            m.NotificationOptOut.member_id == note.member_id,
            m.NotificationOptOut.kind == note.kind,
        )
    )
    reason = (
        "wechat not configured"
        if not client.configured
        else "no template for this kind"
        if not template
        else "member has no openid"
        if not member or not member.openid or not member.is_active
        else "member opted out"
        if opted_out
        else None
    )
    if reason is None and not take_credit(note.member_id, template):
        reason = "no consent credit"
    if reason is not None:
        note.push_status = m.PUSH_SKIPPED
        _finish(note_id, m.PUSH_SKIPPED, message=reason)
        return "skipped"
    openid, data, page = member.openid, template_data(note), note.data.get("page")
    # The claim and the credit commit before the call; and no transaction (no SQLite write
    # lock) is held while WeChat answers.
    db.session.commit()
    # The shared rate limit is taken right before the call, so that it holds at WeChat.
    # A sender killed while it waits leaves one row (its own) "maybe sent", as during a call.
    if limiter is not None and not limiter.acquire():
        return _failed(note, template, _RATE_WAIT, now)
    try:
        client.send_subscribe_message(openid, template, data, page=page)
    except WeChatSendError as exc:
        return _failed(note, template, exc, now)
    note.push_status = m.PUSH_SENT
    _finish(note_id, m.PUSH_SENT)
    return "sent"


def _failed(note: m.Notification, template: str, exc: WeChatSendError, now: datetime) -> str:
    if exc.errcode == 43101:
        clear_credits(note.member_id, template)  # WeChat's count is the truth
        note.push_status = m.PUSH_SKIPPED
        _finish(note.id, m.PUSH_SKIPPED, exc.errcode, "no subscription on WeChat")
        return "skipped"
    if exc.retryable and note.push_attempts < MAX_ATTEMPTS:
        refund_credit(note.member_id, template)
        note.push_status = m.PUSH_PENDING
        note.push_after = now + timedelta(minutes=2**note.push_attempts)
        _finish(note.id, "retry", exc.errcode, exc.message)
        return "retry"
    if not exc.retryable:
        refund_credit(note.member_id, template)  # refused before delivery: consent unused
    note.push_status = m.PUSH_FAILED
    _finish(note.id, m.PUSH_FAILED, exc.errcode, exc.message)
    log.warning("push of notification %s failed: %s %s", note.id, exc.errcode, exc.code)
    return "failed"
