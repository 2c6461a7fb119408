"""Attachments of a meeting record: checked by content and size, stored under ATTACHMENT_DIR.

The type is what the bytes are, never what the name or the browser claims: images must open
with Pillow as JPEG, PNG or WebP; a PDF must start with `%PDF-` and carry an end-of-file mark.
Files are stored under a random name and served only to those who manage the activity.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import unicodedata
from datetime import datetime
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select

from app.activities.models import Activity
from app.activities.services import get_managed_activity
from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, not_found
from app.extensions import db
from app.records.models import ActivityAttachment

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded


def storage_dir() -> Path:
    """Where the files are kept (ATTACHMENT_DIR, default: the instance folder)."""
    configured = current_app.config.get("ATTACHMENT_DIR") or ""
    path = Path(configured) if configured else Path(current_app.instance_path) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(data: bytes) -> str | None:
    """The content type of `data` from its bytes, or None when it is not an accepted file."""
    if data.startswith(b"%PDF-"):
        return "application/pdf" if b"%%EOF" in data[-2048:] else None
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = IMAGE_FORMATS.get(image.format or "")
            if kind is None or image.width * image.height > MAX_PIXELS:
                return None
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return kind


def _clean_name(filename: str, content_type: str) -> str:
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:120]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem or "附件") + EXTENSIONS[content_type]


def _activity(principal: Principal, activity_id: int) -> Activity:
    return get_managed_activity(principal, activity_id)


def list_attachments(principal: Principal, activity_id: int) -> list[ActivityAttachment]:
    """The record's files, oldest first (managers of the activity only)."""
    activity = _activity(principal, activity_id)
    return list(
        db.session.scalars(
            select(ActivityAttachment)
            .where(ActivityAttachment.activity_id == activity.id)
            .order_by(ActivityAttachment.id)
        )
    )


def add_attachment(
    principal: Principal, activity_id: int, filename: str, data: bytes, now: datetime
) -> ActivityAttachment:
    """Check and store one file of the record; audited."""
    activity = _activity(principal, activity_id)
    if activity.status == "cancelled":
        raise APIError(409, "activity.cancelled", "活动已取消，不能再上传附件")
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not data:
        raise APIError(400, "attachment.empty", "文件是空的，请重新选择", {"file": ["空文件"]})
    if len(data) > limit:
        raise APIError(
            413,
            "attachment.too_large",
            f"文件不能超过 {limit // (1024 * 1024)} MB",
            {"limit": limit, "size": len(data)},
        )
    content_type = sniff(data)
    if content_type is None:
        raise APIError(
            415,
            "attachment.unsupported_type",
            "只能上传 JPG、PNG、WebP 照片或 PDF 文件",
            {"accepted": sorted(EXTENSIONS)},
        )
    count = db.session.scalar(
        select(func.count()).where(ActivityAttachment.activity_id == activity.id)
    )
    most = current_app.config["ATTACHMENT_MAX_PER_ACTIVITY"]
    if count >= most:
        raise APIError(
            409, "attachment.too_many", f"每个活动最多上传 {most} 个附件", {"limit": most}
        )
    key = secrets.token_hex(16) + EXTENSIONS[content_type]
    (storage_dir() / key).write_bytes(data)
    row = ActivityAttachment(
        activity_id=activity.id,
        filename=_clean_name(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_user_id=principal.user.id if principal.user else None,
        uploaded_by_member_id=principal.member_id,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        principal,
        action="activity.attachment_added",
        entity_type="activity_attachment",
        entity_id=row.id,
        org_id=activity.org_id,
        activity_id=activity.id,
        new=row.filename,
        now=now,
    )
    return row


def get_attachment(
    principal: Principal, activity_id: int, attachment_id: int
) -> tuple[ActivityAttachment, Path]:
    """One file of the record and where its bytes are (404 when missing or not this one's)."""
    activity = _activity(principal, activity_id)
    row = db.session.get(ActivityAttachment, attachment_id)
    if row is None or row.activity_id != activity.id:
        raise not_found("附件")
    path = storage_dir() / row.storage_key
    if not path.is_file():
        raise APIError(410, "attachment.gone", "附件文件已不在服务器上，请重新上传")
    return row, path


def delete_attachment(
    principal: Principal, activity_id: int, attachment_id: int, now: datetime
) -> Path:
    """Remove a file from the record; audited. Returns the stored file, for the caller to
    delete once the transaction has committed (a rollback must not lose the bytes)."""
    activity = _activity(principal, activity_id)
    row = db.session.get(ActivityAttachment, attachment_id)
    if row is None or row.activity_id != activity.id:
        raise not_found("附件")
    audit.record(
        principal,
        action="activity.attachment_removed",
        entity_type="activity_attachment",
        entity_id=row.id,
        org_id=activity.org_id,
        activity_id=activity.id,
        old=row.filename,
        now=now,
    )
    path = storage_dir() / row.storage_key
    db.session.delete(row)
    db.session.flush()
    return path
