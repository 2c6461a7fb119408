"""Dues reminders (rule 8 style, each at most once per cause through the inbox's unique key):
members who have not paid this month on DUES_REMIND_DAY; secretaries whose branch still has
unpaid members on the month's last day; and, joining rule 4's six-month alert (党章 art. 9
names not paying dues for six months), secretaries of members 3 and 5 months in arrears."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from app.dues.models import PAYING_STATUSES
from app.dues.rules import add_months, month_start, months_between, yuan
from app.dues.sheet import UNPAID, compute, streak
from app.extensions import db
from app.members.models import Member
from app.notify.services import Reminder
from app.org.models import Organization, OrgRole
from app.timeutil import local_day, local_tz

ARREARS_LEVELS = (5, 3)  # months unpaid that alert the secretary; at 6 art. 9 applies
ARREARS_DAYS = 7  # a streak grows only when a month ends: look in the first week only


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=local_tz())


def _payers() -> list[tuple[int, str, int]]:
    return list(
        db.session.execute(
            select(Member.id, Member.name, Member.org_id).where(
                Member.is_active.is_(True), Member.status.in_(PAYING_STATUSES)
            )
        ).all()
    )


def secretaries_of(org_id: int) -> list[int]:
    """Member ids of the org's secretaries, else of the level above's."""
    org = db.session.get(Organization, org_id)
    while org is not None:
        ids = list(
            db.session.scalars(
                select(OrgRole.member_id).where(
                    OrgRole.org_id == org.id,
                    OrgRole.role.in_(("secretary", "deputy_secretary")),
                    OrgRole.member_id.is_not(None),
                )
            )
        )
        if ids:
            return ids
        org = org.parent
    return []


def dues_owed(now: datetime) -> list[Reminder]:
    """On DUES_REMIND_DAY from 09:00: members whose dues for this month are unpaid."""
    today = local_day(now)
    if today.day != current_app.config["DUES_REMIND_DAY"] or now < _at(today, 9):
        return []
    month = month_start(today)
    payers = _payers()
    figures = compute([p.id for p in payers], [month])
    ids = [p.id for p in payers if figures[(p.id, month)].status == UNPAID]
    return [
        Reminder(
            kind="dues_owed",
            cause=f"dues:{month:%Y-%m}",
            day=month,
            title="请按时交纳党费",
            body=f"{month:%Y年%m月}党费尚未交纳，请联系支部书记",
            member_ids=ids,
            data={"month": f"{month:%Y-%m}", "page": "pages/dues/index"},
        )
    ]


def dues_month_end(now: datetime) -> list[Reminder]:
    """On the month's last day from 09:00: secretaries of branches with unpaid members."""
    today = local_day(now)
    if (today + timedelta(days=1)).day != 1 or now < _at(today, 9):
        return []
    month = month_start(today)
    payers = _payers()
    figures = compute([p.id for p in payers], [month])
    unpaid: dict[int, list[str]] = defaultdict(list)
    for p in payers:
        if figures[(p.id, month)].status == UNPAID:
            unpaid[p.org_id].append(p.name)
    out = []
    for org_id, names in sorted(unpaid.items()):
        out.append(
            Reminder(
                kind="dues_month_end",
                cause=f"dues_unpaid:{org_id}:{month:%Y-%m}",
                day=month,
                title=f"本月尚有{len(names)}名党员未交党费",
                body="、".join(names[:10]) + ("等" if len(names) > 10 else ""),
                member_ids=secretaries_of(org_id),
                data={"org_id": org_id, "month": f"{month:%Y-%m}", "page": "pages/branch/dues"},
            )
        )
    return out


def dues_arrears(now: datetime) -> list[Reminder]:
    """Early in a month from 09:00: secretaries of members 3 or 5 months in arrears."""
    today = local_day(now)
    if today.day > ARREARS_DAYS or now < _at(today, 9):
        return []
    last = add_months(month_start(today), -1)
    months = months_between(add_months(last, -5), last)
    payers = _payers()
    figures = compute([p.id for p in payers], months)
    out = []
    for p in payers:
        run, since = streak(figures, p.id, months)
        level = next((lv for lv in ARREARS_LEVELS if run >= lv), None)
        if level is None:
            continue
        owed = sum(figures[(p.id, m)].due_fen for m in months[-run:])
        out.append(
            Reminder(
                kind="dues_arrears",
                cause=f"dues_arrears:{p.id}:{since:%Y-%m}:{level}",
                day=since,
                title=f"党员连续{level}个月未交党费",
                body=f"{p.name}自{since:%Y年%m月}起未交党费（{yuan(owed)}元），满6个月将按自行脱党处理",
                member_ids=secretaries_of(p.org_id),
                data={"member_id": p.id, "months": run, "page": "pages/branch/dues"},
            )
        )
    return out


RULES = [dues_owed, dues_month_end, dues_arrears]
