"""The member's 组织关系 page (issue 21): ask for my transfer and follow it, and register
where I take part while working away (流动党员). A shell: its script reads my own records
from /api/v1 with my token."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.auth import Access, access
from app.web.common import web, web_page

bp = Blueprint("member_transfers", __name__, url_prefix="/m")


@bp.route("/transfers", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def transfers():
    """My transfer (request, status by side) and my mobile registrations."""
    return render_template("member/transfers.html", page="transfers", page_title="组织关系")


web.register_blueprint(bp)
