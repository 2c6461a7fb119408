"""Study items: post and schedule, list, today's study, read (start/complete), lesson answers."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.schemas import PageArgsSchema, page_of
from app.study import quiz, readers, reading, services
from app.study.access import readable_item
from app.study.schemas import (
    AnswersSchema,
    LessonResultSchema,
    ReadersSchema,
    ReadingSchema,
    StudyItemCreateSchema,
    StudyItemDetailSchema,
    StudyItemListArgsSchema,
    StudyItemSchema,
    StudyItemUpdateSchema,
)
from app.timeutil import utcnow

blp = Blueprint(
    "study", __name__, url_prefix="/api/v1/study-items", description="Study items and reading"
)


@blp.route("", methods=["GET"])
@blp.arguments(StudyItemListArgsSchema, location="query")
@blp.response(200, page_of(StudyItemSchema))
@access(Access.AUTHENTICATED)
def list_items(args):
    """Published items that reach the member; staff also see scheduled ones in their subtree."""
    return services.list_items(current_principal(), args, utcnow())


@blp.route("", methods=["POST"])
@blp.arguments(StudyItemCreateSchema)
@blp.response(201, StudyItemDetailSchema)
@access(Access.STAFF)
def create_item(data):
    """Post a brief, lesson or article for an org's subtree, visible from `publish_at`."""
    now = utcnow()
    item = services.create_item(current_principal(), data, now)
    db.session.commit()
    return services.detail(current_principal(), item, now)


@blp.route("/today", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(StudyItemSchema))
@access(Access.MEMBER)
def today(args):
    """Today's briefs first, then recent lessons and articles, with the member's progress."""
    return services.today_items(current_principal(), args, utcnow())


@blp.route("/<int:item_id>", methods=["GET"])
@blp.response(200, StudyItemDetailSchema)
@access(Access.AUTHENTICATED)
def get_item(item_id):
    """One item with its Markdown body and lesson questions (404 `study.not_published` before
    its time)."""
    now = utcnow()
    item = readable_item(current_principal(), item_id, now)
    return services.detail(current_principal(), item, now)


@blp.route("/<int:item_id>", methods=["PATCH"])
@blp.arguments(StudyItemUpdateSchema)
@blp.response(200, StudyItemDetailSchema)
@access(Access.STAFF)
def update_item(data, item_id):
    """Change an item (reschedule, re-scope, edit)."""
    now = utcnow()
    item = services.update_item(current_principal(), item_id, data, now)
    db.session.commit()
    return services.detail(current_principal(), item, now)


@blp.route("/<int:item_id>", methods=["DELETE"])
@blp.response(204)
@access(Access.STAFF)
def withdraw_item(item_id):
    """Withdraw an item (points already earned stay)."""
    services.withdraw_item(current_principal(), item_id, utcnow())
    db.session.commit()


@blp.route("/<int:item_id>/start", methods=["POST"])
@blp.response(201, ReadingSchema)
@blp.alt_response(200, schema=ReadingSchema, description="The session already open")
@access(Access.MEMBER)
def start(item_id):
    """Open a reading session (201), or return the one already open (200)."""
    result, created = reading.start(current_principal(), item_id, utcnow())
    db.session.commit()
    return result, 201 if created else 200


@blp.route("/<int:item_id>/complete", methods=["POST"])
@blp.response(200, ReadingSchema)
@access(Access.MEMBER)
def complete(item_id):
    """Finish reading: counted after the dwell (server clock), else `remaining_seconds`."""
    result = reading.complete(current_principal(), item_id, utcnow())
    db.session.commit()
    return result


@blp.route("/<int:item_id>/answers", methods=["POST"])
@blp.arguments(AnswersSchema)
@blp.response(200, LessonResultSchema)
@access(Access.MEMBER)
def answer(data, item_id):
    """Grade the lesson's questions once (409 `study.already_answered` after)."""
    result = quiz.answer_lesson(current_principal(), item_id, data["answers"], utcnow())
    db.session.commit()
    return result


@blp.route("/<int:item_id>/readers", methods=["GET"])
@blp.response(200, ReadersSchema)
@access(Access.STAFF)
def item_readers(item_id):
    """Who read the item: each member it reaches in the caller's scope (已读 / 在读 / 未读)."""
    return readers.readers(current_principal(), item_id)
