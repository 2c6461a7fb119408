"""StudyItem and its tags, ReadingSession, StudyDay, QuizQuestion, DailyQuiz, LessonAttempt."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import versions
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Organization

ITEM_KINDS = ("morning_brief", "micro_lesson", "article")
ITEM_KIND_LABELS = {"morning_brief": "晨会5分钟", "micro_lesson": "微课堂", "article": "学习文章"}
SESSION_STATUSES = ("open", "completed", "abandoned")
QUESTION_KINDS = ("single", "multiple", "true_false")
QUESTION_KIND_LABELS = {"single": "单选题", "multiple": "多选题", "true_false": "判断题"}
TRUE_FALSE_OPTIONS = ["正确", "错误"]
OPTION_KEYS = "ABCDEFGH"


SOURCE = "study_item"  # ledger source of reading and lesson points


class StudyItem(db.Model):
    """A piece to study, visible from `publish_at` to members of the `org_id` subtree.

    The body is Markdown, rendered by the mini-program; raw HTML is refused on input.
    """

    __tablename__ = "study_items"
    __table_args__ = (
        CheckConstraint(f"kind IN {ITEM_KINDS!r}", name="kind"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_study_items_org_id_publish_at", "org_id", "publish_at"),
        Index("ix_study_items_publish_at", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column()  # stated reading time; the dwell threshold uses it
    media_url: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()
    tag_rows: Mapped[list[StudyItemTag]] = relationship(
        cascade="all, delete-orphan", order_by="StudyItemTag.position"
    )

    @property
    def tags(self) -> list[str]:
        """The item's tags in the order given."""
        return [t.tag for t in self.tag_rows]


class StudyItemTag(db.Model):
    """One tag of a study item (a table, so items can be filtered by tag with an index)."""

    __tablename__ = "study_item_tags"
    __table_args__ = (Index("ix_study_item_tags_tag", "tag"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("study_items.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class ReadingSession(db.Model):
    """A member reading an item: opened by start, closed by a complete that met the dwell.

    `open_key` is `<member>:<item>` while open and NULL after, so at most one session per
    member and item is open (a unique key, on every engine).
    """

    __tablename__ = "reading_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SESSION_STATUSES!r}", name="status"),
        Index("ix_reading_sessions_member_id_item_id", "member_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dwell_seconds: Mapped[int | None] = mapped_column()  # server time from start to complete
    study_seconds: Mapped[int] = mapped_column(default=0)  # dwell capped at the stated minutes
    points: Mapped[int] = mapped_column(default=0)  # awarded by this session's completion


class StudyDay(db.Model):
    """A member's study on one Asia/Shanghai day: the row exists once they studied (streaks),
    `seconds` adds up counted reading time (the 32 hours a year of rule 2)."""

    __tablename__ = "study_days"
    # reports scan a period across all members: by day first
    __table_args__ = (Index("ix_study_days_day", "day"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    seconds: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuizQuestion(db.Model):
    """A question of the bank (`item_id` NULL: drawn for daily quizzes of the `org_id` subtree)
    or of one micro-lesson. `answer` holds option keys ("A", "C" …)."""

    __tablename__ = "quiz_questions"
    __table_args__ = (
        CheckConstraint(f"kind IN {QUESTION_KINDS!r}", name="kind"),
        Index("ix_quiz_questions_org_id_active", "org_id", "active"),
        Index("ix_quiz_questions_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON)
    answer: Mapped[list] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()


class DailyQuiz(db.Model):
    """A member's quiz of one day: the questions drawn (kept, so the set is stable), then the
    one graded submission."""

    __tablename__ = "daily_quizzes"
    __table_args__ = (
        UniqueConstraint("member_id", "day", name="uq_daily_quizzes_member_day"),
        Index("ix_daily_quizzes_day", "day"),  # the study report scans a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    question_ids: Mapped[list] = mapped_column(JSON)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results: Mapped[list | None] = mapped_column(JSON)  # [{question_id, chosen, answer, correct}]
    correct: Mapped[int | None] = mapped_column()
    points: Mapped[int] = mapped_column(default=0)


class LessonAttempt(db.Model):
    """A member's one graded answer sheet for a micro-lesson's questions."""

    __tablename__ = "lesson_attempts"
    __table_args__ = (
        UniqueConstraint("member_id", "item_id", name="uq_lesson_attempts_member_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    results: Mapped[list] = mapped_column(JSON)
    correct: Mapped[int] = mapped_column()
    total: Mapped[int] = mapped_column()
    points: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _study_changed(_row, _change) -> list[str]:
    return [versions.STUDY]


# home keeps today's brief per org path at this version (app.study.brief)
for _model in (StudyItem, StudyItemTag, QuizQuestion):
    versions.watch(_model, _study_changed)
