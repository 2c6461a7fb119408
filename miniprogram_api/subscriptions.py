"""Consents from the phone: subscribe-message popups (one-time credits) and the privacy guide."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.auth import Access, access, current_principal
from app.extensions import db
from app.members.services import record_privacy_consent
from app.notify import services
from app.openapi import Blueprint
from app.schemas import LocalDateTime
from app.timeutil import utcnow

blp = Blueprint(
    "mp_subscriptions", __name__, url_prefix="/api/mp/v1", description="Subscribe consents"
)
TEMPLATE_ID = validate.Length(min=1, max=64)


class ConsentSchema(ma.Schema):
    """One template's answer, or the popup's whole `{tmplId: "accept"|"reject"|"ban"}` map."""

    template_id = ma.fields.String(validate=TEMPLATE_ID)
    accepted = ma.fields.Boolean()
    results = ma.fields.Dict(
        keys=ma.fields.String(validate=TEMPLATE_ID),
        values=ma.fields.String(validate=validate.OneOf(["accept", "reject", "ban", "filter"])),
        validate=validate.Length(min=1, max=10),
    )

    @ma.validates_schema
    def _one_form(self, data, **kwargs):
        single = "template_id" in data and "accepted" in data
        if single == ("results" in data):
            raise ma.ValidationError("请提供 template_id 与 accepted，或 results", "template_id")


class CreditsSchema(ma.Schema):
    """Consent credits left per template after recording."""

    credits = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


@blp.route("/subscriptions", methods=["POST"])
@blp.arguments(ConsentSchema)
@blp.response(200, CreditsSchema)
@access(Access.MEMBER)
def record(data):
    """Each accept of a one-time subscription is one credit: one message may be sent."""
    if "results" in data:
        results = {t: answer == "accept" for t, answer in data["results"].items()}
    else:
        results = {data["template_id"]: data["accepted"]}
    credits = services.record_consent(current_principal().member, results, utcnow())
    db.session.commit()
    return {"credits": credits}


class PrivacyConsentSchema(ma.Schema):
    """The version of the privacy guide (隐私保护指引) the member just accepted."""

    version = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[0-9A-Za-z._-]{1,32}$", error="版本号格式不正确")
    )


class PrivacyStateSchema(ma.Schema):
    """What the member accepted, and when."""

    version = ma.fields.String(attribute="privacy_version", allow_none=True)
    accepted_at = LocalDateTime(attribute="privacy_accepted_at", allow_none=True)


@blp.route("/privacy", methods=["POST"])
@blp.arguments(PrivacyConsentSchema)
@blp.response(200, PrivacyStateSchema)
@access(Access.MEMBER)
def accept_privacy(data):
    """Record that the member accepted this version of the privacy guide (with the time)."""
    member = record_privacy_consent(current_principal().member, data["version"], utcnow())
    db.session.commit()
    return member
