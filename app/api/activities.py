"""Activities: CRUD and lifecycle, the rotating check-in code, the sheet, the live count."""

from __future__ import annotations

from flask import Response

from app.activities import (
    attendance,
    checkins,
    invitations,
    leave,
    qrcodes,
    roster,
    services,
    venue,
)
from app.activities.schemas import (
    ActivityCreateSchema,
    ActivityListArgsSchema,
    ActivitySchema,
    ActivityUpdateSchema,
    AttendanceSchema,
    AttendeeCorrectionSchema,
    AttendeeSchema,
    CancelSchema,
    CheckinCodeSchema,
    InvitationAnswerSchema,
    InvitationResultSchema,
    InvitationSchema,
    LiveSchema,
    ManualStatusSchema,
    ReasonSchema,
    RecordSchema,
    RequestSchema,
    ScanMemberSchema,
    SheetSchema,
)
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.schemas import page_of
from app.timeutil import utcnow

blp = Blueprint(
    "activities", __name__, url_prefix="/api/v1/activities", description="Activities and check-in"
)


@blp.route("", methods=["GET"])
@blp.arguments(ActivityListArgsSchema, location="query")
@blp.response(200, page_of(ActivitySchema))
@access(Access.AUTHENTICATED)
def list_activities(args):
    """Activities the caller may see (staff: their subtree; members: where they are expected)."""
    return services.list_activities(current_principal(), args, utcnow())


@blp.route("", methods=["POST"])
@blp.arguments(ActivityCreateSchema)
@blp.response(201, ActivitySchema)
@access(Access.STAFF)
def create_activity(data):
    """Create an activity in an org the caller manages (a draft unless `publish: true`)."""
    now = utcnow()
    activity = services.create_activity(current_principal(), data, now)
    db.session.commit()
    return services.decorate([activity], now)[0]


@blp.route("/invitations", methods=["GET"])
@blp.response(200, InvitationSchema(many=True))
@access(Access.STAFF)
def pending_invitations():
    """Invitations from other branches to the caller's orgs or members, awaiting an answer."""
    return invitations.pending_for(current_principal())


def _answer(data, activity_id, accept: bool):
    result = invitations.respond(
        current_principal(),
        activity_id,
        org_id=data.get("org_id"),
        member_id=data.get("member_id"),
        accept=accept,
    )
    db.session.commit()
    return result


@blp.route("/<int:activity_id>/invitations/accept", methods=["POST"])
@blp.arguments(InvitationAnswerSchema)
@blp.response(200, InvitationResultSchema)
@access(Access.STAFF)
def accept_invitation(data, activity_id):
    """The invited side's secretary accepts: their members are expected from now on."""
    return _answer(data, activity_id, accept=True)


@blp.route("/<int:activity_id>/invitations/decline", methods=["POST"])
@blp.arguments(InvitationAnswerSchema)
@blp.response(200, InvitationResultSchema)
@access(Access.STAFF)
def decline_invitation(data, activity_id):
    """The invited side's secretary declines: the invitation is removed."""
    return _answer(data, activity_id, accept=False)


@blp.route("/<int:activity_id>", methods=["GET"])
@blp.response(200, ActivitySchema)
@access(Access.AUTHENTICATED)
def get_activity(activity_id):
    """One activity with its phase and check-in window (and, for its managers, the
    invitations still awaiting acceptance)."""
    principal = current_principal()
    activity = services.get_readable_activity(principal, activity_id)
    if principal.can_manage_org(activity.org):
        invitations.attach_pending(activity)
    venue.attach_room(activity)
    return services.decorate([activity], utcnow())[0]


@blp.route("/<int:activity_id>", methods=["PATCH"])
@blp.arguments(ActivityUpdateSchema)
@blp.response(200, ActivitySchema)
@access(Access.STAFF)
def update_activity(data, activity_id):
    """Change an activity; the check-in window follows a new start time."""
    now = utcnow()
    activity = services.update_activity(current_principal(), activity_id, data, now)
    db.session.commit()
    return services.decorate([activity], now)[0]


@blp.route("/<int:activity_id>/publish", methods=["POST"])
@blp.response(200, ActivitySchema)
@access(Access.STAFF)
def publish_activity(activity_id):
    """Publish a draft: expected members see it and may check in during the window."""
    now = utcnow()
    activity = services.publish_activity(current_principal(), activity_id, now)
    db.session.commit()
    return services.decorate([activity], now)[0]


@blp.route("/<int:activity_id>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.response(200, ActivitySchema)
@access(Access.STAFF)
def cancel_activity(data, activity_id):
    """Cancel an activity before its end; every code dies at once (audited)."""
    now = utcnow()
    activity = services.cancel_activity(current_principal(), activity_id, data["reason"], now)
    db.session.commit()
    return services.decorate([activity], now)[0]


@blp.route("/<int:activity_id>/record", methods=["PUT"])
@blp.arguments(RecordSchema)
@blp.response(200, ActivitySchema)
@access(Access.STAFF)
def write_record(data, activity_id):
    """The meeting record (summary, decisions) and volunteer hours, after the start."""
    now = utcnow()
    activity = services.write_record(current_principal(), activity_id, data, now)
    db.session.commit()
    return services.decorate([activity], now)[0]


# --- the rotating code ------------------------------------------------------------------------


@blp.route("/<int:activity_id>/checkin-code", methods=["GET"])
@blp.response(200, CheckinCodeSchema)
@access(Access.STAFF)
def checkin_code(activity_id):
    """The current token, scan URL, 6-digit code and when to refresh (inside the window only)."""
    return checkins.current_code(current_principal(), activity_id, utcnow())


def _image(activity_id: int, kind: str) -> Response:
    code = checkins.current_code(current_principal(), activity_id, utcnow())
    if kind == "png":
        body, mimetype = qrcodes.render_png(code["scan_url"]), "image/png"
    else:
        body, mimetype = qrcodes.render_svg(code["scan_url"]), "image/svg+xml"
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"private, max-age={int(code['refresh_in_seconds'])}"
    response.headers["X-Checkin-Expires-At"] = code["expires_at"].isoformat()
    return response


@blp.route("/<int:activity_id>/checkin-code.png", methods=["GET"])
@blp.doc(responses={"200": {"description": "PNG image of the QR code of the scan URL"}})
@access(Access.STAFF)
def checkin_code_png(activity_id):
    """The current QR code as PNG (rendered once per window, then cached)."""
    return _image(activity_id, "png")


@blp.route("/<int:activity_id>/checkin-code.svg", methods=["GET"])
@blp.doc(responses={"200": {"description": "SVG image of the QR code of the scan URL"}})
@access(Access.STAFF)
def checkin_code_svg(activity_id):
    """The current QR code as SVG (rendered once per window, then cached)."""
    return _image(activity_id, "svg")


@blp.route("/<int:activity_id>/scan-member", methods=["POST"])
@blp.arguments(ScanMemberSchema)
@blp.response(201, AttendanceSchema)
@blp.alt_response(200, schema=AttendanceSchema, description="Already checked in")
@access(Access.STAFF)
def scan_member(data, activity_id):
    """Check a member in by scanning their personal code (201; 200 when already in)."""
    row, created = checkins.scan_member(current_principal(), activity_id, data["code"], utcnow())
    db.session.commit()
    return row, 201 if created else 200


# --- attendance -------------------------------------------------------------------------------


@blp.route("/<int:activity_id>/attendance", methods=["GET"])
@blp.response(200, SheetSchema)
@access(Access.STAFF)
def attendance_sheet(activity_id):
    """Every expected attendee with status; counts, rate (leave excluded) and quorum."""
    return attendance.attendance_sheet(current_principal(), activity_id, utcnow())


@blp.route("/<int:activity_id>/attendance/<int:member_id>", methods=["PUT"])
@blp.arguments(ManualStatusSchema)
@blp.response(200, AttendanceSchema)
@access(Access.STAFF)
def set_attendance(data, activity_id, member_id):
    """Set a member's status by hand, with a reason (audited; points follow the status)."""
    row = attendance.set_status(current_principal(), activity_id, member_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/<int:activity_id>/attendees/<int:member_id>", methods=["PUT"])
@blp.arguments(AttendeeCorrectionSchema)
@blp.response(200, AttendeeSchema)
@access(Access.STAFF)
def correct_attendee(data, activity_id, member_id):
    """Correct the fixed list of expected attendees by hand, with a reason (audited)."""
    result = roster.correct(current_principal(), activity_id, member_id, data, utcnow())
    db.session.commit()
    return result


@blp.route("/<int:activity_id>/live", methods=["GET"])
@blp.response(200, LiveSchema)
@access(Access.STAFF)
def live(activity_id):
    """Counts and the latest arrivals, cheap enough for a projector polling every few seconds."""
    return attendance.live(current_principal(), activity_id, utcnow())


@blp.route("/<int:activity_id>/leave", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(201, RequestSchema)
@access(Access.MEMBER)
def request_leave(data, activity_id):
    """Ask for leave before the activity ends; the secretary decides."""
    row = leave.request_leave(current_principal(), activity_id, data["reason"], utcnow())
    db.session.commit()
    return row


@blp.route("/<int:activity_id>/makeup-request", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(201, RequestSchema)
@access(Access.MEMBER)
def request_makeup(data, activity_id):
    """Ask for 补签 after check-in closed, until MAKEUP_REQUEST_DAYS after the end."""
    row = leave.request_makeup(current_principal(), activity_id, data["reason"], utcnow())
    db.session.commit()
    return row
