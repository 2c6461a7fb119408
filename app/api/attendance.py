"""Check-in by members, their personal code, leave decisions and the audit log."""

from __future__ import annotations

from flask import Response

from app.activities import attendance, checkins, leave, services
from app.activities.schemas import (
    AttendanceSchema,
    CheckinSchema,
    DecisionSchema,
    MemberCodeSchema,
    RequestListArgsSchema,
    RequestSchema,
)
from app.audit.schemas import AuditListArgsSchema, AuditSchema
from app.auth import Access, access, caller_key, checkin_rate_limit, current_principal
from app.extensions import db, limiter
from app.openapi import Blueprint
from app.qr import qr_svg
from app.schemas import page_of
from app.timeutil import utcnow

blp = Blueprint(
    "attendance", __name__, url_prefix="/api/v1", description="Check-in, leave and audit"
)


@blp.route("/checkins", methods=["POST"])
@blp.arguments(CheckinSchema)
@blp.response(201, AttendanceSchema)
@blp.alt_response(200, schema=AttendanceSchema, description="Already checked in: the same row")
@limiter.limit(checkin_rate_limit, key_func=caller_key)
@access(Access.AUTHENTICATED)
def check_in(data):
    """Check in with the QR `token` (or its URL) or the 6-digit `code`: 201, a repeat 200."""
    row, created = checkins.check_in(current_principal(), data, utcnow())
    db.session.commit()
    return row, 201 if created else 200


@blp.route("/me/code", methods=["GET"])
@blp.response(200, MemberCodeSchema)
@access(Access.MEMBER)
def my_code():
    """The caller's personal rotating code, for the secretary to scan."""
    return checkins.member_code(current_principal(), utcnow())


@blp.route("/me/code.svg", methods=["GET"])
@blp.doc(responses={"200": {"description": "SVG image of the QR code of the personal code"}})
@access(Access.MEMBER)
def my_code_svg():
    """The caller's personal rotating code as a QR (SVG); fetch again when it rotates."""
    code = checkins.member_code(current_principal(), utcnow())
    response = Response(qr_svg(code["code"]), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Code-Expires-At"] = code["expires_at"].isoformat()
    return response


@blp.route("/leave-requests", methods=["GET"])
@blp.arguments(RequestListArgsSchema, location="query")
@blp.response(200, page_of(RequestSchema))
@access(Access.AUTHENTICATED)
def list_requests(args):
    """Leave and make-up requests: staff see their subtree, members their own."""
    return leave.list_requests(current_principal(), args)


@blp.route("/leave-requests/<int:request_id>/decision", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, RequestSchema)
@access(Access.STAFF)
def decide(data, request_id):
    """Approve or reject a pending leave or make-up request (audited)."""
    row = attendance.decide(current_principal(), request_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/audit-log", methods=["GET"])
@blp.arguments(AuditListArgsSchema, location="query")
@blp.response(200, page_of(AuditSchema))
@access(Access.STAFF)
def audit_log(args):
    """Manual changes in the caller's scope: who, when, old → new, why."""
    return services.audit_log(current_principal(), args)
