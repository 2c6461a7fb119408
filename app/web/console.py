"""The committee console (党建工作台): one page shell; everything it shows comes from the API.

The page holds no data and needs no session: it is public at the route level, and its script
logs in with `POST /api/v1/auth/login`, keeps the tokens in sessionStorage and reads the
reports (`/api/v1/reports/...`) with the bearer token, so the API's own scoping applies.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.auth import Access, access
from app.web.common import web, web_page

bp = Blueprint("console", __name__, url_prefix="/console")
YEARS_BACK = 4  # the year picker offers this year and the four before it


@bp.route("", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def page():
    """The console shell: the login form and the dashboard's empty frame (no data)."""
    return render_template(
        "console/console.html",
        timezone=current_app.config["TIMEZONE"],
        years_back=YEARS_BACK,
    )


web.register_blueprint(bp)
