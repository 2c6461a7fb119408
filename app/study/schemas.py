"""Study items, reading sessions, questions and quizzes at the boundary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.fastdump import FastDumpSchema
from app.schemas import LocalDateTime, PageArgsSchema, id_field, sane_time
from app.study.models import ITEM_KINDS, OPTION_KEYS, QUESTION_KINDS
from app.study.render import markdown_html

TAG = ma.fields.String(validate=validate.Length(min=1, max=20))
CHOICE = ma.fields.String(
    validate=validate.Regexp(f"^[{OPTION_KEYS}{OPTION_KEYS.lower()}]$", error="选项应为 A–H")
)


def _time(**kw) -> LocalDateTime:
    return LocalDateTime(validate=sane_time, **kw)


# --- questions ------------------------------------------------------------------------------


class QuestionInputSchema(ma.Schema):
    """A question: kind, stem, options (not for true/false), answer keys, explanation, tags."""

    kind = ma.fields.String(required=True, validate=validate.OneOf(QUESTION_KINDS))
    stem = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    options = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=len(OPTION_KEYS)),
        metadata={"description": "option texts, keyed A, B, … in order; ignored for true_false"},
    )
    answer = ma.fields.List(
        CHOICE,
        required=True,
        validate=validate.Length(min=1, max=len(OPTION_KEYS)),
        metadata={
            "description": 'option keys, e.g. ["A"] or ["A", "C"]; true_false: A=正确 B=错误'
        },
    )
    explanation = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    tags = ma.fields.List(TAG, load_default=list, validate=validate.Length(max=10))


class QuestionCreateSchema(QuestionInputSchema):
    """A bank question for an org's subtree (`org_id`), or a question of a lesson (`item_id`)."""

    org_id = id_field()
    item_id = id_field()
    active = ma.fields.Boolean(load_default=True)
    position = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))


class QuestionUpdateSchema(ma.Schema):
    """Fields of a question that may change (kind, options and answer are checked together)."""

    kind = ma.fields.String(validate=validate.OneOf(QUESTION_KINDS))
    stem = ma.fields.String(validate=validate.Length(min=1, max=1000))
    options = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=len(OPTION_KEYS)),
    )
    answer = ma.fields.List(CHOICE, validate=validate.Length(min=1, max=len(OPTION_KEYS)))
    explanation = ma.fields.String(validate=validate.Length(max=2000))
    tags = ma.fields.List(TAG, validate=validate.Length(max=10))
    active = ma.fields.Boolean()
    position = ma.fields.Integer(validate=validate.Range(min=0, max=1000))


class ChoiceSchema(ma.Schema):
    """One option: its key and text."""

    key = ma.fields.String()
    text = ma.fields.String()


class QuestionSchema(ma.Schema):
    """A question as its managers see it (with the answer)."""

    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    item_id = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    stem = ma.fields.String()
    options = ma.fields.List(ma.fields.String())
    choices = ma.fields.List(ma.fields.Nested(ChoiceSchema))
    answer = ma.fields.List(ma.fields.String())
    explanation = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    position = ma.fields.Integer()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class MemberQuestionSchema(ma.Schema):
    """A question as a member sees it before answering: no answer, no explanation."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    stem = ma.fields.String()
    choices = ma.fields.List(ma.fields.Nested(ChoiceSchema))


class QuestionListArgsSchema(PageArgsSchema):
    """Filters of the bank."""

    kind = ma.fields.String(validate=validate.OneOf(QUESTION_KINDS))
    active = ma.fields.Boolean()
    org_id = id_field()
    item_id = id_field(metadata={"description": "the questions of one micro-lesson"})
    include_lessons = ma.fields.Boolean(load_default=False)
    q = ma.fields.String(validate=validate.Length(max=50))


class QuestionImportFormSchema(ma.Schema):
    """The org whose subtree the imported questions serve."""

    org_id = id_field(required=True)


class QuestionImportFileSchema(ma.Schema):
    """The uploaded XLSX (or CSV) file."""

    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class QuestionImportResultSchema(ma.Schema):
    """How many questions were imported."""

    imported = ma.fields.Integer()
    question_ids = ma.fields.List(ma.fields.Integer())


class AnswersSchema(ma.Schema):
    """`{"answers": {"<question_id>": ["A"], …}}`; an unanswered question counts as wrong."""

    answers = ma.fields.Dict(
        keys=id_field(),
        values=ma.fields.List(CHOICE, validate=validate.Length(max=len(OPTION_KEYS))),
        required=True,
        validate=validate.Length(max=50),
    )


class ResultSchema(ma.Schema):
    """One graded question: what was chosen, the answer, and the explanation."""

    question_id = ma.fields.Integer()
    stem = ma.fields.String()
    chosen = ma.fields.List(ma.fields.String())
    answer = ma.fields.List(ma.fields.String())
    correct = ma.fields.Boolean()
    explanation = ma.fields.String()


class DailyQuizSchema(ma.Schema):
    """Today's quiz: the questions, and after the one submission the graded results."""

    day = ma.fields.Date()
    questions = ma.fields.List(ma.fields.Nested(MemberQuestionSchema))
    submitted = ma.fields.Boolean()
    submitted_at = LocalDateTime(allow_none=True)
    correct = ma.fields.Integer(allow_none=True)
    total = ma.fields.Integer()
    points = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(ResultSchema), allow_none=True)


class LessonResultSchema(ma.Schema):
    """A graded lesson answer sheet."""

    item_id = ma.fields.Integer()
    correct = ma.fields.Integer()
    total = ma.fields.Integer()
    points = ma.fields.Integer()
    submitted_at = LocalDateTime()
    results = ma.fields.List(ma.fields.Nested(ResultSchema))


daily_quiz_schema = DailyQuizSchema()
lesson_result_schema = LessonResultSchema()


# --- study items ----------------------------------------------------------------------------


class StudyItemCreateSchema(ma.Schema):
    """A study item; `org_id` is the subtree it reaches (the park org: the whole park)."""

    kind = ma.fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = ma.fields.String(load_default="", validate=validate.Length(max=500))
    body = ma.fields.String(
        load_default="",
        validate=validate.Length(max=50_000),
        metadata={"description": "Markdown (raw HTML tags are refused)"},
    )
    org_id = id_field(required=True)
    publish_at = _time(
        allow_none=True,
        load_default=None,
        metadata={"description": "invisible to members before; default now"},
    )
    minutes = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=180),
        metadata={"description": "stated reading minutes (required for micro_lesson)"},
    )
    media_url = ma.fields.URL(
        allow_none=True,
        load_default=None,
        schemes={"https"},
        validate=validate.Length(max=500),
        metadata={"description": "micro_lesson only: an https video or audio URL"},
    )
    tags = ma.fields.List(TAG, load_default=list, validate=validate.Length(max=10))
    questions = ma.fields.List(
        ma.fields.Nested(QuestionInputSchema),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "micro_lesson only: questions graded within the lesson"},
    )


class StudyItemUpdateSchema(ma.Schema):
    """Fields of an item that may change (not its kind)."""

    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    summary = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    body = ma.fields.String(allow_none=True, validate=validate.Length(max=50_000))
    org_id = id_field()
    publish_at = _time()
    minutes = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=180))
    media_url = ma.fields.URL(allow_none=True, schemes={"https"}, validate=validate.Length(max=500))
    tags = ma.fields.List(TAG, allow_none=True, validate=validate.Length(max=10))


class StudyItemListArgsSchema(PageArgsSchema):
    """Filters: kind, tag, title words, the org posted to."""

    kind = ma.fields.String(validate=validate.OneOf(ITEM_KINDS))
    tag = ma.fields.String(validate=validate.Length(max=20))
    q = ma.fields.String(validate=validate.Length(max=50))
    org_id = id_field()


class ProgressSchema(FastDumpSchema):
    """The member's progress on an item."""

    state = ma.fields.String(metadata={"description": "new | reading | done"})
    started_at = LocalDateTime(allow_none=True)
    remaining_seconds = ma.fields.Integer(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    points = ma.fields.Integer()
    answered = ma.fields.Boolean()


class StudyItemSchema(FastDumpSchema):
    """An item in a list (no body)."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    publish_at = LocalDateTime()
    status = ma.fields.String(metadata={"description": "scheduled | published"})
    minutes = ma.fields.Integer()
    required_seconds = ma.fields.Integer(
        metadata={"description": "dwell after which a reading counts"}
    )
    media_url = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.String())
    question_count = ma.fields.Integer()
    progress = ma.fields.Nested(ProgressSchema, allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class StudyItemDetailSchema(StudyItemSchema):
    """One item with its Markdown body and its lesson questions (without answers)."""

    body = ma.fields.String()
    body_html = ma.fields.Function(
        lambda item: markdown_html(item.body),
        metadata={"type": "string", "description": "the body as sanitised HTML"},
    )
    questions = ma.fields.List(ma.fields.Nested(MemberQuestionSchema))
    my_result = ma.fields.Nested(LessonResultSchema, allow_none=True)


class SessionSchema(FastDumpSchema):
    """A reading session (server timestamps)."""

    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "open | completed | abandoned"})
    started_at = LocalDateTime()
    completed_at = LocalDateTime(allow_none=True)


class AwardSchema(FastDumpSchema):
    """Points one rule paid."""

    action = ma.fields.String()
    delta = ma.fields.Integer()


class ReadingSchema(FastDumpSchema):
    """Where a reading stands: counted or not, how long remains, what it paid."""

    item_id = ma.fields.Integer()
    session = ma.fields.Nested(SessionSchema)
    counted = ma.fields.Boolean()
    dwell_seconds = ma.fields.Integer()
    required_seconds = ma.fields.Integer()
    remaining_seconds = ma.fields.Integer()
    points_awarded = ma.fields.Integer()
    awards = ma.fields.List(ma.fields.Nested(AwardSchema))


class ReaderSchema(ma.Schema):
    """A member an item reaches and whether they read it."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    org_name = ma.fields.String()
    state = ma.fields.String(metadata={"description": "done | reading | none"})
    state_label = ma.fields.String()
    completed_at = LocalDateTime(allow_none=True)


class ReadersSchema(ma.Schema):
    """Who read an item: every member it reaches in the caller's scope."""

    item_id = ma.fields.Integer()
    reached = ma.fields.Integer()
    read = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ReaderSchema))
