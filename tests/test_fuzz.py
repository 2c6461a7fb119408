"""Schemathesis against our own OpenAPI document, in-process over WSGI, as several roles:
no 5xx, documented responses conform to their schemas, every 4xx uses the error envelope.

Example counts are bounded here; `scripts/fuzz.sh` runs the long version.
"""

from __future__ import annotations

import os
import re

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


# --- hostile payloads (issue 16): the class of inputs that used to reach the database --------

HOSTILE_TEXT = ("nul\x00byte", "\ud800")  # PostgreSQL refuses NUL; UTF-8 refuses lone surrogates
HOSTILE_QUERY_TEXT = ("nul%00byte", "%ED%A0%80")  # the URL forms (a surrogate's UTF-8 bytes)
HUGE_ID = 99_999_999_999  # beyond PostgreSQL's INTEGER
FAR_YEARS = (2079, 9999)
DEEP_JSON = "[" * 1000 + "]" * 1000


def _leaves(value, path=()):
    """Every (path, leaf) of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _replace(value, path, new):
    """A copy of a JSON value with the leaf at `path` replaced."""
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


def _hostile_values(path, leaf):
    if isinstance(leaf, bool):
        return []
    if isinstance(leaf, str):
        return list(HOSTILE_TEXT)
    if isinstance(leaf, int):
        named_year = bool(path) and "year" in str(path[-1])
        return [HUGE_ID, -HUGE_ID, *(FAR_YEARS if named_year else ())]
    return []


def _body_variants(body):
    """The body with each leaf made hostile in turn, plus one 1,000-deep body."""
    if isinstance(body, dict | list):
        for path, leaf in _leaves(body):
            for bad in _hostile_values(path, leaf):
                yield _replace(body, path, bad)
    yield DEEP_JSON


def _query_variants(parameters):
    """Raw query strings: each documented query parameter made hostile in turn."""
    for param in parameters:
        if param.get("in") != "query":
            continue
        name, kind = param["name"], (param.get("schema") or {}).get("type")
        if kind == "integer":
            values = [str(HUGE_ID), *(str(y) for y in FAR_YEARS if "year" in name)]
        elif kind == "array":
            values = [str(HUGE_ID), *HOSTILE_QUERY_TEXT]
        else:
            values = list(HOSTILE_QUERY_TEXT)
        for value in values:
            yield f"{name}={value}"


def _assert_enveloped_4xx(response, what):
    assert response.status_code < 500, f"{what} → {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        error = response.json.get("error") if isinstance(response.json, dict) else None
        assert isinstance(error, dict) and error.get("code"), f"{what}: {response.text[:300]}"


def _one_case(operation):
    """One valid generated request for an operation (the base the hostile values go into)."""
    cases = []

    @settings(max_examples=1, deadline=None, database=None, derandomize=True)
    @given(case=operation.as_strategy())
    def pick(case):
        cases.append(case)

    pick()
    return cases[0]


def test_hostile_payloads_never_reach_the_database(app, park, client):
    """NUL bytes, lone surrogates, ids beyond 32 bits, far-future years in every query
    parameter and body field, and a 1,000-deep body, on every operation: a 4xx envelope,
    never a 5xx (as the admin, who reaches deepest, and anonymously for public routes)."""
    import json

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    spec = client.get("/api/openapi.json").json
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        method, template = operation.method.upper(), operation.path
        item = spec["paths"][template]
        parameters = [*item.get("parameters", []), *item[operation.method].get("parameters", [])]
        case = _one_case(operation)
        body = case.body if isinstance(case.body, dict | list) else None  # not NOT_SET
        path = case.formatted_path
        is_json = case.media_type == "application/json" or case.media_type is None
        what = f"{method} {template}"
        for query in _query_variants(parameters):
            response = client.open(
                f"{path}?{query}",
                method=method,
                headers=park.headers.admin,
                **({"json": body} if is_json and body is not None else {}),
            )
            _assert_enveloped_4xx(response, f"{what}?{query}")
            sent += 1
        if method in ("POST", "PUT", "PATCH") and is_json:
            for variant in _body_variants(body if body is not None else {}):
                data = variant if isinstance(variant, str) else json.dumps(variant)
                for headers in (park.headers.admin, {}):
                    response = client.open(
                        path,
                        method=method,
                        data=data,
                        headers=headers,
                        content_type="application/json",
                    )
                    _assert_enveloped_4xx(response, f"{what} body {data[:80]!r}")
                    sent += 1
        if "{" in template:  # ids in the path beyond 32 bits: missing, not an overflow
            huge = re.sub(r"\{[^}]*_id\}", str(HUGE_ID), template)
            if huge != template:
                response = client.open(huge, method=method, headers=park.headers.admin)
                _assert_enveloped_4xx(response, f"{what} huge path id")
                sent += 1
    assert sent > 200  # the loop really ran over the operations
