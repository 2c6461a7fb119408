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

from app.auth import Principal
from app.errors import APIError
from app.extensions import db
from app.points import services as points
from app.study.access import scope_ids, studyable_item
from app.study.bank import decorate_questions, raise_fields
from app.study.days import record_study
from app.study.models import (
    OPTION_KEYS,
    SOURCE,
    DailyQuiz,
    LessonAttempt,
    QuizQuestion,
)
from app.study.schemas import daily_quiz_schema, lesson_result_schema
from app.timeutil import local_day

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
    raise_fields({"answers": errors} if errors else {})
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
    raise_fields({"answers": errors} if errors else {})
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
