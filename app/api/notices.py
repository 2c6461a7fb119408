"""通知公告: post to an audience, the member's list, read and confirm, counts, remind once."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.notices import services
from app.notices.schemas import (
    MyNoticeArgsSchema,
    MyNoticePageSchema,
    NoticeInSchema,
    NoticeListArgsSchema,
    NoticeReceiptsSchema,
    NoticeRemindSchema,
    NoticeSchema,
    NoticeUpdateSchema,
)
from app.openapi import Blueprint
from app.schemas import page_of
from app.timeutil import utcnow

blp = Blueprint("notices", __name__, url_prefix="/api/v1/notices", description="Notices 通知公告")


@blp.route("", methods=["GET"])
@blp.arguments(NoticeListArgsSchema, location="query")
@blp.response(200, page_of(NoticeSchema))
@access(Access.STAFF)
def list_sent(args):
    """Notices of the orgs in the caller's scope, pinned first, with read and confirmed counts."""
    return services.list_sent(current_principal(), args)


@blp.route("", methods=["POST"])
@blp.arguments(NoticeInSchema)
@blp.response(201, NoticeSchema)
@access(Access.STAFF)
def create(data):
    """Post a notice to a subtree, a list of orgs or members, now or at `publish_at`."""
    notice = services.create_notice(current_principal(), data, utcnow())
    db.session.commit()
    return notice


@blp.route("/mine", methods=["GET"])
@blp.arguments(MyNoticeArgsSchema, location="query")
@blp.response(200, MyNoticePageSchema)
@access(Access.MEMBER)
def mine(args):
    """My published notices, pinned first, with my read and confirmed times."""
    return services.list_mine(current_principal().member, args, utcnow())


@blp.route("/<int:notice_id>", methods=["GET"])
@blp.response(200, NoticeSchema)
@access(Access.AUTHENTICATED)
def get(notice_id):
    """One notice: staff in scope with counts; an audience member (which marks it read)."""
    notice = services.get_notice(current_principal(), notice_id, utcnow())
    db.session.commit()
    return notice


@blp.route("/<int:notice_id>", methods=["PATCH"])
@blp.arguments(NoticeUpdateSchema)
@blp.response(200, NoticeSchema)
@access(Access.STAFF)
def update(data, notice_id):
    """Pin, unpin or withdraw a notice."""
    notice = services.update_notice(current_principal(), notice_id, data, utcnow())
    db.session.commit()
    return notice


@blp.route("/<int:notice_id>/confirm", methods=["POST"])
@blp.response(200, NoticeSchema)
@access(Access.MEMBER)
def confirm(notice_id):
    """Confirm having read a notice that asks for it (a repeat keeps the first time)."""
    notice = services.confirm(current_principal(), notice_id, utcnow())
    db.session.commit()
    return notice


@blp.route("/<int:notice_id>/receipts", methods=["GET"])
@blp.response(200, NoticeReceiptsSchema)
@access(Access.STAFF)
def receipts(notice_id):
    """Read, unread and confirmed counts, and who has not read or confirmed."""
    return services.receipts(current_principal(), notice_id)


@blp.route("/<int:notice_id>/remind", methods=["POST"])
@blp.response(200, NoticeRemindSchema)
@access(Access.STAFF)
def remind(notice_id):
    """Remind those who have not confirmed (or read) — inbox and subscribe message, once."""
    result = services.remind(current_principal(), notice_id, utcnow())
    db.session.commit()
    return result
