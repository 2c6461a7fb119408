"""先锋岗 / 责任区 / 示范岗 / 突击队: posts, holders, the 亮身份 card and its verification."""

from __future__ import annotations

from flask import Response

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.extensions import db
from app.openapi import Blueprint
from app.posts import services
from app.posts.schemas import (
    CardSchema,
    CardVerifyArgsSchema,
    CardVerifySchema,
    PostInSchema,
    PostListArgsSchema,
    PostMemberSchema,
    PostReportArgsSchema,
    PostReportSchema,
    PostSchema,
)
from app.posts.tables import report_table
from app.qr import qr_svg
from app.reports.exports import export
from app.schemas import page_of
from app.timeutil import utcnow

blp = Blueprint("posts", __name__, url_prefix="/api/v1", description="Pioneer posts 先锋岗")


@blp.route("/posts", methods=["GET"])
@blp.arguments(PostListArgsSchema, location="query")
@blp.response(200, page_of(PostSchema))
@access(Access.AUTHENTICATED)
def list_posts(args):
    """Posts in scope (a member: their branch's), with current holders."""
    return services.list_posts(current_principal(), args)


@blp.route("/posts", methods=["POST"])
@blp.arguments(PostInSchema)
@blp.response(201, PostSchema)
@access(Access.STAFF)
def create(data):
    """Set up a post (先锋岗, 责任区, 示范岗, 突击队) in a branch."""
    post = services.create_post(current_principal(), data, utcnow())
    db.session.commit()
    return post


@blp.route("/posts/report", methods=["GET"])
@blp.arguments(PostReportArgsSchema, location="query")
@blp.response(200, PostReportSchema)
@blp.doc(responses=downloads(PostReportSchema))
@access(Access.STAFF)
def report(args):
    """Posts per branch by kind and the share of members holding one."""
    result = services.report(current_principal(), args.get("org_id"), utcnow())
    return result if args["format"] == "json" else export(args["format"], *report_table(result))


@blp.route("/posts/<int:post_id>", methods=["GET"])
@blp.response(200, PostSchema)
@access(Access.AUTHENTICATED)
def get(post_id):
    """One post with its current holders."""
    return services.get_post(current_principal(), post_id)


@blp.route("/posts/<int:post_id>/holders", methods=["POST"])
@blp.arguments(PostMemberSchema)
@blp.response(200, PostSchema)
@access(Access.STAFF)
def assign(data, post_id):
    """The secretary puts a member of the branch on the post."""
    post = services.assign(current_principal(), post_id, data["member_id"], utcnow())
    db.session.commit()
    return post


@blp.route("/posts/<int:post_id>/claim", methods=["POST"])
@blp.response(200, PostSchema)
@access(Access.MEMBER)
def claim(post_id):
    """A member claims a post of their branch (认领)."""
    post = services.claim(current_principal(), post_id, utcnow())
    db.session.commit()
    return post


@blp.route("/posts/<int:post_id>/release", methods=["POST"])
@blp.arguments(PostMemberSchema)
@blp.response(200, PostSchema)
@access(Access.AUTHENTICATED)
def release(data, post_id):
    """End a holding (the member themselves, or the secretary)."""
    post = services.release(current_principal(), post_id, data["member_id"], utcnow())
    db.session.commit()
    return post


@blp.route("/me/card", methods=["GET"])
@blp.response(200, CardSchema)
@access(Access.MEMBER)
def card():
    """My 亮身份 card: branch, 党龄, posts held, and the token its QR carries."""
    return services.card(current_principal().member, utcnow())


@blp.route("/me/card.svg", methods=["GET"])
@blp.response(200, description="The card's verification QR", content_type="image/svg+xml")
@access(Access.MEMBER)
def card_qr():
    """The QR code of my card's verification link."""
    data = services.card(current_principal().member, utcnow())
    response = Response(qr_svg(data["verify_url"]), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/cards/verify", methods=["GET"])
@blp.arguments(CardVerifyArgsSchema, location="query")
@blp.response(200, CardVerifySchema)
@access(Access.PUBLIC)
def verify(args):
    """Anyone who scans a card learns whether it is current (name, branch, posts; no phone)."""
    return services.verify(args["token"], utcnow())
