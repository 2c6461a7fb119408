"""flask-smorest wiring: our error envelope in the docs, 400 for bad input, local Swagger UI."""

from __future__ import annotations

import flask_smorest
import marshmallow as ma
from flask import request
from swagger_ui_bundle import swagger_ui_path
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from app.errors import APIError
from app.validation import INT_MAX, INT_MIN, check_loaded, load_json_body

# Swagger UI sets inline styles on its elements; scripts only from this server
DOCS_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def _integer_bounds(self, field, ret, **kwargs) -> dict:
    """Integers a client sends fit the database's INTEGER (`app.validation.check_loaded`)."""
    if not isinstance(field, ma.fields.Integer) or field.dump_only:
        return {}
    bounds = {}
    if "minimum" not in ret:
        bounds["minimum"] = INT_MIN
    if "maximum" not in ret:
        bounds["maximum"] = INT_MAX
    return bounds


class ErrorBodySchema(ma.Schema):
    """The inner object of the error envelope."""

    code = ma.fields.String(required=True, metadata={"example": "checkin.window_closed"})
    message = ma.fields.String(required=True, metadata={"example": "签到已结束"})
    details = ma.fields.Dict(metadata={"description": "Per-field errors or context"})


class ErrorEnvelopeSchema(ma.Schema):
    """`{"error": {"code", "message", "details"}}` — every non-2xx answer."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


class Parser(FlaskParser):
    """Bad input is 400 (not webargs' 422), and malformed JSON has its own code."""

    DEFAULT_VALIDATION_STATUS = 400

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise APIError(400, "request.malformed_json", "请求体不是合法的 JSON")

    def _raw_load_json(self, req):
        """The body, decoded with the nesting limit (a 1,000-deep body is a 400, not a 500)."""
        if not is_json_request(req):
            return core.missing
        return load_json_body(req.get_data(cache=True))

    def parse(self, *args, **kwargs):
        """Parse as webargs does, then refuse what the database could not store (NUL bytes,
        lone surrogates, integers beyond 32 bits, far-off years) — one rule for every route."""
        data = super().parse(*args, **kwargs)
        check_loaded(data)
        return data


class Blueprint(flask_smorest.Blueprint):
    """A smorest blueprint using our parser."""

    ARGUMENTS_PARSER = Parser()


class Api(flask_smorest.Api):
    """smorest Api documenting our envelope; error handling lives in app.errors instead."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def _init_spec(self, *args, **kwargs):
        """The spec, documenting the parser's integer bounds on every integer a client sends."""
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_integer_bounds)

    def _register_error_handlers(self):
        """app.errors registers the one handler set for every failure."""

    def _register_doc_blueprint(self):
        """Serve Swagger UI assets from the installed swagger-ui-bundle, never a CDN."""
        super()._register_doc_blueprint()
        from flask import Blueprint as FlaskBlueprint

        assets = FlaskBlueprint(
            "swagger_assets",
            __name__,
            static_folder=swagger_ui_path,
            static_url_path="/api/docs/assets",
        )
        self._app.register_blueprint(assets)

        @self._app.after_request
        def _docs_headers(response):
            """/api/docs is a page like the others: no inline script, never framed."""
            if (request.endpoint or "").startswith(("api-docs.", "swagger_assets.")):
                response.headers["Content-Security-Policy"] = DOCS_CSP
                response.headers["X-Frame-Options"] = "DENY"
            return response
