"""Members: create, read, change, deactivate, import, invite."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.errors import APIError
from app.extensions import db
from app.members import importer, services
from app.members.schemas import (
    ExcusalCreateSchema,
    ExcusalSchema,
    ImportFileSchema,
    ImportFormSchema,
    ImportResultSchema,
    InviteSchema,
    MemberCreateSchema,
    MemberSchema,
    MemberUpdateSchema,
)
from app.openapi import Blueprint
from app.timeutil import utcnow

blp = Blueprint("members", __name__, url_prefix="/api/v1/members", description="Party members")


@blp.route("", methods=["POST"])
@blp.arguments(MemberCreateSchema)
@blp.response(201, MemberSchema)
@access(Access.STAFF)
def create_member(data):
    """Add a member to a branch or group the caller manages."""
    member = services.create_member(current_principal(), data)
    db.session.commit()
    return member


@blp.route("/<int:member_id>", methods=["GET"])
@blp.response(200, MemberSchema)
@access(Access.AUTHENTICATED)
def get_member(member_id):
    """One member (themselves, or staff in scope)."""
    return services.get_member(current_principal(), member_id)


@blp.route("/<int:member_id>", methods=["PATCH"])
@blp.arguments(MemberUpdateSchema)
@blp.response(200, MemberSchema)
@access(Access.STAFF)
def update_member(data, member_id):
    """Change a member (moving them needs rights on both orgs)."""
    member = services.update_member(current_principal(), member_id, data, utcnow())
    db.session.commit()
    return member


@blp.route("/<int:member_id>/excusals", methods=["GET"])
@blp.response(200, ExcusalSchema(many=True))
@access(Access.STAFF)
def list_excusals(member_id):
    """A member's excusals from organisation life."""
    return services.list_excusals(current_principal(), member_id)


@blp.route("/<int:member_id>/excusals", methods=["POST"])
@blp.arguments(ExcusalCreateSchema)
@blp.response(201, ExcusalSchema)
@access(Access.STAFF)
def add_excusal(data, member_id):
    """Excuse a member from organisation life for a span of days (the level above only)."""
    row = services.add_excusal(current_principal(), member_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/<int:member_id>", methods=["DELETE"])
@blp.response(204)
@access(Access.STAFF)
def delete_member(member_id):
    """Deactivate a member (soft delete: attendance and points history stay)."""
    services.deactivate_member(current_principal(), member_id, utcnow())
    db.session.commit()


@blp.route("/import", methods=["POST"])
@blp.arguments(ImportFormSchema, location="form")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(201, ImportResultSchema)
@access(Access.STAFF)
def import_members(form, files):
    """Import members from CSV or XLSX: every row checked first, then all rows or none."""
    upload = files["file"]
    if not hasattr(upload, "read"):
        raise APIError(400, "import.no_file", "请上传 CSV 或 XLSX 文件", {"file": ["缺少文件"]})
    members = importer.import_members(
        current_principal(), upload.filename or "", upload.read(), form.get("org_id")
    )
    db.session.commit()
    return {"imported": len(members), "member_ids": [m.id for m in members]}


@blp.route("/<int:member_id>/invite", methods=["POST"])
@blp.response(201, InviteSchema)
@access(Access.STAFF)
def invite(member_id):
    """A one-time code (and its QR) with which the member binds their WeChat account."""
    result = services.issue_invite(current_principal(), member_id, utcnow())
    db.session.commit()
    return result
