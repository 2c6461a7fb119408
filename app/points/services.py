"""Awarding points exactly once: rules and daily caps, an idempotent ledger, the balance
and the period totals (week, month, year, all) that rankings read — all in one transaction."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from app import versions
from app.db import core_execute
from app.extensions import db
from app.points import statements as sql
from app.points.models import MemberPoints, PointLedger, PointRule
from app.points.rules import Rule, daily_cap, rules  # noqa: F401 — re-exported
from app.points.scope import member_scope
from app.timeutil import local_day

# (action, label, points, daily count cap, daily minute cap) — product.md rule 7.
DEFAULT_RULES: tuple[tuple[str, str, int, int | None, int | None], ...] = (
    ("daily_signin", "每日登录", 1, 1, None),
    ("morning_brief", "晨会5分钟（阅读满60秒）", 1, 1, None),
    ("read_item", "阅读文章或微课堂", 1, 6, None),
    ("read_minutes", "有效阅读时长（每分钟）", 1, None, 6),
    ("quiz_correct", "每日答题（每答对一题）", 1, 5, None),
    ("attendance_present", "参加组织生活（按时签到）", 2, None, None),
    ("attendance_late", "参加组织生活（迟到）", 1, None, None),
    ("volunteer_hour", "志愿服务（每小时）", 1, 4, None),
    # not in rule 7's list: questions inside a micro-lesson, graded within the lesson
    ("lesson_correct", "微课堂随堂测（每答对一题）", 1, 5, None),
)
# Ledger actions that are not rules: corrections appended by people or by re-syncs.
ACTION_LABELS = {
    "manual_adjust": "积分调整",
    "revocation": "积分撤销",
    "attendance_adjust": "考勤积分调整",
}


def ensure_default_rules() -> int:
    """Insert the default rules that are missing (existing ones keep the admin's edits)."""
    if all(action in rules() for action, *_ in DEFAULT_RULES):  # the cached rules: no query
        return 0
    have = set(db.session.scalars(select(PointRule.action)))
    added = 0
    for action, label, points, count_cap, minute_cap in DEFAULT_RULES:
        if action in have:
            continue
        rule = PointRule(
            action=action,
            label=label,
            points=points,
            daily_count_cap=count_cap,
            daily_minute_cap=minute_cap,
            active=True,
        )
        try:
            with db.session.begin_nested():
                db.session.add(rule)
                db.session.flush()
        except IntegrityError:
            continue  # another transaction seeded it first
        added += 1
    return added


def _by_key(idempotency_key: str) -> PointLedger | None:
    return db.session.scalar(
        select(PointLedger).where(PointLedger.idempotency_key == idempotency_key)
    )


def _lock_balance(member_id: int, now: datetime) -> None:
    """Make sure the member's balance row exists and hold its lock until commit.

    The lock serialises awards of one member, so daily caps hold under concurrency
    (SQLite serialises every writer anyway with BEGIN IMMEDIATE).
    """
    stmt = select(MemberPoints.member_id).where(MemberPoints.member_id == member_id)
    if db.session.scalar(stmt.with_for_update()) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(MemberPoints(member_id=member_id, total=0, updated_at=now))
            db.session.flush()
    except IntegrityError:
        pass  # another transaction created it first
    db.session.scalar(stmt.with_for_update())


def _append(
    member_id: int,
    rule_id: int | None,
    action: str,
    delta: int,
    *,
    source_type: str,
    source_id: int | None,
    idempotency_key: str,
    reason: str,
    now: datetime,
    day: date | None = None,
) -> PointLedger:
    day = day or local_day(now)
    entry = PointLedger(
        member_id=member_id,
        rule_id=rule_id,
        action=action,
        delta=delta,
        reason=reason[:200],
        source_type=source_type,
        source_id=source_id,
        day=day,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        existing = _by_key(idempotency_key)
        if existing is None:  # not a duplicate key: some other constraint failed
            raise
        return existing
    db.session.execute(
        update(MemberPoints)
        .where(MemberPoints.member_id == member_id)
        .values(total=MemberPoints.total + delta, updated_at=now)
    )
    _add_to_periods(member_id, day, delta, now)
    return entry


def _add_to_periods(
    member_id: int,
    day: date,
    delta: int,
    now: datetime,
    scope: tuple[int | None, int | None] | None = None,
) -> None:
    """Add `delta` to the member's week, month, year and all-time totals (one upsert);
    `scope` is the member's (branch, park) when the caller knows it."""
    branch_id, park_id = scope or member_scope(db.session, member_id)
    stmt = sql.periods_statement(db.session.get_bind().dialect.name)
    params = {
        "p_member_id": member_id,
        "p_delta": delta,
        "p_branch_id": branch_id,
        "p_park_id": park_id,
        "p_now": now,
        **sql.period_params(day),
    }
    core_execute(db.session, stmt, params)


def award_once(
    member_id: int,
    action: str,
    *,
    scope: tuple[int | None, int | None],
    source_type: str,
    source_id: int | None,
    idempotency_key: str,
    now: datetime,
    reason: str | None = None,
    once_a_day: bool = False,
) -> int | None:
    """Award one unit of a rule once per key; the ledger id, or None when inactive, missing,
    capped or already awarded. `scope` is the member's (branch, park); `once_a_day` says the
    key itself allows one award per member and day, which any daily cap of 1+ allows too.

    A rule without a daily cap needs no lock: the ledger's unique key makes it exactly once,
    and the balance and period totals are added to in the same statement on PostgreSQL (a
    writing CTE), in three on SQLite. Capped rules take the locking path of :func:`award`.
    """
    rule = rules().get(action)
    if rule is None or not rule.active or rule.points <= 0:
        return None
    if rule.cap is not None and not (once_a_day and rule.cap >= 1):
        entry = award(
            member_id,
            action,
            source_type=source_type,
            source_id=source_id,
            idempotency_key=idempotency_key,
            now=now,
            reason=reason,
        )
        return entry.id if entry is not None else None
    day = local_day(now)
    entry = {
        "member_id": member_id,
        "rule_id": rule.id,
        "action": action,
        "delta": rule.points,
        "reason": (reason or rule.label)[:200],
        "source_type": source_type,
        "source_id": source_id,
        "day": day,
        "idempotency_key": idempotency_key,
        "created_at": now,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        return _award_postgres(entry, scope, now)
    insert_entry, add_to_balance = sql.award_statements_sqlite()
    params = {f"e_{c}": entry[c] for c in sql.ENTRY_COLUMNS}
    ledger_id = core_execute(db.session, insert_entry, params).scalar()
    if ledger_id is None:
        return None
    params = {"b_member_id": member_id, "b_points": rule.points, "b_now": now}
    core_execute(db.session, add_to_balance, params)
    _add_to_periods(member_id, day, rule.points, now, scope)
    return ledger_id


def _award_postgres(entry: dict, scope: tuple[int | None, int | None], now: datetime) -> int | None:
    """Ledger row, balance and the four period totals in one statement."""
    branch_id, park_id = scope
    params = {f"e_{c}": entry[c] for c in sql.ENTRY_COLUMNS}
    params.update(p_branch_id=branch_id, p_park_id=park_id, p_now=now)
    params.update(sql.period_params(entry["day"]))
    return core_execute(db.session, sql.award_statement(), params).scalar()


def award(
    member_id: int,
    action: str,
    *,
    source_type: str,
    source_id: int | None,
    idempotency_key: str,
    now: datetime,
    quantity: int = 1,
    reason: str | None = None,
) -> PointLedger | None:
    """Award `quantity` units of a rule once per key; None when inactive, missing or capped.

    A key seen before returns its existing entry (also under a race), never a second award.
    """
    if quantity <= 0:
        return None
    _lock_balance(member_id, now)
    existing = _by_key(idempotency_key)
    if existing is not None:
        return existing
    rule = db.session.scalar(select(PointRule).where(PointRule.action == action))
    if rule is None or not rule.active or rule.points <= 0:
        return None
    delta = rule.points * quantity
    cap = daily_cap(rule)
    if cap is not None:
        used = db.session.scalar(
            select(func.coalesce(func.sum(PointLedger.delta), 0)).where(
                PointLedger.member_id == member_id,
                PointLedger.action == action,
                PointLedger.day == local_day(now),
            )
        )
        delta = min(delta, cap * rule.points - int(used))
    if delta <= 0:
        return None
    return _append(
        member_id,
        rule.id,
        action,
        delta,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        reason=reason or rule.label,
        now=now,
    )


def adjust(
    member_id: int,
    delta: int,
    *,
    action: str,
    source_type: str,
    source_id: int | None,
    idempotency_key: str,
    now: datetime,
    reason: str,
    day: date | None = None,
) -> PointLedger | None:
    """Append a correction (no rule, no cap), once per key; None when delta is zero.

    `day` dates the entry for the period totals (default: the day of `now`); a revocation
    uses the day of the entry it revokes, so last week's ranking is corrected too.
    """
    if delta == 0:
        return None
    _lock_balance(member_id, now)
    existing = _by_key(idempotency_key)
    if existing is not None:
        existing.repeated = True  # a raced or retried request: the caller must not audit again
        return existing
    return _append(
        member_id,
        None,
        action,
        delta,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        reason=reason,
        now=now,
        day=day,
    )


def key_used(idempotency_key: str) -> bool:
    """Whether a ledger entry with this key exists (it can never be awarded again)."""
    return _by_key(idempotency_key) is not None


def rule_points(action: str) -> int:
    """Points one unit of an active rule is worth (0 when missing or inactive)."""
    rule = db.session.scalar(select(PointRule).where(PointRule.action == action))
    return rule.points if rule is not None and rule.active else 0


def source_total(member_id: int, source_type: str, source_id: int, actions: list[str]) -> int:
    """The sum of a member's ledger deltas for one source and some actions."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(PointLedger.delta), 0)).where(
                PointLedger.member_id == member_id,
                PointLedger.source_type == source_type,
                PointLedger.source_id == source_id,
                PointLedger.action.in_(actions),
            )
        )
    )


def points_today_query(member_id: int, now: datetime):
    """The SELECT of the points earned on the display-zone day of `now` (to compose)."""
    return points_on_day_query(member_id, local_day(now))


def points_on_day_query(member_id, day):
    """The SELECT of the points earned on `day` (values or bound parameters, to compose)."""
    return select(func.coalesce(func.sum(PointLedger.delta), 0)).where(
        PointLedger.member_id == member_id, PointLedger.day == day
    )


def points_today(member_id: int, now: datetime) -> int:
    """Points earned on the display-zone day of `now`."""
    return int(db.session.scalar(points_today_query(member_id, now)))


def balance_query(member_id: int):
    """The SELECT of the member's running total (no row before the first award)."""
    return select(MemberPoints.total).where(MemberPoints.member_id == member_id)


def balance(member_id: int) -> int:
    """The member's running total (0 before the first award)."""
    return int(db.session.scalar(balance_query(member_id)) or 0)


_NO_SIGNIN = versions.VersionedCache(65536)  # (member, day) → no sign-in left to award


def daily_signin(
    member_id: int, now: datetime, scope: tuple[int | None, int | None] | None = None
) -> bool:
    """Award the day's sign-in once (first home screen or login of the Shanghai day).

    True when this call awarded it. With the member's (branch, park) `scope` it is one
    statement on PostgreSQL: the key is once a day, so no cap needs counting.
    """
    day = local_day(now)
    key = f"signin:{member_id}:{day.isoformat()}"
    if scope is not None:
        version = versions.current(versions.RULES)
        if _NO_SIGNIN.get((member_id, day), version):
            return False
        awarded = award_once(
            member_id,
            "daily_signin",
            scope=scope,
            source_type="signin",
            source_id=None,
            idempotency_key=key,
            now=now,
            once_a_day=True,
        )
        if awarded is None:
            # nothing to award: the day's key is taken by a committed row (ON CONFLICT waits
            # for an in-flight one), or the rule is off — both hold for the rest of the day
            # at this rules version, so this worker skips the statement until then
            _NO_SIGNIN.put((member_id, day), version, True)
        return awarded is not None
    if key_used(key):
        return False
    entry = award(
        member_id,
        "daily_signin",
        source_type="signin",
        source_id=None,
        idempotency_key=key,
        now=now,
    )
    return entry is not None


def action_labels() -> dict[str, str]:
    """Label of every ledger action: the rules' (as the admin named them) and the corrections."""
    labels = {action: label for action, label, *_ in DEFAULT_RULES}
    labels.update(dict(db.session.execute(select(PointRule.action, PointRule.label)).all()))
    return {**labels, **ACTION_LABELS}
