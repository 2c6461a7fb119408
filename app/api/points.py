"""Points: mine, the leaderboards, the rules (admin), adjustments and revocations (committee)."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.points import admin, ranking
from app.points.schemas import (
    AdjustmentSchema,
    LeaderboardArgsSchema,
    LeaderboardSchema,
    LedgerArgsSchema,
    PointsMeSchema,
    RuleSchema,
    RuleUpdateSchema,
    StaffLedgerEntrySchema,
)
from app.points.services import ensure_default_rules
from app.schemas import PageArgsSchema, page_of
from app.study.days import my_standing
from app.timeutil import utcnow

blp = Blueprint("points", __name__, url_prefix="/api/v1/points", description="Study points")


@blp.route("/me", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, PointsMeSchema)
@access(Access.MEMBER)
def me(args):
    """Balance, today's progress per rule (current / daily max), streak, history (paged)."""
    if ensure_default_rules():
        db.session.commit()  # first sight of an empty rule table keeps the defaults
    # a pure read from here: no commit, so the loaded history is not expired and re-fetched
    return my_standing(current_principal().member_id, args, utcnow())


@blp.route("/leaderboard", methods=["GET"])
@blp.arguments(LeaderboardArgsSchema, location="query")
@blp.response(200, LeaderboardSchema)
@access(Access.AUTHENTICATED)
def leaderboard(args):
    """Top N of the branch or park for a period and the caller's rank."""
    return ranking.leaderboard(current_principal(), args, utcnow())


@blp.route("/rules", methods=["GET"])
@blp.response(200, RuleSchema(many=True))
@access(Access.AUTHENTICATED)
def list_rules():
    """Every point rule: points per unit, daily caps, active."""
    rules = admin.list_rules()
    db.session.commit()
    return rules


@blp.route("/rules/<action>", methods=["PATCH"])
@blp.arguments(RuleUpdateSchema)
@blp.response(200, RuleSchema)
@access(Access.ADMIN)
def update_rule(data, action):
    """Change a rule (admin); applies to awards from now on."""
    rule = admin.update_rule(action, data, utcnow())
    db.session.commit()
    return rule


@blp.route("/adjustments", methods=["POST"])
@blp.arguments(AdjustmentSchema)
@blp.response(201, StaffLedgerEntrySchema)
@access(Access.STAFF)
def adjust(data):
    """Committee: append a correction or revoke one entry, with a reason (audited)."""
    entry = admin.make_adjustment(current_principal(), data, utcnow())
    db.session.commit()
    return entry


@blp.route("/ledger", methods=["GET"])
@blp.arguments(LedgerArgsSchema, location="query")
@blp.response(200, page_of(StaffLedgerEntrySchema))
@access(Access.STAFF)
def ledger(args):
    """Committee: a member's ledger, newest first, with what was revoked."""
    return admin.member_ledger(current_principal(), args["member_id"], args)
