"""党建指导员: assignments to enterprises, visit logs, visits per instructor, overdue visits."""

from __future__ import annotations

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.reports.exports import export
from app.schemas import page_of
from app.timeutil import local_day, utcnow
from app.visits import services
from app.visits.schemas import (
    AssignmentArgsSchema,
    AssignmentEndSchema,
    AssignmentInSchema,
    AssignmentSchema,
    OverdueArgsSchema,
    OverdueSchema,
    VisitArgsSchema,
    VisitInSchema,
    VisitReportArgsSchema,
    VisitReportSchema,
    VisitSchema,
)
from app.visits.tables import overdue_table, per_instructor_table

blp = Blueprint("visits", __name__, url_prefix="/api/v1", description="Instructors and visits")


@blp.route("/instructor-assignments", methods=["GET"])
@blp.arguments(AssignmentArgsSchema, location="query")
@blp.response(200, page_of(AssignmentSchema))
@access(Access.AUTHENTICATED)
def assignments(args):
    """Current assignments in scope (a member: their own)."""
    return services.list_assignments(current_principal(), args)


@blp.route("/instructor-assignments", methods=["POST"])
@blp.arguments(AssignmentInSchema)
@blp.response(201, AssignmentSchema)
@access(Access.STAFF)
def assign(data):
    """Send a member to an enterprise as instructor, or as a leader's contact (at most 2)."""
    row = services.assign(current_principal(), data, utcnow())
    db.session.commit()
    return services.label(row)


@blp.route("/instructor-assignments/<int:assignment_id>/end", methods=["POST"])
@blp.arguments(AssignmentEndSchema)
@blp.response(200, AssignmentSchema)
@access(Access.STAFF)
def end(data, assignment_id):
    """End an assignment."""
    row = services.end_assignment(current_principal(), assignment_id, data.get("until"), utcnow())
    db.session.commit()
    return services.label(row)


@blp.route("/visits", methods=["GET"])
@blp.arguments(VisitArgsSchema, location="query")
@blp.response(200, page_of(VisitSchema))
@access(Access.AUTHENTICATED)
def visits(args):
    """Visits in scope, newest first (a member: their own)."""
    return services.list_visits(current_principal(), args)


@blp.route("/visits", methods=["POST"])
@blp.arguments(VisitInSchema)
@blp.response(201, VisitSchema)
@access(Access.AUTHENTICATED)
def record(data):
    """Log a visit (the enterprise's instructor, or staff managing the park)."""
    visit = services.record_visit(current_principal(), data, utcnow())
    db.session.commit()
    return visit


@blp.route("/visits/report", methods=["GET"])
@blp.arguments(VisitReportArgsSchema, location="query")
@blp.response(200, VisitReportSchema)
@blp.doc(responses=downloads(VisitReportSchema))
@access(Access.STAFF)
def report(args):
    """Visits per instructor per month of a year."""
    year = args.get("year") or local_day(utcnow()).year
    result = services.per_instructor(current_principal(), args.get("org_id"), year)
    fmt = args["format"]
    return result if fmt == "json" else export(fmt, *per_instructor_table(result))


@blp.route("/visits/overdue", methods=["GET"])
@blp.arguments(OverdueArgsSchema, location="query")
@blp.response(200, OverdueSchema)
@blp.doc(responses=downloads(OverdueSchema))
@access(Access.STAFF)
def overdue(args):
    """Enterprises without a visit in N days (default VISIT_OVERDUE_DAYS)."""
    result = services.overdue(current_principal(), args.get("org_id"), args.get("days"), utcnow())
    fmt = args["format"]
    return result if fmt == "json" else export(fmt, *overdue_table(result))
