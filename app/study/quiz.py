"""The question bank, the daily quiz (5 questions per member and day, graded once) and the
questions inside a micro-lesson (graded within the lesson, once).

Answers are option keys: "A", "B" … (a true/false question has the options 正确 / 错误).
Questions go to members without their answers; the answer and explanation come back with
the grading.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.org.models import Organization
from app.org.services import get_org
from app.points import services as points
from app.schemas import paginate
from app.study.days import record_study
from app.study.models import (
    OPTION_KEYS,
    QUESTION_KIND_LABELS,
    TRUE_FALSE_OPTIONS,
    DailyQuiz,
    LessonAttempt,
    QuizQuestion,
    StudyItem,
)
from app.study.schemas import daily_quiz_schema, lesson_result_schema
from app.study.services import (
    MAX_ID,
    SOURCE,
    can_post,
    post_paths,
    require_post,
    scope_ids,
    studyable_item,
)
from app.timeutil import local_day

# --- the bank -------------------------------------------------------------------------------


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


def _raise_fields(errors: dict[str, Any]) -> None:
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
        _raise_fields({"org_id": ["请指定题目所属组织或微课堂"]})
    require_post(principal, org)
    _raise_fields(question_problems(_normalised(data)))
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
        _raise_fields({"questions": errors})
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
    _raise_fields(question_problems(merged))
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


# --- grading --------------------------------------------------------------------------------


def _check_answers(
    answers: dict[int, list[str]], questions: dict[int, QuizQuestion]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for qid, chosen in answers.items():
        question = questions.get(qid)
        if question is None:
            errors[str(qid)] = ["不是本次答题的题目"]
            continue
        keys = OPTION_KEYS[: len(question.options)]
        upper = [c.upper() for c in chosen]
        if any(c not in keys for c in upper):
            errors[str(qid)] = [f"选项只能是 {'、'.join(keys)}"]
        elif question.kind != "multiple" and len(set(upper)) > 1:
            errors[str(qid)] = ["单选题和判断题只能选一个"]
    return errors


def grade(
    answers: dict[int, list[str]], questions: list[QuizQuestion]
) -> tuple[list[dict[str, Any]], int]:
    """Per question: chosen, the answer, correct or not (unanswered counts as wrong)."""
    results, correct = [], 0
    for question in questions:
        chosen = sorted({c.upper() for c in answers.get(question.id, [])})
        ok = chosen == sorted(question.answer)
        correct += ok
        results.append(
            {
                "question_id": question.id,
                "chosen": chosen,
                "answer": sorted(question.answer),
                "correct": ok,
            }
        )
    return results, correct


def _with_explanations(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["question_id"] for r in results]
    found = {
        q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))
    }
    out = []
    for r in results:
        q = found.get(r["question_id"])
        out.append({**r, "explanation": q.explanation if q else "", "stem": q.stem if q else ""})
    return out


# --- the daily quiz -------------------------------------------------------------------------


def _bank(member) -> list[int]:
    return list(
        db.session.scalars(
            select(QuizQuestion.id)
            .where(
                QuizQuestion.item_id.is_(None),
                QuizQuestion.active.is_(True),
                QuizQuestion.org_id.in_(scope_ids(member)),
            )
            .order_by(QuizQuestion.id)
        )
    )


def draw(member_id: int, day, candidates: list[int], count: int) -> list[int]:
    """`count` question ids drawn with a seed of member and day: stable for the day, different
    across members."""
    rng = random.Random(f"{member_id}:{day.isoformat()}")  # noqa: S311 — a draw, not a secret
    return rng.sample(candidates, min(count, len(candidates)))


def _quiz_of_day(member, now: datetime, lock: bool = False) -> DailyQuiz:
    """The member's quiz of the day, drawn and kept on first sight (a race keeps one row)."""
    day = local_day(now)
    stmt = select(DailyQuiz).where(DailyQuiz.member_id == member.id, DailyQuiz.day == day)
    quiz = db.session.scalar(stmt.with_for_update() if lock else stmt)
    count = current_app.config["QUIZ_DAILY_QUESTIONS"]
    if quiz is not None:
        if not quiz.question_ids and quiz.submitted_at is None:  # the bank was empty: try again
            quiz.question_ids = draw(member.id, day, _bank(member), count)
            db.session.flush()
        return quiz
    ids = draw(member.id, day, _bank(member), count)
    quiz = DailyQuiz(member_id=member.id, day=day, question_ids=ids, drawn_at=now, points=0)
    try:
        with db.session.begin_nested():
            db.session.add(quiz)
            db.session.flush()
    except IntegrityError:
        quiz = db.session.scalar(stmt.with_for_update() if lock else stmt)
        if quiz is None:
            raise
    return quiz


def _questions(ids: list[int]) -> list[QuizQuestion]:
    found = {
        q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))
    }
    return [found[i] for i in ids if i in found]


def _require_member(principal: Principal):
    if principal.member is None:
        raise APIError(403, "auth.member_required", "该功能仅限已绑定的党员使用")
    return principal.member


def daily_quiz(principal: Principal, now: datetime) -> dict[str, Any]:
    """Today's questions (no answers before grading), or the graded result once submitted."""
    member = _require_member(principal)
    quiz = _quiz_of_day(member, now)
    return _quiz_view(quiz)


def _quiz_view(quiz: DailyQuiz) -> dict[str, Any]:
    questions = decorate_questions(_questions(quiz.question_ids))
    view: dict[str, Any] = {
        "day": quiz.day,
        "questions": questions,
        "submitted": quiz.submitted_at is not None,
        "submitted_at": quiz.submitted_at,
        "correct": quiz.correct,
        "total": len(quiz.question_ids),
        "points": quiz.points,
        "results": _with_explanations(quiz.results) if quiz.results is not None else None,
    }
    return view


def submit_daily_quiz(
    principal: Principal, answers: dict[int, list[str]], now: datetime
) -> dict[str, Any]:
    """Grade today's quiz once: 1 point per correct answer (the rule's cap applies). A second
    submission → 409 `quiz.already_submitted` carrying the first result."""
    member = _require_member(principal)
    quiz = _quiz_of_day(member, now, lock=True)
    if quiz.submitted_at is not None:
        raise APIError(
            409,
            "quiz.already_submitted",
            "今日答题已提交，明天再来吧",
            {"result": daily_quiz_schema.dump(_quiz_view(quiz))},
        )
    if not quiz.question_ids:
        raise APIError(409, "quiz.no_questions", "题库暂无可用题目，请稍后再试")
    questions = _questions(quiz.question_ids)
    errors = _check_answers(answers, {q.id: q for q in questions})
    _raise_fields({"answers": errors} if errors else {})
    results, correct = grade(answers, questions)
    quiz.results, quiz.correct, quiz.submitted_at = results, correct, now
    record_study(member.id, quiz.day, 0, now)
    if correct:
        entry = points.award(
            member.id,
            "quiz_correct",
            source_type="daily_quiz",
            source_id=quiz.id,
            idempotency_key=f"quiz:{member.id}:{quiz.day.isoformat()}",
            now=now,
            quantity=correct,
            reason=f"每日答题：答对{correct}题",
        )
        quiz.points = entry.delta if entry is not None else 0
    db.session.flush()
    return _quiz_view(quiz)


# --- questions of a micro-lesson ------------------------------------------------------------


def lesson_questions(item_id: int) -> list[QuizQuestion]:
    """The active questions of a lesson, in order."""
    return decorate_questions(
        list(
            db.session.scalars(
                select(QuizQuestion)
                .where(QuizQuestion.item_id == item_id, QuizQuestion.active.is_(True))
                .order_by(QuizQuestion.position, QuizQuestion.id)
            )
        )
    )


def lesson_attempt(member_id: int, item_id: int) -> LessonAttempt | None:
    """The member's graded sheet for a lesson, if any."""
    return db.session.scalar(
        select(LessonAttempt).where(
            LessonAttempt.member_id == member_id, LessonAttempt.item_id == item_id
        )
    )


def answer_lesson(
    principal: Principal, item_id: int, answers: dict[int, list[str]], now: datetime
) -> dict[str, Any]:
    """Grade a lesson's questions once per member (`lesson_correct` per right answer, capped);
    a second sheet → 409 `study.already_answered` with the first result."""
    member, item = studyable_item(principal, item_id, now)
    questions = lesson_questions(item.id)
    if not questions:
        raise APIError(409, "study.no_questions", "该学习内容没有随堂测题目")
    existing = lesson_attempt(member.id, item.id)
    if existing is not None:
        raise APIError(
            409,
            "study.already_answered",
            "您已完成本课随堂测",
            {"result": lesson_result_schema.dump(attempt_view(existing))},
        )
    errors = _check_answers(answers, {q.id: q for q in questions})
    _raise_fields({"answers": errors} if errors else {})
    results, correct = grade(answers, questions)
    attempt = LessonAttempt(
        member_id=member.id,
        item_id=item.id,
        results=results,
        correct=correct,
        total=len(questions),
        points=0,
        submitted_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        winner = lesson_attempt(member.id, item.id)
        if winner is None:
            raise
        raise APIError(
            409,
            "study.already_answered",
            "您已完成本课随堂测",
            {"result": lesson_result_schema.dump(attempt_view(winner))},
        ) from None
    record_study(member.id, local_day(now), 0, now)
    if correct:
        entry = points.award(
            member.id,
            "lesson_correct",
            source_type=SOURCE,
            source_id=item.id,
            idempotency_key=f"lesson:{member.id}:{item.id}",
            now=now,
            quantity=correct,
            reason=f"随堂测：{item.title}"[:200],
        )
        attempt.points = entry.delta if entry is not None else 0
    db.session.flush()
    return attempt_view(attempt)


def attempt_view(attempt: LessonAttempt) -> dict[str, Any]:
    """A graded lesson sheet with the explanations."""
    return {
        "item_id": attempt.item_id,
        "correct": attempt.correct,
        "total": attempt.total,
        "points": attempt.points,
        "submitted_at": attempt.submitted_at,
        "results": _with_explanations(attempt.results),
    }
