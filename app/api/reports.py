"""The committee's reports: JSON by default, `?format=csv` or `?format=xlsx` to download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request

from app.auth import Access, access, current_principal
from app.db import read_beside_writers, replica_status, use_replica
from app.dues.reports import with_dues_streaks
from app.extensions import db
from app.openapi import Blueprint
from app.reports import frozen, periods, services, stars, study, tables
from app.reports import members as member_reports
from app.reports.compliance_json import compliance_json
from app.reports.exports import export
from app.reports.schemas import (
    AttendanceArgsSchema,
    AttendanceReportSchema,
    ClosedPeriodsArgsSchema,
    ClosedPeriodSchema,
    ComplianceArgsSchema,
    ComplianceReportSchema,
    FreshnessSchema,
    MemberReportArgsSchema,
    MemberReportSchema,
    MembersArgsSchema,
    MembersReportSchema,
    ReopenSchema,
    StarBoardSchema,
    StarRowSchema,
    StarsArgsSchema,
    StarSetSchema,
    StudyArgsSchema,
    StudyReportSchema,
)
from app.timeutil import utcnow

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports")


@blp.before_request
def _reads_only():
    """Report GETs only read: on SQLite they must not queue behind (or block) check-ins."""
    if request.method == "GET":
        read_beside_writers(db.session)
        use_replica(db.session)  # DATABASE_REPLICA_URL: reports and exports read the replica


@blp.route("/freshness", methods=["GET"])
@blp.response(200, FreshnessSchema)
@access(Access.STAFF)
def freshness():
    """Where reports read from, and how far the replica is behind the primary."""
    return replica_status()


def downloads(schema) -> dict:
    """The 200 answer in its three formats: the JSON report (the default) or a download."""
    return {
        "200": {
            "content": {
                "application/json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            }
        }
    }


def _respond(fmt: str, report: dict[str, Any], table: Callable[[dict[str, Any]], tuple]):
    """The report as JSON, or flattened by `table` into a CSV/XLSX download."""
    return report if fmt == "json" else export(fmt, *table(report))


@blp.route("/attendance", methods=["GET"])
@blp.arguments(AttendanceArgsSchema, location="query")
@blp.response(200, AttendanceReportSchema)
@blp.doc(responses=downloads(AttendanceReportSchema))
@access(Access.STAFF)
def attendance(args):
    """Attendance per branch (or `by=activity`): expected, present, late, leave, absent, rate."""
    report = services.attendance_for(current_principal(), args, utcnow())
    return _respond(args["format"], report, lambda r: tables.attendance(r, args["by"]))


@blp.route("/compliance", methods=["GET"])
@blp.arguments(ComplianceArgsSchema, location="query")
@blp.response(200, ComplianceReportSchema)
@blp.doc(responses=downloads(ComplianceReportSchema))
@access(Access.STAFF)
def compliance(args):
    """三会一课 matrix: branches × months, held vs required per meeting kind, gaps named."""
    now = utcnow()
    if args["format"] == "json":  # a city's matrix is 20 MB: orjson, no marshmallow pass
        body = compliance_json(current_principal(), args, now)
        return Response(body + b"\n", mimetype="application/json")
    report = study.with_study_hours(
        services.compliance_for(current_principal(), args, now), "compliance", now
    )
    return export(args["format"], *tables.compliance(report))


@blp.route("/periods", methods=["GET"])
@blp.arguments(ClosedPeriodsArgsSchema, location="query")
@blp.response(200, ClosedPeriodSchema(many=True))
@access(Access.STAFF)
def closed_periods(args):
    """Which months, quarters and years of a year are closed (their figures frozen)."""
    return frozen.list_closed(args.get("year") or services.local_year(utcnow()))


@blp.route("/periods/reopen", methods=["POST"])
@blp.arguments(ReopenSchema)
@blp.response(200, ClosedPeriodSchema)
@access(Access.STAFF)
def reopen_period(data):
    """Reopen a closed period with a reason (committee only, audited): it is frozen again."""
    row = periods.reopen(current_principal(), data["kind"], data["start"], data["reason"], utcnow())
    db.session.commit()
    return next(
        p
        for p in frozen.list_closed(row.start.year)
        if p["kind"] == row.kind and p["start"] == row.start
    )


@blp.route("/members", methods=["GET"])
@blp.arguments(MembersArgsSchema, location="query")
@blp.response(200, MembersReportSchema)
@blp.doc(responses=downloads(MembersReportSchema))
@access(Access.STAFF)
def members(args):
    """Members of a subtree: attendance this year, last attendance, 6-month-rule flags, points."""
    now = utcnow()
    report = study.with_study_hours(
        member_reports.members_for(current_principal(), args, now), "members", now
    )
    report = with_dues_streaks(report, now)  # issue 19: unpaid dues join the 6-month alert
    return _respond(args["format"], report, tables.members)


@blp.route("/members/<int:member_id>", methods=["GET"])
@blp.arguments(MemberReportArgsSchema, location="query")
@blp.response(200, MemberReportSchema)
@access(Access.AUTHENTICATED)
def member(args, member_id):
    """One member's attendance by month, last attendance and points (themselves or staff)."""
    now = utcnow()
    year = args.get("year") or services.local_year(now)
    report = member_reports.member_report(current_principal(), member_id, now, year)
    report["study_hours"] = study.member_hours(member_id, year, now)
    return report


@blp.route("/study", methods=["GET"])
@blp.arguments(StudyArgsSchema, location="query")
@blp.response(200, StudyReportSchema)
@blp.doc(responses=downloads(StudyReportSchema))
@access(Access.STAFF)
def study_participation(args):
    """Study per branch: participation per day or week, average points, quiz accuracy."""
    report = study.study_for(current_principal(), args, utcnow())
    return _respond(args["format"], report, tables.study)


@blp.route("/stars", methods=["GET"])
@blp.arguments(StarsArgsSchema, location="query")
@blp.response(200, StarBoardSchema)
@blp.doc(responses=downloads(StarBoardSchema))
@access(Access.STAFF)
def star_board(args):
    """星级评定: each branch's compliance, attendance and study, the score and the stars."""
    report = stars.board_for(current_principal(), args, utcnow())
    return _respond(args["format"], report, tables.stars)


@blp.route("/stars/<int:org_id>", methods=["PUT"])
@blp.arguments(StarSetSchema)
@blp.response(200, StarRowSchema)
@access(Access.STAFF)
def set_stars(data, org_id):
    """The committee sets a branch's final stars for a year, with a reason (audited)."""
    row = stars.set_stars(
        current_principal(), org_id, data["year"], data["stars"], data["reason"], utcnow()
    )
    db.session.commit()
    return row
