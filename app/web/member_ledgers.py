"""The member's ledger pages (issue 19): dues owed and paid, notices (read and confirm), and
the 亮身份 card with its public check page.

Like every member page these are shells: their scripts read the member's own records from
/api/v1 with the member's token. The card's check page is the one exception: whoever scans a
member's card sees, rendered here, whether it is current (name, branch, posts — no phone).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from app.auth import Access, access
from app.errors import APIError
from app.posts import services as posts
from app.timeutil import utcnow
from app.web.common import web, web_page

bp = Blueprint("member_ledgers", __name__, url_prefix="/m")


def _page(template: str, page: str, title: str, **context):
    return render_template(template, page=page, page_title=title, **context)


@bp.route("/dues", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def dues():
    """My dues: what I owe, this month's amount, months paid and my ledger."""
    return _page("member/dues.html", "dues", "我的党费")


@bp.route("/notices", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def notices():
    """My notices, those asking for confirmation first."""
    return _page("member/notices.html", "notices", "通知公告")


@bp.route("/notices/<int:notice_id>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def notice(notice_id):
    """One notice: reading it marks it read; confirm when asked."""
    return _page("member/notice.html", "notice", "通知", notice_id=notice_id)


@bp.route("/card", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def card():
    """My 亮身份 card: branch, 党龄, posts, and the QR that proves it is current."""
    return _page("member/card.html", "card", "亮身份")


@bp.route("/card/check", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def card_check():
    """What scanning a member's card shows: whether it is current, in large text."""
    token = request.args.get("token", "")[:300]
    try:
        result = posts.verify(token, utcnow())
    except APIError:
        result = None
    return _page("member/card_check.html", "card_check", "党员身份核验", result=result)


web.register_blueprint(bp)
