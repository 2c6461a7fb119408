"""The question bank: questions with their checks, created, edited, retired and listed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.org.models import Organization
from app.org.services import get_org
from app.schemas import paginate
from app.study.access import MAX_ID, can_post, post_paths, require_post
from app.study.models import (
    OPTION_KEYS,
    QUESTION_KIND_LABELS,
    TRUE_FALSE_OPTIONS,
    QuizQuestion,
    StudyItem,
)


def question_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors of a question's kind, options and answer (shared by the API and import)."""
    errors: dict[str, list[str]] = {}
    kind = data["kind"]
    options = TRUE_FALSE_OPTIONS if kind == "true_false" else data.get("options") or []
    if kind != "true_false" and not 2 <= len(options) <= len(OPTION_KEYS):
        errors["options"] = [f"选项须为2到{len(OPTION_KEYS)}个"]
    keys = OPTION_KEYS[: len(options)]
    answer = data.get("answer") or []
    if not answer:
        errors["answer"] = ["必填项"]
    elif any(a not in keys for a in answer):
        errors["answer"] = [f"答案只能是选项 {'、'.join(keys)} 之一"]
    elif len(set(answer)) != len(answer):
        errors["answer"] = ["答案不能重复"]
    elif kind in ("single", "true_false") and len(answer) != 1:
        errors["answer"] = ["单选题和判断题只有一个答案"]
    elif kind == "multiple" and len(answer) < 2:
        errors["answer"] = ["多选题至少有两个正确答案"]
    return errors


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("kind") == "true_false":
        out["options"] = list(TRUE_FALSE_OPTIONS)
    if "answer" in out:
        out["answer"] = sorted(a.upper() for a in out["answer"])
    if "tags" in out:
        out["tags"] = list(dict.fromkeys(t.strip() for t in out["tags"] or [] if t.strip()))
    return out


def raise_fields(errors: dict[str, Any]) -> None:
    """Refuse with 400 and the per-field messages when there are any."""
    if errors:
        raise APIError(400, "validation_error", "请求参数有误", {"fields": errors})


def new_question(
    principal: Principal, data: dict[str, Any], org_id: int, item_id: int | None, now: datetime
) -> QuizQuestion:
    """A question row from checked input (not yet added to the session)."""
    data = _normalised(data)
    return QuizQuestion(
        org_id=org_id,
        item_id=item_id,
        kind=data["kind"],
        stem=data["stem"].strip(),
        options=data["options"],
        answer=data["answer"],
        explanation=data.get("explanation") or "",
        tags=data.get("tags") or [],
        position=data.get("position", 0),
        active=data.get("active", True),
        created_by_user_id=principal.user.id if principal.user else None,
        created_by_member_id=principal.member_id,
        created_at=now,
        updated_at=now,
    )


def create_question(principal: Principal, data: dict[str, Any], now: datetime) -> QuizQuestion:
    """Add a bank question for an org's subtree, or a question to a micro-lesson (`item_id`)."""
    item = None
    if data.get("item_id") is not None:
        item = _lesson(data["item_id"])
        org = item.org
    elif data.get("org_id") is not None:
        org = get_org(data["org_id"])
    else:
        raise_fields({"org_id": ["请指定题目所属组织或微课堂"]})
    require_post(principal, org)
    raise_fields(question_problems(_normalised(data)))
    question = new_question(principal, data, org.id, item.id if item else None, now)
    db.session.add(question)
    db.session.flush()
    return question


def add_lesson_questions(
    principal: Principal, item: StudyItem, rows: list[dict[str, Any]], now: datetime
) -> list[QuizQuestion]:
    """The questions posted with a micro-lesson, in order."""
    errors = {}
    for index, row in enumerate(rows):
        problems = question_problems(_normalised(row))
        if problems:
            errors[str(index)] = problems
    if errors:
        raise_fields({"questions": errors})
    questions = [
        new_question(principal, {**row, "position": i}, item.org_id, item.id, now)
        for i, row in enumerate(rows)
    ]
    db.session.add_all(questions)
    db.session.flush()
    return questions


def _lesson(item_id: int) -> StudyItem:
    item = db.session.get(StudyItem, item_id) if 0 < item_id <= MAX_ID else None
    if item is None or not item.is_active:
        raise not_found("学习内容")
    if item.kind != "micro_lesson":
        raise APIError(
            400,
            "validation_error",
            "请求参数有误",
            {"fields": {"item_id": ["只有微课堂可以附带随堂测题目"]}},
        )
    return item


def get_question(principal: Principal, question_id: int) -> QuizQuestion:
    """A question the caller may manage (answers included), or 404/403."""
    question = db.session.get(QuizQuestion, question_id) if 0 < question_id <= MAX_ID else None
    if question is None:
        raise not_found("题目")
    if not can_post(principal, question.org):
        raise forbidden("无权管理该题目")
    return question


def update_question(
    principal: Principal, question_id: int, data: dict[str, Any], now: datetime
) -> QuizQuestion:
    """Change a question; kind, options and answer are checked together."""
    question = get_question(principal, question_id)
    merged = {
        "kind": question.kind,
        "options": question.options,
        "answer": question.answer,
        **data,
    }
    if data.get("kind") == "true_false" or (question.kind == "true_false" and "kind" not in data):
        merged["options"] = list(TRUE_FALSE_OPTIONS)
    merged = _normalised(merged)
    raise_fields(question_problems(merged))
    for key in ("kind", "options", "answer"):
        setattr(question, key, merged[key])
    for key in ("stem", "explanation", "active", "position"):
        if key in data:
            setattr(question, key, data[key].strip() if key == "stem" else data[key])
    if "tags" in data:
        question.tags = merged["tags"]
    question.updated_at = now
    db.session.flush()
    return question


def deactivate_question(principal: Principal, question_id: int, now: datetime) -> None:
    """Retire a question (kept for the quizzes that showed it)."""
    question = get_question(principal, question_id)
    question.active = False
    question.updated_at = now
    db.session.flush()


def list_questions(principal: Principal, args: dict[str, Any]) -> dict:
    """Questions of the subtrees the caller may post in, newest first; filters as given."""
    orgs = select(Organization.id).where(path_filter(Organization.path, post_paths(principal)))
    stmt = select(QuizQuestion).where(QuizQuestion.org_id.in_(orgs))
    if "item_id" in args:
        stmt = stmt.where(QuizQuestion.item_id == args["item_id"])
    elif not args.get("include_lessons"):
        stmt = stmt.where(QuizQuestion.item_id.is_(None))
    if "kind" in args:
        stmt = stmt.where(QuizQuestion.kind == args["kind"])
    if "active" in args:
        stmt = stmt.where(QuizQuestion.active.is_(args["active"]))
    if "org_id" in args:
        stmt = stmt.where(QuizQuestion.org_id == args["org_id"])
    if args.get("q"):
        stmt = stmt.where(QuizQuestion.stem.contains(args["q"], autoescape=True))
    page = paginate(stmt.order_by(QuizQuestion.id.desc()), args["page"], args["per_page"])
    decorate_questions(page["items"])
    return page


def decorate_questions(questions: list[QuizQuestion]) -> list[QuizQuestion]:
    """Labels and keyed options for display."""
    for q in questions:
        q.kind_label = QUESTION_KIND_LABELS[q.kind]
        q.choices = [{"key": OPTION_KEYS[i], "text": t} for i, t in enumerate(q.options)]
    return questions
