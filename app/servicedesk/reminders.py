"""Overdue requests: the handler is reminded once the day after the due date, the committee
once REQUEST_ESCALATE_DAYS later. The cause names the request and its due date, so the inbox's
unique key makes each reminder exactly once per due date (a re-route with a new date is a new
cause), whatever re-runs, retries or second schedulers happen."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from app.accounts.models import User
from app.auth import role_current
from app.extensions import db
from app.notify.services import Reminder
from app.org.models import Organization, OrgRole
from app.servicedesk.models import KIND_LABELS, Request
from app.timeutil import local_day

COMMITTEE_TYPES = ("general_committee", "work_committee")
COMMITTEE_ROLES = ("secretary", "deputy_secretary")


def _overdue(now: datetime, days_after: int) -> list[Request]:
    """Open requests whose due date lies more than `days_after` days behind today."""
    today = local_day(now)
    return list(
        db.session.scalars(
            select(Request)
            .where(
                Request.status.in_(("received", "in_progress")),
                Request.due_on.is_not(None),
                Request.due_on < today - timedelta(days=days_after),
            )
            .order_by(Request.id)
        )
    )


def _body(req: Request) -> str:
    return f"{KIND_LABELS[req.kind]}“{req.title}”办结期限{req.due_on:%m月%d日}已过，尚未答复"


def _data(req: Request) -> dict:
    return {"request_id": req.id, "due_on": req.due_on.isoformat(), "page": "/console#requests"}


def handler_overdue(now: datetime) -> list[Reminder]:
    """The handler (through their linked member's inbox), the day after the due date."""
    out = []
    for req in _overdue(now, 0):
        member_id = db.session.scalar(select(User.member_id).where(User.id == req.handler_user_id))
        out.append(
            Reminder(
                kind="request_overdue",
                cause=f"request:{req.id}:{req.due_on.isoformat()}",
                day=req.due_on + timedelta(days=1),
                title="诉求办理已超期",
                body=_body(req),
                member_ids=[member_id] if member_id else [],
                data=_data(req),
            )
        )
    return out


def committee_members(org: Organization) -> list[int]:
    """Members holding the secretary's seats of the committee above `org` (or of `org`)."""
    ids = [int(p) for p in org.path.strip("/").split("/") if p]
    orgs = {
        o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))
    }
    committee = next(
        (orgs[i] for i in reversed(ids) if i in orgs and orgs[i].type in COMMITTEE_TYPES), org
    )
    rows = db.session.execute(
        select(OrgRole.member_id, User.member_id)
        .outerjoin(User, User.id == OrgRole.user_id)
        .where(
            OrgRole.org_id == committee.id,
            OrgRole.role.in_(COMMITTEE_ROLES),
            or_(OrgRole.member_id.is_not(None), User.member_id.is_not(None)),
            role_current(),
        )
    ).all()
    return sorted({m or u for m, u in rows})


def committee_overdue(now: datetime) -> list[Reminder]:
    """The committee, REQUEST_ESCALATE_DAYS after the handler was reminded."""
    days = current_app.config["REQUEST_ESCALATE_DAYS"]
    return [
        Reminder(
            kind="request_escalated",
            cause=f"request:{req.id}:{req.due_on.isoformat()}",
            day=req.due_on + timedelta(days=1 + days),
            title="诉求超期未办结，请督办",
            body=_body(req),
            member_ids=committee_members(req.org),
            data=_data(req),
        )
        for req in _overdue(now, days)
    ]


RULES = [handler_overdue, committee_overdue]
