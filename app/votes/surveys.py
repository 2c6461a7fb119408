"""Surveys (问卷): single choice, multiple choice and short text questions to the members of
an org's subtree, anonymous or named, one answer per member (the taken mark's key; an
anonymous answer row carries no member), counts and an export."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import literal, or_, select

from app.activities.services import valid_id
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.org.models import Organization
from app.reports.exports import Column, export
from app.votes.models import Survey, SurveyAnswer, SurveyTaken

KINDS = ("single", "multiple", "text")


def _get(survey_id: int) -> Survey:
    row = db.session.get(Survey, survey_id) if valid_id(survey_id) else None
    if row is None:
        raise not_found("问卷")
    return row


def _in_audience(principal: Principal, row: Survey) -> bool:
    m = principal.member
    return m is not None and m.is_active and m.org.path.startswith(row.org.path)


def _staff_reads(principal: Principal, row: Survey) -> bool:
    paths = principal.read_paths()
    return principal.is_staff and (paths is None or any(row.org.path.startswith(p) for p in paths))


def readable(principal: Principal, survey_id: int) -> Survey:
    """A survey of the caller's scope or audience, or 404."""
    row = _get(survey_id)
    if _staff_reads(principal, row) or _in_audience(principal, row):
        return row
    raise not_found("问卷")


def managed(principal: Principal, survey_id: int) -> Survey:
    """A survey of an org the caller manages, or 404."""
    row = _get(survey_id)
    if not principal.can_manage_org(row.org):
        raise not_found("问卷")
    return row


def create(principal: Principal, data: dict[str, Any], now: datetime) -> Survey:
    """A survey to the members of the org's subtree."""
    org = db.session.get(Organization, data["org_id"]) if valid_id(data["org_id"]) else None
    if org is None:
        raise not_found("组织")
    if not principal.can_manage_org(org):
        raise forbidden("无权管理该组织")
    for i, q in enumerate(data["questions"]):
        if q["kind"] != "text" and len(q.get("options") or []) < 2:
            raise APIError(
                400, "survey.options", "选择题至少两个选项", {"questions": {i: ["至少两个选项"]}}
            )
    row = Survey(
        org_id=org.id,
        title=data["title"],
        anonymous=data["anonymous"],
        questions=[
            {"kind": q["kind"], "text": q["text"], "options": q.get("options") or []}
            for q in data["questions"]
        ],
        created_at=now,
    )
    row.org = org
    db.session.add(row)
    db.session.flush()
    return row


def list_for(principal: Principal) -> list[Survey]:
    """Surveys of the caller's scope and those addressed to the member."""
    conds = []
    if principal.is_staff:
        conds.append(path_filter(Organization.path, principal.read_paths()))
    if principal.member is not None:
        conds.append(literal(principal.member.org.path).like(Organization.path + "%"))
    if not conds:
        return []
    return list(
        db.session.scalars(
            select(Survey)
            .join(Organization, Organization.id == Survey.org_id)
            .where(or_(*conds))
            .order_by(Survey.id.desc())
        )
    )


def view(principal: Principal, row: Survey) -> dict[str, Any]:
    """The survey with whether the caller answered."""
    taken = principal.member_id is not None and (
        db.session.get(SurveyTaken, {"survey_id": row.id, "member_id": principal.member_id})
        is not None
    )
    return {
        "id": row.id,
        "org_id": row.org_id,
        "title": row.title,
        "anonymous": row.anonymous,
        "status": row.status,
        "questions": row.questions,
        "answered": taken,
    }


def _check(row: Survey, answers: list) -> list:
    if len(answers) != len(row.questions):
        raise APIError(400, "survey.answer_count", "请回答全部题目", {"answers": ["题目数不符"]})
    out = []
    for i, (q, a) in enumerate(zip(row.questions, answers, strict=True)):
        n = len(q["options"])
        if q["kind"] == "text":
            if not isinstance(a, str) or len(a) > 500:
                raise APIError(
                    400, "survey.bad_answer", "简答题请填写不超过500字", {"answers": {i: ["无效"]}}
                )
            out.append(a)
            continue
        picks = a if isinstance(a, list) else [a]
        if (
            not picks
            or not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < n for p in picks)
            or (q["kind"] == "single" and len(picks) != 1)
        ):
            raise APIError(400, "survey.bad_answer", "请选择有效选项", {"answers": {i: ["无效"]}})
        out.append(sorted(set(picks)))
    return out


def answer(principal: Principal, survey_id: int, answers: list, now: datetime) -> Survey:
    """The member's one answer (a second one is refused by the taken mark's key)."""
    row = readable(principal, survey_id)
    if not _in_audience(principal, row):
        raise forbidden("该问卷不是发给您的")
    if row.status != "open":
        raise APIError(409, "survey.closed", "问卷已经结束")
    clean = _check(row, answers)
    if db.session.get(SurveyTaken, {"survey_id": row.id, "member_id": principal.member_id}):
        raise APIError(409, "survey.already_answered", "您已经填写过该问卷")
    db.session.add(SurveyTaken(survey_id=row.id, member_id=principal.member_id))
    db.session.add(
        SurveyAnswer(
            id=uuid.uuid4().hex,
            survey_id=row.id,
            member_id=None if row.anonymous else principal.member_id,
            answers=clean,
        )
    )
    db.session.flush()
    return row


def results(principal: Principal, survey_id: int) -> dict[str, Any]:
    """Counts per option, the short texts, how many answered."""
    row = managed(principal, survey_id)
    answers = db.session.scalars(
        select(SurveyAnswer.answers).where(SurveyAnswer.survey_id == row.id)
    ).all()
    questions = []
    for i, q in enumerate(row.questions):
        if q["kind"] == "text":
            questions.append({**q, "counts": [], "texts": [a[i] for a in answers if a[i]]})
            continue
        c = Counter(p for a in answers for p in a[i])
        questions.append(
            {**q, "counts": [c.get(k, 0) for k in range(len(q["options"]))], "texts": []}
        )
    return {"id": row.id, "title": row.title, "answered": len(answers), "questions": questions}


def export_results(principal: Principal, survey_id: int, fmt: str):
    """The answers as CSV/XLSX: one line per answer (named surveys: with the member)."""
    row = managed(principal, survey_id)
    cols = [Column("姓名", "name", 12)] + [
        Column(f"{i + 1}. {q['text']}"[:40], f"q{i}", 24) for i, q in enumerate(row.questions)
    ]
    from app.members.models import Member

    lines = []
    for ans in db.session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == row.id)):
        member = db.session.get(Member, ans.member_id) if ans.member_id else None
        line = {"name": member.name if member else "匿名"}
        for i, q in enumerate(row.questions):
            a = ans.answers[i]
            line[f"q{i}"] = a if q["kind"] == "text" else "、".join(q["options"][k] for k in a)
        lines.append(line)
    return export(fmt, f"问卷-{row.id}", row.title, cols, lines)


def close(principal: Principal, survey_id: int) -> Survey:
    """Stop taking answers."""
    row = managed(principal, survey_id)
    row.status = "closed"
    db.session.flush()
    return row
