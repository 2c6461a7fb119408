"""诉求 / 建言 / 服务预约: filing (members and staff), routing, handling, rating, the report."""

from __future__ import annotations

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.reports.exports import export
from app.schemas import page_of
from app.servicedesk import accounts, reports, services
from app.servicedesk.schemas import (
    MyRequestsArgsSchema,
    RequestAnswerSchema,
    RequestHandlerListSchema,
    RequestInboxArgsSchema,
    RequestOptionsSchema,
    RequestRatingInSchema,
    RequestReportArgsSchema,
    RequestReportSchema,
    RequestRouteSchema,
    RequestTransitionSchema,
    ServiceRequestInSchema,
    ServiceRequestSchema,
    StaffAccountSchema,
    StaffActiveInSchema,
    StaffInviteInSchema,
    StaffInviteSchema,
    StaffListArgsSchema,
)
from app.timeutil import local_day, utcnow

blp = Blueprint("requests", __name__, url_prefix="/api/v1", description="Requests and services")


def _one(req):
    return services.describe_many([req], current_principal(), utcnow())[0]


@blp.route("/requests", methods=["POST"])
@blp.arguments(ServiceRequestInSchema)
@blp.response(201, ServiceRequestSchema)
@blp.alt_response(200, schema=ServiceRequestSchema, description="A retry: the first submission")
@access(Access.REQUESTER)
def submit(data):
    """File a request (member or staff); the same idempotency key answers the first, 200."""
    req, created = services.submit(current_principal(), data, utcnow())
    db.session.commit()
    return _one(req), 201 if created else 200


@blp.route("/requests/mine", methods=["GET"])
@blp.arguments(MyRequestsArgsSchema, location="query")
@blp.response(200, page_of(ServiceRequestSchema))
@access(Access.REQUESTER)
def mine(args):
    """My requests, newest first, with their answers and my ratings."""
    return services.list_mine(current_principal(), args, utcnow())


@blp.route("/requests/mine/<int:request_id>", methods=["GET"])
@blp.response(200, ServiceRequestSchema)
@access(Access.REQUESTER)
def mine_one(request_id):
    """One of my requests."""
    return services.get_mine(current_principal(), request_id, utcnow())


@blp.route("/requests/options", methods=["GET"])
@blp.response(200, RequestOptionsSchema)
@access(Access.REQUESTER)
def options():
    """Kinds, service teams and the enterprises I may name."""
    return services.options(current_principal())


@blp.route("/requests/<int:request_id>/rating", methods=["POST"])
@blp.arguments(RequestRatingInSchema)
@blp.response(201, ServiceRequestSchema)
@access(Access.REQUESTER)
def rate(data, request_id):
    """Rate the answer to my request, 1–5, once."""
    req = services.rate(current_principal(), request_id, data, utcnow())
    db.session.commit()
    return _one(req)


@blp.route("/requests", methods=["GET"])
@blp.arguments(RequestInboxArgsSchema, location="query")
@blp.response(200, page_of(ServiceRequestSchema))
@blp.doc(responses=downloads(page_of(ServiceRequestSchema)))
@access(Access.AUTHENTICATED)
def handling(args):
    """Requests to handle: in my scope, or routed to me; `format=csv|xlsx` for the ledger."""
    now = utcnow()
    if args["format"] == "json":
        return services.list_handling(current_principal(), args, now)
    rows = services.export_rows(current_principal(), args, now)
    return export(args["format"], *reports.list_table(rows))


@blp.route("/requests/handlers", methods=["GET"])
@blp.response(200, RequestHandlerListSchema)
@access(Access.STAFF)
def handlers():
    """Users I may route requests to."""
    return {"items": services.handlers(current_principal())}


@blp.route("/requests/<int:request_id>", methods=["GET"])
@blp.response(200, ServiceRequestSchema)
@access(Access.AUTHENTICATED)
def detail(request_id):
    """One request in my scope or routed to me."""
    return services.get_for_handling(current_principal(), request_id, utcnow())


@blp.route("/requests/<int:request_id>/route", methods=["POST"])
@blp.arguments(RequestRouteSchema)
@blp.response(200, ServiceRequestSchema)
@access(Access.STAFF)
def route(data, request_id):
    """Route a request to a handler with a due date (the committee)."""
    req = services.route(current_principal(), request_id, data, utcnow())
    db.session.commit()
    return _one(req)


@blp.route("/requests/<int:request_id>/transition", methods=["POST"])
@blp.arguments(RequestTransitionSchema)
@blp.response(200, ServiceRequestSchema)
@access(Access.AUTHENTICATED)
def transition(data, request_id):
    """Move a routed request on: received → in progress."""
    req = services.start(current_principal(), request_id, utcnow())
    db.session.commit()
    return _one(req)


@blp.route("/requests/<int:request_id>/answer", methods=["POST"])
@blp.arguments(RequestAnswerSchema)
@blp.response(200, ServiceRequestSchema)
@access(Access.AUTHENTICATED)
def answer(data, request_id):
    """Answer a request in progress: resolved or declined, in writing."""
    req = services.answer(current_principal(), request_id, data, utcnow())
    db.session.commit()
    return _one(req)


@blp.route("/requests/report", methods=["GET"])
@blp.arguments(RequestReportArgsSchema, location="query")
@blp.response(200, RequestReportSchema)
@blp.doc(responses=downloads(RequestReportSchema))
@access(Access.STAFF)
def report(args):
    """Received, resolved and overdue per kind and month, with the one-line summary."""
    now = utcnow()
    year = args.get("year") or local_day(now).year
    result = reports.report(current_principal(), args.get("org_id"), year, now)
    fmt = args["format"]
    return result if fmt == "json" else export(fmt, *reports.report_table(result))


@blp.route("/requests/staff-invites", methods=["POST"])
@blp.arguments(StaffInviteInSchema)
@blp.response(201, StaffInviteSchema)
@access(Access.STAFF)
def invite_staff(data):
    """Invite an enterprise's employee: a one-time code binds their phone browser."""
    invite = accounts.invite_staff(current_principal(), data, utcnow())
    db.session.commit()
    return accounts.label(invite)


@blp.route("/requests/staff", methods=["GET"])
@blp.arguments(StaffListArgsSchema, location="query")
@blp.response(200, page_of(StaffAccountSchema))
@access(Access.STAFF)
def list_staff(args):
    """Staff accounts of the enterprises in the parks I manage, newest first."""
    return accounts.list_staff(current_principal(), args)


@blp.route("/requests/staff/<int:staff_id>/deactivate", methods=["POST"])
@blp.arguments(StaffActiveInSchema)
@blp.response(200, StaffAccountSchema)
@access(Access.STAFF)
def deactivate_staff(data, staff_id):
    """Stop a staff account: its tokens are refused from the next request on (audited)."""
    account = accounts.set_staff_active(
        current_principal(), staff_id, False, data["reason"], utcnow()
    )
    db.session.commit()
    return account


@blp.route("/requests/staff/<int:staff_id>/reactivate", methods=["POST"])
@blp.arguments(StaffActiveInSchema)
@blp.response(200, StaffAccountSchema)
@access(Access.STAFF)
def reactivate_staff(data, staff_id):
    """Restore a stopped staff account (audited)."""
    account = accounts.set_staff_active(
        current_principal(), staff_id, True, data["reason"], utcnow()
    )
    db.session.commit()
    return account
