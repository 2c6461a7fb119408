"""The check-in screen link: a signed URL a meeting-room PC opens without logging in."""

from __future__ import annotations

import marshmallow as ma

from app.activities import screen
from app.auth import Access, access, current_principal
from app.openapi import Blueprint
from app.schemas import LocalDateTime
from app.timeutil import utcnow

blp = Blueprint(
    "screen_links",
    __name__,
    url_prefix="/api/v1/activities",
    description="The check-in screen (签到大屏) link",
)


class ScreenLinkSchema(ma.Schema):
    """A link to the check-in screen and when it stops working."""

    activity_id = ma.fields.Integer(required=True)
    url = ma.fields.String(
        required=True,
        metadata={"description": "PUBLIC_BASE_URL/screen/<id>?t=<screen token>"},
    )
    expires_at = LocalDateTime(
        required=True,
        metadata={"description": "When the check-in window closes, plus a short margin"},
    )
    opens_at = LocalDateTime(required=True, metadata={"description": "Check-in opens"})
    closes_at = LocalDateTime(required=True, metadata={"description": "Check-in closes"})


@blp.route("/<int:activity_id>/screen-link", methods=["GET"])
@blp.response(200, ScreenLinkSchema)
@access(Access.STAFF)
def screen_link(activity_id):
    """A link for the projector (who may run check-in; published, window not yet closed)."""
    return screen.issue_link(current_principal(), activity_id, utcnow())
