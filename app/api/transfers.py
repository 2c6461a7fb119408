"""组织关系转接 and 流动党员: requests, per-side approvals, registrations, contacts, reports."""

from __future__ import annotations

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.reports.exports import export
from app.schemas import page_of
from app.timeutil import utcnow
from app.transfers import mobile, reporting, reports, services
from app.transfers.schemas import (
    MemberContactArgsSchema,
    MemberContactInSchema,
    MemberContactListSchema,
    MemberContactSchema,
    MobileArgsSchema,
    MobileEndSchema,
    MobileInSchema,
    MobileParticipationInSchema,
    MobileReportArgsSchema,
    MobileReportSchema,
    MobileSchema,
    TransferArgsSchema,
    TransferBranchListSchema,
    TransferCancelSchema,
    TransferDecisionSchema,
    TransferInSchema,
    TransferReportArgsSchema,
    TransferReportInSchema,
    TransferReportSchema,
    TransferSchema,
)

blp = Blueprint("transfers", __name__, url_prefix="/api/v1", description="Transfers 组织关系转接")


@blp.route("/transfers", methods=["GET"])
@blp.arguments(TransferArgsSchema, location="query")
@blp.response(200, page_of(TransferSchema))
@access(Access.AUTHENTICATED)
def list_transfers(args):
    """Transfers in scope, newest first (a member, or `mine`: their own)."""
    return services.list_transfers(current_principal(), args)


@blp.route("/transfers", methods=["POST"])
@blp.arguments(TransferInSchema)
@blp.response(201, TransferSchema)
@access(Access.AUTHENTICATED)
def create(data):
    """Request a transfer (the member, or a secretary of the sending side; in from outside:
    the receiving side)."""
    principal = current_principal()
    transfer = services.create_transfer(principal, data, utcnow())
    db.session.commit()
    return services.decorate(principal, transfer)


@blp.route("/transfers/branches", methods=["GET"])
@blp.response(200, TransferBranchListSchema)
@access(Access.AUTHENTICATED)
def branches():
    """Branches a transfer may go to, with their park."""
    return {"items": services.destinations()}


@blp.route("/transfers/report", methods=["GET"])
@blp.arguments(TransferReportArgsSchema, location="query")
@blp.response(200, TransferReportSchema)
@blp.doc(responses=downloads(TransferReportSchema))
@access(Access.STAFF)
def report(args):
    """Transfers in and out per branch in a month, quarter or year."""
    result = reports.transfer_report(current_principal(), args, utcnow())
    fmt = args["format"]
    return result if fmt == "json" else export(fmt, *reports.transfer_tables(result))


@blp.route("/transfers/<int:transfer_id>", methods=["GET"])
@blp.response(200, TransferSchema)
@access(Access.AUTHENTICATED)
def get(transfer_id):
    """One transfer (its member, or staff of either side)."""
    principal = current_principal()
    return services.decorate(principal, services.get_transfer(principal, transfer_id))


@blp.route("/transfers/<int:transfer_id>/approve", methods=["POST"])
@blp.arguments(TransferDecisionSchema)
@blp.response(200, TransferSchema)
@access(Access.STAFF)
def approve(data, transfer_id):
    """Approve one side; the last approval makes it take effect on its day."""
    principal = current_principal()
    transfer = services.approve(principal, transfer_id, data, utcnow())
    db.session.commit()
    return services.decorate(principal, transfer)


@blp.route("/transfers/<int:transfer_id>/reject", methods=["POST"])
@blp.arguments(TransferDecisionSchema)
@blp.response(200, TransferSchema)
@access(Access.STAFF)
def reject(data, transfer_id):
    """Reject on one side, with a reason."""
    principal = current_principal()
    transfer = services.reject(principal, transfer_id, data, utcnow())
    db.session.commit()
    return services.decorate(principal, transfer)


@blp.route("/transfers/<int:transfer_id>/cancel", methods=["POST"])
@blp.arguments(TransferCancelSchema)
@blp.response(200, TransferSchema)
@access(Access.AUTHENTICATED)
def cancel(data, transfer_id):
    """Withdraw an open transfer (its member, or the sending side)."""
    principal = current_principal()
    transfer = services.cancel(principal, transfer_id, data, utcnow())
    db.session.commit()
    return services.decorate(principal, transfer)


@blp.route("/transfers/<int:transfer_id>/reported", methods=["POST"])
@blp.arguments(TransferReportInSchema)
@blp.response(200, TransferSchema)
@access(Access.STAFF)
def confirm_report(data, transfer_id):
    """The receiving branch confirms the member reported (报到), once."""
    principal = current_principal()
    transfer = reporting.confirm_report(principal, transfer_id, data, utcnow())
    db.session.commit()
    return services.decorate(principal, transfer)


@blp.route("/mobile-memberships", methods=["GET"])
@blp.arguments(MobileArgsSchema, location="query")
@blp.response(200, page_of(MobileSchema))
@access(Access.AUTHENTICATED)
def list_mobile(args):
    """Mobile registrations in scope, with flags (a member, or `mine`: their own)."""
    return mobile.list_mobile(current_principal(), args, utcnow())


@blp.route("/mobile-memberships", methods=["POST"])
@blp.arguments(MobileInSchema)
@blp.response(201, MobileSchema)
@access(Access.AUTHENTICATED)
def register(data):
    """Register where a member takes part while away (the member, or their secretary)."""
    row = mobile.register(current_principal(), data, utcnow())
    db.session.commit()
    return row


@blp.route("/mobile-memberships/report", methods=["GET"])
@blp.arguments(MobileReportArgsSchema, location="query")
@blp.response(200, MobileReportSchema)
@blp.doc(responses=downloads(MobileReportSchema))
@access(Access.STAFF)
def mobile_report(args):
    """Mobile members away today: where, since when, flags."""
    result = reports.mobile_report(current_principal(), args, utcnow())
    fmt = args["format"]
    return result if fmt == "json" else export(fmt, *reports.mobile_tables(result))


@blp.route("/mobile-memberships/contacts", methods=["GET"])
@blp.arguments(MemberContactArgsSchema, location="query")
@blp.response(200, MemberContactListSchema)
@access(Access.STAFF)
def contacts(args):
    """A member's contact log, newest first."""
    return {"items": mobile.list_contacts(current_principal(), args["member_id"])}


@blp.route("/mobile-memberships/contacts", methods=["POST"])
@blp.arguments(MemberContactInSchema)
@blp.response(201, MemberContactSchema)
@access(Access.STAFF)
def record_contact(data):
    """Log a contact with a member (失联 is six months without one)."""
    row = mobile.record_contact(current_principal(), data, utcnow())
    db.session.commit()
    return row


@blp.route("/mobile-memberships/<int:membership_id>/end", methods=["POST"])
@blp.arguments(MobileEndSchema)
@blp.response(200, MobileSchema)
@access(Access.AUTHENTICATED)
def end(data, membership_id):
    """End a registration (back home)."""
    row = mobile.end(current_principal(), membership_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/mobile-memberships/<int:membership_id>/participations", methods=["POST"])
@blp.arguments(MobileParticipationInSchema)
@blp.response(201, MobileSchema)
@access(Access.STAFF)
def participate(data, membership_id):
    """Record a 参加活动 entry from the host (counts for the six-month rule)."""
    row = mobile.participate(current_principal(), membership_id, data, utcnow())
    db.session.commit()
    return row
