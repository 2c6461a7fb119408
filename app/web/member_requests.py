"""The request pages of the member app (issue 21): file a 诉求 / 建言 / 服务预约 from a phone,
follow my requests, read the answer and rate it. Members and enterprise staff (light accounts)
use the same pages; like every member page they are shells whose scripts read the API with
the caller's token, so the API's scoping is the only scoping."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.auth import Access, access
from app.web.common import web, web_page

bp = Blueprint("member_requests", __name__, url_prefix="/m")


@bp.route("/requests", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def requests():
    """My requests: status, the answer, and rating it."""
    return render_template("member/requests.html", page="requests", page_title="我的诉求")


@bp.route("/requests/new", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def new_request():
    """File a request: kind, title, text, enterprise, optionally anonymous."""
    return render_template("member/request_new.html", page="request_new", page_title="提交诉求")


web.register_blueprint(bp)
