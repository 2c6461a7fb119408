"""Walking an applicant through the stages; each step checks its rule and moves the member's
status (the effective-dated history follows, dated the day of the step)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.activities.services import valid_id
from app.audit import services as audit
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.recruitment import rules
from app.recruitment.models import STAGE_LABELS, Applicant, ApplicantAssessment
from app.votes.models import Vote
from app.votes.services import under_probation


def _conflict(code: str, message: str, **details) -> APIError:
    return APIError(409, f"recruitment.{code}", message, details)


def get_applicant(principal: Principal, applicant_id: int, lock: bool = False) -> Applicant:
    """An applicant of a branch the caller manages, or 404."""
    row = (
        db.session.get(Applicant, applicant_id, with_for_update=lock, populate_existing=lock)
        if valid_id(applicant_id)
        else None
    )
    if row is None or not principal.can_manage_org(row.org):
        raise not_found("发展对象")
    return row


def list_applicants(principal: Principal, org_id: int | None) -> list[Applicant]:
    """Applicants in the caller's managed subtree (optionally of one org's subtree)."""
    stmt = select(Applicant).join(Organization, Organization.id == Applicant.org_id)
    stmt = stmt.where(path_filter(Organization.path, principal.manage_paths()))
    if org_id is not None:
        org = db.session.get(Organization, org_id) if valid_id(org_id) else None
        if org is None:
            raise not_found("组织")
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    return list(db.session.scalars(stmt.order_by(Applicant.applied_on, Applicant.id)))


def create_applicant(principal: Principal, data: dict[str, Any], now: datetime) -> Applicant:
    """Record an application (入党申请): the applicant is 18 or over on that day."""
    org = db.session.get(Organization, data["org_id"]) if valid_id(data["org_id"]) else None
    if org is None:
        raise not_found("组织")
    if not principal.can_manage_org(org):
        raise forbidden("无权管理该组织")
    if not rules.old_enough(data["birth_date"], data["applied_on"]):
        raise _conflict("too_young", "申请入党须年满十八周岁")
    if data.get("member_id"):
        member = db.session.get(Member, data["member_id"])
        if member is None or member.org_id != org.id:
            raise APIError(
                400, "recruitment.member_unknown", "人员不在该支部", {"member_id": ["无效"]}
            )
        if member.status in ("full", "probationary"):
            raise _conflict("already_member", "该人员已是党员")
    else:
        if not data.get("name"):
            raise APIError(400, "validation_error", "请填写姓名", {"name": ["必填"]})
        member = Member(name=data["name"], status="staff", org_id=org.id)
        member.member_since = data["applied_on"]
        db.session.add(member)
        db.session.flush()
    if db.session.scalar(select(Applicant.id).where(Applicant.member_id == member.id)):
        raise _conflict("exists", "该人员已有入党申请记录")
    row = Applicant(
        member_id=member.id,
        org_id=org.id,
        birth_date=data["birth_date"],
        applied_on=data["applied_on"],
        job_category=data["job_category"],
    )
    db.session.add(row)
    db.session.flush()
    _audit(principal, row, "applied", now)
    return row


def _audit(principal: Principal, row: Applicant, step: str, now: datetime) -> None:
    audit.record(
        principal,
        action=f"recruitment.{step}",
        entity_type="applicant",
        entity_id=row.id,
        org_id=row.org_id,
        member_id=row.member_id,
        now=now,
        new=STAGE_LABELS[row.stage],
    )


def _need(row: Applicant, *stages: str) -> None:
    if row.stage not in stages:
        names = "、".join(STAGE_LABELS[s] for s in stages)
        raise _conflict("wrong_stage", f"此步骤只适用于{names}（当前：{STAGE_LABELS[row.stage]}）")


def _set_status(member: Member, status: str, day: date) -> None:
    """Move the member's status from `day` (issue 15's history writes the dated row)."""
    member.effective_on = day
    member.status = status


def _full_members(row: Applicant, ids: list[int], day: date, field: str) -> list[int]:
    ids = list(dict.fromkeys(ids))
    members = db.session.scalars(select(Member).where(Member.id.in_(ids))).all() if ids else []
    barred = under_probation(ids, day)
    ok = [
        m.id
        for m in members
        if m.status == "full" and m.is_active and m.id not in barred and m.id != row.member_id
    ]
    if len(ok) != len(ids):
        raise APIError(
            400, "recruitment.not_full_members", "须为正式党员", {field: ["含非正式党员"]}
        )
    return ok


def _passed_vote(row: Applicant, vote_id: int | None, kind: str) -> Vote:
    vote = db.session.get(Vote, vote_id) if vote_id and valid_id(vote_id) else None
    if vote is None or vote.kind != kind or vote.subject_member_id != row.member_id:
        raise APIError(
            400, "recruitment.vote_unknown", "请选择针对该同志的表决", {"vote_id": ["无效"]}
        )
    if vote.status != "closed" or not vote.passed:
        raise _conflict("vote_not_passed", "支部党员大会表决未通过或尚未结束")
    return vote


def step(principal: Principal, applicant_id: int, data: dict[str, Any], now: datetime) -> Applicant:
    """Record one step (`data["step"]`) on its day, after checking its rule."""
    row = get_applicant(principal, applicant_id, lock=True)
    name, on = data["step"], data["on"]
    handler = STEPS[name]
    handler(row, on, data)
    db.session.flush()
    _audit(principal, row, name, now)
    return row


def _talk(row, on, data):
    _need(row, "applicant")
    deadline = rules.talk_deadline(row.applied_on)
    if not row.applied_on <= on <= deadline:
        raise _conflict(
            "talk_late",
            f"须在收到入党申请后一个月内谈话（最迟 {deadline}）",
            deadline=str(deadline),
        )
    row.talk_on = on


def _activist(row, on, data):
    _need(row, "applicant")
    if row.talk_on is None:
        raise _conflict("no_talk", "确定入党积极分子前须先与申请人谈话")
    contacts = data.get("contact_ids") or []
    if not 1 <= len(set(contacts)) <= 2:
        raise APIError(
            400, "recruitment.contacts", "须指定一至两名培养联系人", {"contact_ids": ["1–2 人"]}
        )
    row.contact_ids = _full_members(row, contacts, on, "contact_ids")
    row.activist_on, row.stage = on, "activist"
    _set_status(row.member, "activist", on)


def _assessment(row, on, data):
    _need(row, "activist", "candidate")
    half = rules.half_of(on)
    if any(a.half == half for a in row.assessments):
        raise _conflict("assessed", "本半年已考察")
    row.assessments.append(
        ApplicantAssessment(half=half, assessed_on=on, note=data.get("note") or "")
    )


def _candidate(row, on, data):
    _need(row, "activist")
    earliest = rules.candidate_earliest(row.activist_on)
    if on < earliest:
        raise _conflict("too_early", "入党积极分子须经一年以上培养教育", earliest=str(earliest))
    if len(row.assessments) < 2:
        raise _conflict("assessments_missing", "须有每半年一次的考察记录（至少两次）")
    row.candidate_on, row.stage = on, "candidate"


def _review(row, on, data):
    _need(row, "candidate")
    row.review_on = on


def _training(row, on, data):
    _need(row, "candidate")
    if not rules.training_enough(data.get("training_days"), data.get("training_hours")):
        raise _conflict("training_short", "集中培训不少于三天（或不少于24学时）")
    row.training_days, row.training_hours = data.get("training_days"), data.get("training_hours")


def _introducers(row, on, data):
    _need(row, "candidate")
    ids = data.get("introducer_ids") or []
    if len(set(ids)) != 2:
        raise APIError(
            400,
            "recruitment.introducers",
            "须有两名正式党员作入党介绍人",
            {"introducer_ids": ["2 人"]},
        )
    row.introducer_ids = _full_members(row, ids, on, "introducer_ids")


def _notice(row, on, data):
    _need(row, "candidate")
    row.notice_from = on
    row.notice_days = data.get("notice_days") or current_app.config["RECRUITMENT_NOTICE_DAYS"]


def _admit(row, on, data):
    _need(row, "candidate")
    missing = [
        label
        for label, done in (
            ("政治审查", row.review_on),
            ("集中培训", row.training_days or row.training_hours),
            ("入党介绍人", row.introducer_ids),
            ("公示", row.notice_from),
        )
        if not done
    ]
    if missing:
        raise _conflict("incomplete", f"尚缺：{'、'.join(missing)}", missing=missing)
    vote = _passed_vote(row, data.get("vote_id"), "admission")
    day = vote.activity.held_on
    if day < row.notice_from + timedelta(days=row.notice_days):
        raise _conflict("notice_running", "公示期未满，不能提交支部党员大会讨论")
    row.admission_vote_id, row.admitted_on, row.stage = vote.id, day, "probationary"
    row.member.probation_started_on = day
    _set_status(row.member, "probationary", day)


def _approve(row, on, data):
    _need(row, "probationary")
    deadline = rules.approval_deadline(row.admitted_on)
    if not row.admitted_on <= on <= deadline:
        raise _conflict("approval_late", "上级党组织须在三个月内审批", deadline=str(deadline))
    row.approved_on = on


def _pledge(row, on, data):
    _need(row, "probationary")
    if row.approved_on is None or on < row.approved_on:
        raise _conflict("not_approved", "上级党组织审批后方可入党宣誓")
    row.pledge_on = on


def _extend(row, on, data):
    _need(row, "probationary")
    if row.extended_until is not None:
        raise _conflict("extended_once", "预备期只能延长一次")
    until = data.get("until")
    regular = rules.probation_ends(row.admitted_on)
    if until is None or not regular < until <= rules.extension_latest(row.admitted_on):
        raise _conflict(
            "extension_too_long",
            "延长预备期不超过一年",
            latest=str(rules.extension_latest(row.admitted_on)),
        )
    row.extended_until = until


def _confirm(row, on, data):
    _need(row, "probationary")
    vote = _passed_vote(row, data.get("vote_id"), "confirmation")
    day = vote.activity.held_on
    due = rules.probation_ends(row.admitted_on, row.extended_until)
    if day < due:
        raise _conflict("probation_running", "预备期满后方可讨论转正", due=str(due))
    row.confirmation_vote_id, row.confirmed_on, row.stage = vote.id, day, "full"
    _set_status(row.member, "full", day)


def _cancel(row, on, data):
    _need(row, "applicant", "activist", "candidate", "probationary")
    if row.stage in ("activist", "probationary"):
        _set_status(row.member, "staff", on)
    row.cancelled_on, row.stage = on, "cancelled"
    row.note = (row.note + "\n" + (data.get("note") or "")).strip()


STEPS = {
    "talk": _talk,
    "activist": _activist,
    "assessment": _assessment,
    "candidate": _candidate,
    "review": _review,
    "training": _training,
    "introducers": _introducers,
    "notice": _notice,
    "admit": _admit,
    "approve": _approve,
    "pledge": _pledge,
    "extend": _extend,
    "confirm": _confirm,
    "cancel": _cancel,
}
