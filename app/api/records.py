"""Meeting-record attachments: photos and the minutes as PDF, stored through the app."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from flask import Response

from app.auth import Access, access, current_principal
from app.errors import APIError
from app.extensions import db
from app.openapi import Blueprint
from app.records import services
from app.records.schemas import AttachmentFileSchema, AttachmentSchema
from app.timeutil import utcnow

blp = Blueprint(
    "records",
    __name__,
    url_prefix="/api/v1/activities",
    description="Meeting record attachments (会议记录附件)",
)


def _disposition(name: str) -> str:
    ascii_name = (
        name.encode("ascii", "ignore").decode().replace('"', "").lstrip(".") or "attachment"
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@blp.route("/<int:activity_id>/attachments", methods=["GET"])
@blp.response(200, AttachmentSchema(many=True))
@access(Access.STAFF)
def list_attachments(activity_id):
    """The record's files (those who manage the activity)."""
    return services.list_attachments(current_principal(), activity_id)


@blp.route("/<int:activity_id>/attachments", methods=["POST"])
@blp.arguments(AttachmentFileSchema, location="files")
@blp.response(201, AttachmentSchema)
@access(Access.STAFF)
def add_attachment(files, activity_id):
    """Upload a JPG/PNG/WebP photo or a PDF (type checked by content, size limited)."""
    upload = files["file"]
    if not hasattr(upload, "read"):
        raise APIError(400, "attachment.no_file", "请选择要上传的文件", {"file": ["缺少文件"]})
    row = services.add_attachment(
        current_principal(), activity_id, upload.filename or "", upload.read(), utcnow()
    )
    db.session.commit()
    return row


@blp.route("/<int:activity_id>/attachments/<int:attachment_id>", methods=["GET"])
@blp.doc(responses={"200": {"description": "The file's bytes, with its checked content type"}})
@access(Access.STAFF)
def get_attachment(activity_id, attachment_id):
    """Download one file of the record."""
    row, path = services.get_attachment(current_principal(), activity_id, attachment_id)
    # files are small (ATTACHMENT_MAX_BYTES): read at once, no file handle left open
    response = Response(path.read_bytes(), mimetype=row.content_type)
    response.headers["Content-Disposition"] = _disposition(row.filename)
    response.headers["Cache-Control"] = "private, no-store"
    # never rendered as a page of this origin, whatever the bytes are
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/<int:activity_id>/attachments/<int:attachment_id>", methods=["DELETE"])
@blp.response(204)
@access(Access.STAFF)
def delete_attachment(activity_id, attachment_id):
    """Remove a file from the record (audited)."""
    path = services.delete_attachment(current_principal(), activity_id, attachment_id, utcnow())
    db.session.commit()
    with contextlib.suppress(OSError):  # the row is gone; a leftover file harms no one
        path.unlink()
