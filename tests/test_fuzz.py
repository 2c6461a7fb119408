"""Schemathesis against our own OpenAPI document, in-process over WSGI, as several roles:
no 5xx, documented responses conform to their schemas, every 4xx uses the error envelope.

Example counts are bounded here; `scripts/fuzz.sh` runs the long version.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ROLES = ("admin", "member_a", "anonymous")


def envelope_on_errors(ctx, response, case):
    """Every 4xx/5xx answer is the JSON error envelope with a stable code and a message."""
    if response.status_code < 400:
        return True
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{response.status_code} without the envelope: {body!r}"
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    return True


def no_server_error(ctx, response, case):
    """Nothing a client sends may produce a 5xx (503 is allowed only for WeChat/DB outages)."""
    assert response.status_code < 500 or response.status_code == 503, (
        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
    )
    return True


CHECKS = [
    no_server_error,
    envelope_on_errors,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.mark.parametrize("role", ROLES)
def test_api_never_fails_and_keeps_its_promises(app, park, role):
    """Generated requests to every operation: no 5xx, conforming responses, the envelope."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {} if role == "anonymous" else getattr(park.headers, role)
    failures, exercised = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case):
            exercised.add(f"{case.method} {case.path}")
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:800])
    assert failures == [], "\n\n".join(failures)
    documented = {
        f"{method.upper()} {path}"
        for path, item in app.test_client().get("/api/openapi.json").json["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert exercised == documented  # every documented operation was really called
