"""Park enterprises and the park's coverage figures (两个覆盖)."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.org import enterprises
from app.org.schemas import (
    CoverageArgsSchema,
    CoverageSchema,
    EnterpriseListArgsSchema,
    EnterpriseSchema,
)
from app.schemas import page_of

blp = Blueprint(
    "enterprises", __name__, url_prefix="/api/v1/enterprises", description="Park enterprises"
)


@blp.route("", methods=["GET"])
@blp.arguments(EnterpriseListArgsSchema, location="query")
@blp.response(200, page_of(EnterpriseSchema))
@access(Access.STAFF)
def list_enterprises(args):
    """Enterprises in the parks the caller may read."""
    return enterprises.list_enterprises(current_principal(), args)


@blp.route("", methods=["POST"])
@blp.arguments(EnterpriseSchema)
@blp.response(201, EnterpriseSchema)
@access(Access.STAFF)
def create_enterprise(data):
    """Register an enterprise in a park the caller manages."""
    enterprise = enterprises.create_enterprise(current_principal(), data)
    db.session.commit()
    return enterprise


@blp.route("/coverage", methods=["GET"])
@blp.arguments(CoverageArgsSchema, location="query")
@blp.response(200, CoverageSchema)
@access(Access.STAFF)
def coverage(args):
    """Organisation and work coverage of the park's enterprises, as figures."""
    return enterprises.coverage(current_principal(), args.get("org_id"))
