"""Attachments at the API boundary."""

from __future__ import annotations

import marshmallow as ma

from app.schemas import LocalDateTime


class AttachmentSchema(ma.Schema):
    """A file of the meeting record (download it from `url` with the bearer token)."""

    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    filename = ma.fields.String()
    content_type = ma.fields.String(
        metadata={"description": "image/jpeg | image/png | image/webp | application/pdf"}
    )
    size = ma.fields.Integer(metadata={"description": "bytes"})
    sha256 = ma.fields.String()
    created_at = LocalDateTime()
    url = ma.fields.Method("_url", metadata={"description": "GET it for the file's bytes"})

    def _url(self, row) -> str:
        return f"/api/v1/activities/{row.activity_id}/attachments/{row.id}"


class AttachmentFileSchema(ma.Schema):
    """The uploaded file (multipart/form-data, field `file`)."""

    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
