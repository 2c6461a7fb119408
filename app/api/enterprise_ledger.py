"""The enterprise ledger (五清): one enterprise with its clears, changes kept, coverage modes."""

from __future__ import annotations

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.fiveclears import services
from app.fiveclears.schemas import (
    CoverageModesArgsSchema,
    CoverageModesSchema,
    EnterpriseChangeSchema,
    EnterpriseDetailSchema,
    EnterprisePatchSchema,
)
from app.fiveclears.tables import coverage_table
from app.openapi import Blueprint
from app.reports.exports import export
from app.timeutil import utcnow

blp = Blueprint(
    "enterprise_ledger",
    __name__,
    url_prefix="/api/v1/enterprises",
    description="The enterprise ledger 五清 and coverage modes",
)


@blp.route("/<int:enterprise_id>", methods=["GET"])
@blp.response(200, EnterpriseDetailSchema)
@access(Access.AUTHENTICATED)
def get(enterprise_id):
    """An enterprise with its five clears, instructors and coverage mode (staff, instructor)."""
    return services.get_enterprise(current_principal(), enterprise_id)


@blp.route("/<int:enterprise_id>", methods=["PATCH"])
@blp.arguments(EnterprisePatchSchema)
@blp.response(200, EnterpriseDetailSchema)
@access(Access.AUTHENTICATED)
def patch(data, enterprise_id):
    """Change an enterprise and its five clears; each changed field is kept in its history."""
    ent = services.update_enterprise(current_principal(), enterprise_id, data, utcnow())
    db.session.commit()
    return ent


@blp.route("/<int:enterprise_id>/history", methods=["GET"])
@blp.response(200, EnterpriseChangeSchema(many=True))
@access(Access.AUTHENTICATED)
def history(enterprise_id):
    """The enterprise's changes, newest first."""
    return services.history(current_principal(), enterprise_id)


@blp.route("/coverage-modes", methods=["GET"])
@blp.arguments(CoverageModesArgsSchema, location="query")
@blp.response(200, CoverageModesSchema)
@blp.doc(responses=downloads(CoverageModesSchema))
@access(Access.STAFF)
def coverage_modes(args):
    """Coverage per enterprise (应单建 / 联建挂靠 / 派驻) with counts for all, 规上 and 高新."""
    report = services.coverage_report(current_principal(), args.get("org_id"))
    return report if args["format"] == "json" else export(args["format"], *coverage_table(report))
