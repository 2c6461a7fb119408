"""The committee's reports: JSON by default, `?format=csv` or `?format=xlsx` to download."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.openapi import Blueprint
from app.reports import services, tables
from app.reports.exports import export
from app.reports.schemas import (
    AttendanceArgsSchema,
    AttendanceReportSchema,
    ComplianceArgsSchema,
    ComplianceReportSchema,
    MemberReportArgsSchema,
    MemberReportSchema,
    MembersArgsSchema,
    MembersReportSchema,
)
from app.timeutil import utcnow

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports")
DOWNLOADS = {
    "200": {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        }
    }
}


@blp.route("/attendance", methods=["GET"])
@blp.arguments(AttendanceArgsSchema, location="query")
@blp.response(200, AttendanceReportSchema)
@blp.doc(responses=DOWNLOADS)
@access(Access.STAFF)
def attendance(args):
    """Attendance per branch (or `by=activity`): expected, present, late, leave, absent, rate."""
    now = utcnow()
    org = services.report_org(current_principal(), args.get("org_id"))
    start, end = services.period({"from": args.get("from_"), "to": args.get("to")}, now)
    report = services.attendance_report(
        services.Scope(org, start, end), now, args["by"] == "activity"
    )
    if args["format"] == "json":
        return report
    return export(args["format"], *tables.attendance(report, args["by"]))


@blp.route("/compliance", methods=["GET"])
@blp.arguments(ComplianceArgsSchema, location="query")
@blp.response(200, ComplianceReportSchema)
@blp.doc(responses=DOWNLOADS)
@access(Access.STAFF)
def compliance(args):
    """三会一课 matrix: branches × months, held vs required per meeting kind, gaps named."""
    now = utcnow()
    org = services.report_org(current_principal(), args.get("org_id"))
    year = args.get("year") or services.local_year(now)
    report = services.compliance_report(org, year, now, args.get("quarter"))
    if args["format"] == "json":
        return report
    return export(args["format"], *tables.compliance(report))


@blp.route("/members", methods=["GET"])
@blp.arguments(MembersArgsSchema, location="query")
@blp.response(200, MembersReportSchema)
@blp.doc(responses=DOWNLOADS)
@access(Access.STAFF)
def members(args):
    """Members of a subtree: attendance this year, last attendance, 6-month-rule flags, points."""
    now = utcnow()
    org = services.report_org(current_principal(), args.get("org_id"))
    year = args.get("year") or services.local_year(now)
    report = {
        "org_id": org.id,
        "org_name": org.name,
        "year": year,
        "rows": services.member_rows(org, now, year),
    }
    if args["format"] == "json":
        return report
    return export(args["format"], *tables.members(report))


@blp.route("/members/<int:member_id>", methods=["GET"])
@blp.arguments(MemberReportArgsSchema, location="query")
@blp.response(200, MemberReportSchema)
@access(Access.AUTHENTICATED)
def member(args, member_id):
    """One member's attendance by month, last attendance and points (themselves or staff)."""
    now = utcnow()
    year = args.get("year") or services.local_year(now)
    return services.member_report(current_principal(), member_id, now, year)
