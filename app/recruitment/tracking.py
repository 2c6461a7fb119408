"""The funnel report (per branch and park, per year) and the reminders of the pipeline's
deadlines (once per cause: the inbox's natural key)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import extract, func, select

from app.activities.services import valid_id
from app.auth import Principal
from app.errors import not_found
from app.extensions import db
from app.notify.services import Reminder, write_reminder
from app.org.models import MANAGE_ROLES, Organization, OrgRole
from app.recruitment import rules
from app.recruitment.models import JOB_CATEGORIES, STAGE_LABELS, Applicant
from app.timeutil import local_day

# stage → the date column that says it was reached
FUNNEL = (
    ("applicant", Applicant.applied_on),
    ("activist", Applicant.activist_on),
    ("candidate", Applicant.candidate_on),
    ("probationary", Applicant.admitted_on),
    ("full", Applicant.confirmed_on),
)
LEAD_DAYS = 7  # remind this many days before a deadline


def funnel(principal: Principal, org_id: int, year: int) -> dict[str, Any]:
    """How many reached each stage in `year` under the org, with the job categories."""
    org = db.session.get(Organization, org_id) if valid_id(org_id) else None
    if org is None:
        raise not_found("组织")
    principal.require_read(org)
    if not principal.is_staff:
        raise not_found("组织")
    stages = []
    for stage, col in FUNNEL:
        counts = dict(
            db.session.execute(
                select(Applicant.job_category, func.count())
                .join(Organization, Organization.id == Applicant.org_id)
                .where(Organization.path.like(org.path + "%"), extract("year", col) == year)
                .group_by(Applicant.job_category)
            ).all()
        )
        stages.append(
            {
                "stage": stage,
                "label": STAGE_LABELS[stage],
                "count": sum(counts.values()),
                **{cat: counts.get(cat, 0) for cat in JOB_CATEGORIES},
            }
        )
    return {"org_id": org.id, "year": year, "stages": stages}


def _secretaries(org_id: int, day: date) -> list[int]:
    return list(
        db.session.scalars(
            select(OrgRole.member_id).where(
                OrgRole.org_id == org_id,
                OrgRole.member_id.is_not(None),
                OrgRole.role.in_(list(MANAGE_ROLES)),
                (OrgRole.since.is_(None)) | (OrgRole.since <= day),
                (OrgRole.until.is_(None)) | (OrgRole.until > day),
            )
        )
    )


def _dues(row: Applicant, today: date) -> list[tuple[str, date, str]]:
    """(cause, due day, title) of the deadlines of one applicant."""
    name = row.member.name
    dues = []
    if row.stage == "applicant" and row.talk_on is None:
        dues.append(
            ("talk", rules.talk_deadline(row.applied_on), f"请在一个月内与入党申请人{name}谈话")
        )
    if row.stage in ("activist", "candidate"):
        half = rules.half_of(today)
        end = date(today.year, 6, 30) if half.endswith("H1") else date(today.year, 12, 31)
        if not any(a.half == half for a in row.assessments):
            dues.append((f"assess:{half}", end, f"请完成对{name}本半年的考察"))
    if row.stage == "probationary" and row.approved_on is None:
        # the end of the probation is app.notify.reminders.conversion_due's (not twice)
        deadline = rules.approval_deadline(row.admitted_on)
        dues.append(("approval", deadline, f"{name}的接收预备党员须在三个月内报上级审批"))
    return dues


def recruitment_due(now: datetime) -> list[Reminder]:
    """The pipeline's deadlines within LEAD_DAYS, for the branch's managers (a scheduler rule)."""
    today = local_day(now)
    out = []
    rows = db.session.scalars(
        select(Applicant).where(
            Applicant.stage.in_(("applicant", "activist", "candidate", "probationary"))
        )
    ).all()
    for row in rows:
        for cause, due, title in _dues(row, today):
            if not due - timedelta(days=LEAD_DAYS) <= today <= due:
                continue
            out.append(
                Reminder(
                    "recruitment_due",
                    f"applicant:{row.id}:{cause}",
                    due,
                    title,
                    body=f"截止日期：{due.isoformat()}",
                    member_ids=_secretaries(row.org_id, today),
                    data={"applicant_id": row.id},
                )
            )
    return out


def write_reminders(now: datetime) -> int:
    """Write the pipeline's due reminders (once per cause: the inbox's key); rows added."""
    return sum(write_reminder(r, now) for r in recruitment_due(now))
