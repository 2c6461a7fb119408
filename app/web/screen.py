"""The check-in screen (签到大屏): the page, its state poll and the QR image.

Every route is public at the route level and opens only with the screen token `t` of its own
activity (see app.activities.screen); the token reads this screen and nothing else.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for

from app.activities import screen
from app.activities.models import ACTIVITY_TYPE_LABELS
from app.auth import Access, access
from app.errors import validation_error
from app.timeutil import utcnow
from app.web.common import read_only, web, web_page
from app.web.schemas import screen_state_schema

bp = Blueprint("screen", __name__, url_prefix="/screen")
POLL_SECONDS = 2.5  # counts refresh; the QR also refreshes the moment its window ends


@bp.before_request
def _reads_only():
    read_only()  # every screen route only reads


def _token() -> str:
    return request.args.get("t", "")


@bp.route("/<int:activity_id>", methods=["GET"])
@web_page
@access(Access.PUBLIC)
def page(activity_id):
    """The page shell; its script polls the state (the token is checked here first)."""
    now = utcnow()
    activity = screen.read_token(_token(), activity_id, now)
    return render_template(
        "screen/screen.html",
        activity=activity,
        activity_type_label=ACTIVITY_TYPE_LABELS[activity.type],
        when=screen.when_label(activity),
        phase=screen.screen_phase(activity, now),
        state_url=url_for(".state", activity_id=activity.id, t=_token()),
        poll_ms=int(POLL_SECONDS * 1000),
        timezone=current_app.config["TIMEZONE"],
    )


@bp.route("/<int:activity_id>/state", methods=["GET"])
@access(Access.PUBLIC)
def state(activity_id):
    """Title, phase, the current code and counts, arrivals and who has not come (JSON)."""
    now = utcnow()
    activity = screen.read_token(_token(), activity_id, now)
    data = screen.screen_state(activity, now, with_pending_names=request.args.get("pending") == "1")
    if data["code"] is not None:
        data["code"]["image_url"] = url_for(
            ".qr", activity_id=activity.id, t=_token(), w=data["code"]["window"]
        )
    return screen_state_schema.dump(data)


@bp.route("/<int:activity_id>/qr.svg", methods=["GET"])
@access(Access.PUBLIC)
def qr(activity_id):
    """The QR of window `w` as SVG: rendered once per window, cached until the next one."""
    now = utcnow()
    activity = screen.read_token(_token(), activity_id, now)
    window = request.args.get("w", "")
    if not window.isdigit() or len(window) > 10:
        raise validation_error({"fields": {"w": ["应为整数"]}})
    svg, expires_at = screen.qr_image(activity, int(window), now)
    response = Response(svg, mimetype="image/svg+xml")
    max_age = max(0, int((expires_at - now).total_seconds()))
    response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response


web.register_blueprint(bp)
