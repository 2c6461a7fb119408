"""The member's inbox and push preferences."""

from __future__ import annotations

from app.auth import Access, access, current_principal
from app.extensions import db
from app.notify import services
from app.notify.schemas import (
    InboxArgsSchema,
    InboxPageSchema,
    NotificationSchema,
    PreferenceSchema,
    PreferencesUpdateSchema,
    ReadAllSchema,
)
from app.openapi import Blueprint
from app.timeutil import utcnow

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="Inbox")


@blp.route("", methods=["GET"])
@blp.arguments(InboxArgsSchema, location="query")
@blp.response(200, InboxPageSchema)
@access(Access.MEMBER)
def inbox(args):
    """The caller's notifications, newest first, with the unread count."""
    return services.list_inbox(current_principal().member, args)


@blp.route("/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
@access(Access.MEMBER)
def read(notification_id):
    """Mark one of the caller's notifications read."""
    note = services.mark_read(current_principal().member, notification_id, utcnow())
    db.session.commit()
    return note


@blp.route("/read-all", methods=["POST"])
@blp.response(200, ReadAllSchema)
@access(Access.MEMBER)
def read_all():
    """Mark every unread notification of the caller read."""
    marked = services.mark_all_read(current_principal().member, utcnow())
    db.session.commit()
    return {"marked": marked}


@blp.route("/preferences", methods=["GET"])
@blp.response(200, PreferenceSchema(many=True))
@access(Access.MEMBER)
def get_preferences():
    """Per reminder kind, whether it is also pushed as a WeChat message."""
    return services.preferences(current_principal().member)


@blp.route("/preferences", methods=["PUT"])
@blp.arguments(PreferencesUpdateSchema)
@blp.response(200, PreferenceSchema(many=True))
@access(Access.MEMBER)
def set_preferences(data):
    """Opt out of (or back into) pushes per kind; the inbox keeps every reminder."""
    result = services.set_preferences(current_principal().member, data["push"])
    db.session.commit()
    return result
