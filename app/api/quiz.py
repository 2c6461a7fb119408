"""The daily quiz and the question bank (manual and XLSX import)."""

from __future__ import annotations

from app.auth import (
    Access,
    access,
    caller_key,
    configured_limit,
    current_principal,
    quiz_rate_limit,
)
from app.errors import APIError
from app.extensions import db, limiter
from app.openapi import Blueprint
from app.schemas import page_of
from app.study import bank, importer, quiz
from app.study.schemas import (
    AnswersSchema,
    DailyQuizSchema,
    QuestionCreateSchema,
    QuestionImportFileSchema,
    QuestionImportFormSchema,
    QuestionImportResultSchema,
    QuestionListArgsSchema,
    QuestionSchema,
    QuestionUpdateSchema,
)
from app.timeutil import utcnow

blp = Blueprint("quiz", __name__, url_prefix="/api/v1/quiz", description="Daily quiz and bank")


@blp.route("/daily", methods=["GET"])
@blp.response(200, DailyQuizSchema)
@access(Access.MEMBER)
def daily():
    """Today's 5 questions (stable for the day; no answers until graded)."""
    result = quiz.daily_quiz(current_principal(), utcnow())
    db.session.commit()  # the draw is kept on first sight
    return result


@blp.route("/daily", methods=["POST"])
@blp.arguments(AnswersSchema)
@blp.response(200, DailyQuizSchema)
@limiter.limit(quiz_rate_limit, key_func=caller_key)
@access(Access.MEMBER)
def submit_daily(data):
    """Grade today's quiz once: 1 point per correct answer up to the cap."""
    result = quiz.submit_daily_quiz(current_principal(), data["answers"], utcnow())
    db.session.commit()
    return result


@blp.route("/questions", methods=["GET"])
@blp.arguments(QuestionListArgsSchema, location="query")
@blp.response(200, page_of(QuestionSchema))
@access(Access.STAFF)
def list_questions(args):
    """The bank of the subtrees the caller may post in (answers included)."""
    return bank.list_questions(current_principal(), args)


@blp.route("/questions", methods=["POST"])
@blp.arguments(QuestionCreateSchema)
@blp.response(201, QuestionSchema)
@access(Access.STAFF)
def create_question(data):
    """Add a bank question (`org_id`) or a lesson question (`item_id`)."""
    question = bank.create_question(current_principal(), data, utcnow())
    db.session.commit()
    return bank.decorate_questions([question])[0]


@blp.route("/questions/<int:question_id>", methods=["GET"])
@blp.response(200, QuestionSchema)
@access(Access.STAFF)
def get_question(question_id):
    """One question with its answer."""
    question = bank.get_question(current_principal(), question_id)
    return bank.decorate_questions([question])[0]


@blp.route("/questions/<int:question_id>", methods=["PATCH"])
@blp.arguments(QuestionUpdateSchema)
@blp.response(200, QuestionSchema)
@access(Access.STAFF)
def update_question(data, question_id):
    """Change a question (kind, options and answer are checked together)."""
    question = bank.update_question(current_principal(), question_id, data, utcnow())
    db.session.commit()
    return bank.decorate_questions([question])[0]


@blp.route("/questions/<int:question_id>", methods=["DELETE"])
@blp.response(204)
@access(Access.STAFF)
def delete_question(question_id):
    """Retire a question (kept for the quizzes that showed it)."""
    bank.deactivate_question(current_principal(), question_id, utcnow())
    db.session.commit()


@blp.route("/questions/import", methods=["POST"])
@blp.arguments(QuestionImportFormSchema, location="form")
@blp.arguments(QuestionImportFileSchema, location="files")
@blp.response(201, QuestionImportResultSchema)
@limiter.limit(configured_limit("RATELIMIT_IMPORT"), key_func=caller_key)
@access(Access.STAFF)
def import_questions(form, files):
    """Import questions from XLSX (or CSV): every row checked first, then all rows or none."""
    upload = files["file"]
    if not hasattr(upload, "read"):
        raise APIError(400, "import.no_file", "请上传 XLSX 文件", {"file": ["缺少文件"]})
    data = upload.read()
    upload.close()  # a large upload spools to a temporary file: release it at once
    questions = importer.import_questions(
        current_principal(), upload.filename or "", data, form["org_id"], utcnow()
    )
    db.session.commit()
    return {"imported": len(questions), "question_ids": [q.id for q in questions]}
