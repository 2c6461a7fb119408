"""The org tree, role grants and each org's members."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.members import services as member_services
from app.members.schemas import MemberListArgsSchema, MemberSchema
from app.openapi import Blueprint
from app.org import services
from app.org.schemas import (
    OrgCreateSchema,
    OrgListArgsSchema,
    OrgSchema,
    OrgUpdateSchema,
    RoleEndArgsSchema,
    RoleGrantSchema,
    RoleSchema,
)
from app.schemas import page_of

blp = Blueprint("orgs", __name__, url_prefix="/api/v1/orgs", description="Organisation tree")


@blp.route("", methods=["GET"])
@blp.arguments(OrgListArgsSchema, location="query")
@blp.response(200, page_of(OrgSchema))
@access(Access.AUTHENTICATED)
def list_orgs(args):
    """Orgs the caller may read, in tree order, with head counts and branch-rule warnings."""
    return services.list_orgs(current_principal(), args)


@blp.route("", methods=["POST"])
@blp.arguments(OrgCreateSchema)
@blp.response(201, OrgSchema)
@access(Access.STAFF)
def create_org(data):
    """Create an org under one the caller manages (top-level orgs: admin only)."""
    org = services.create_org(current_principal(), data)
    db.session.commit()
    return services.decorate_orgs([org])[0]


@blp.route("/<int:org_id>", methods=["GET"])
@blp.response(200, OrgSchema)
@access(Access.AUTHENTICATED)
def get_org(org_id):
    """One org with head counts and warnings."""
    org = services.get_readable_org(current_principal(), org_id)
    return services.decorate_orgs([org])[0]


@blp.route("/<int:org_id>", methods=["PATCH"])
@blp.arguments(OrgUpdateSchema)
@blp.response(200, OrgSchema)
@access(Access.STAFF)
def update_org(data, org_id):
    """Change an org; a new parent_id moves its whole subtree."""
    org = services.update_org(current_principal(), org_id, data)
    db.session.commit()
    return services.decorate_orgs([org])[0]


@blp.route("/<int:org_id>", methods=["DELETE"])
@blp.response(204)
@access(Access.STAFF)
def delete_org(org_id):
    """Deactivate an empty org (soft delete: its history stays)."""
    services.deactivate_org(current_principal(), org_id)
    db.session.commit()


@blp.route("/<int:org_id>/members", methods=["GET"])
@blp.arguments(MemberListArgsSchema, location="query")
@blp.response(200, page_of(MemberSchema))
@access(Access.AUTHENTICATED)
def org_members(args, org_id):
    """Members of an org's subtree; phones masked except for the member and their secretary."""
    return member_services.list_org_members(current_principal(), org_id, args)


@blp.route("/<int:org_id>/roles", methods=["GET"])
@blp.response(200, RoleSchema(many=True))
@access(Access.AUTHENTICATED)
def list_roles(org_id):
    """Who holds which role on the org."""
    return services.list_roles(current_principal(), org_id)


@blp.route("/<int:org_id>/roles", methods=["POST"])
@blp.arguments(RoleGrantSchema)
@blp.response(201, RoleSchema)
@access(Access.STAFF)
def grant_role(data, org_id):
    """Grant a role on the org to a member or console user."""
    role = services.grant_role(current_principal(), org_id, data)
    db.session.commit()
    return role


@blp.route("/<int:org_id>/roles/<int:role_id>", methods=["DELETE"])
@blp.arguments(RoleEndArgsSchema, location="query")
@blp.response(204)
@access(Access.STAFF)
def revoke_role(args, org_id, role_id):
    """End a role grant on `effective_on` (default today); the term stays in the history."""
    services.revoke_role(current_principal(), org_id, role_id, args.get("effective_on"))
    db.session.commit()
