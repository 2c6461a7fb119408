"""Every failure answers with the one envelope; nothing malformed gets a 500."""

from __future__ import annotations

import logging

import pytest

from app.auth import Access, access
from app.errors import APIError


def assert_envelope(response, status, code=None):
    assert response.status_code == status
    assert response.is_json
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_unknown_route(client):
    assert_envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method(client):
    r = client.delete("/api/v1/auth/login")
    assert_envelope(r, 405, "request.method_not_allowed")
    assert "POST" in r.headers["Allow"]


def test_malformed_json(client):
    r = client.post("/api/v1/auth/login", data="{nope", content_type="application/json")
    assert_envelope(r, 400, "request.malformed_json")


def test_wrong_content_type(client):
    r = client.post("/api/v1/auth/login", data="username=a", content_type="text/plain")
    error = assert_envelope(r, 415, "request.unsupported_media_type")
    assert error["details"]["content_type"] == "text/plain"


def test_form_encoded_body_is_refused_too(client):
    r = client.post("/api/v1/auth/login", data={"username": "a", "password": "b"})
    assert_envelope(r, 415, "request.unsupported_media_type")


@pytest.mark.parametrize("body", [[], "text", 42, None, {"username": None, "password": []}])
def test_json_of_the_wrong_shape(client, body):
    r = client.post("/api/v1/auth/login", json=body)
    error = assert_envelope(r, 400, "validation_error")
    assert error["details"]["fields"]


def test_validation_errors_are_per_field_and_in_chinese(client):
    r = client.post("/api/v1/auth/login", json={"username": 5, "extra": 1})
    fields = assert_envelope(r, 400, "validation_error")["details"]["fields"]
    assert fields == {"username": ["应为文本"], "password": ["必填项"], "extra": ["未知字段"]}


def test_bad_query_parameters(client, park):
    r = client.get("/api/v1/orgs?page=0&per_page=abc", headers=park.headers.admin)
    fields = assert_envelope(r, 400, "validation_error")["details"]["fields"]
    assert set(fields) == {"page", "per_page"}


def test_body_too_large(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = client.post("/api/v1/auth/login", data="x" * 5000, content_type="application/json")
    assert_envelope(r, 413, "request.too_large")


def test_integrity_error_is_a_conflict(client, park):
    body = {"name": "王六", "org_id": park.branch_a.id, "phone": park.member_a.phone}
    # the service checks duplicates itself; bypass it to reach the database constraint
    from app.extensions import db
    from app.members.models import Member

    @client.application.route("/_test/dup", methods=["POST"])
    @access(Access.PUBLIC)
    def _dup():
        db.session.add(Member(name=body["name"], org_id=body["org_id"], phone=body["phone"]))
        db.session.commit()
        return {}

    assert_envelope(client.post("/_test/dup"), 409, "conflict")
    assert db.session.query(Member).filter_by(phone=body["phone"]).count() == 1


def test_unexpected_exception_is_a_logged_500_envelope(client, caplog):
    @client.application.route("/_test/boom")
    @access(Access.PUBLIC)
    def _boom():
        raise RuntimeError("kaput")

    with caplog.at_level(logging.ERROR, logger="app"):
        r = client.get("/_test/boom", headers={"X-Request-ID": "req-123"})
    error = assert_envelope(r, 500, "internal_error")
    assert error["details"] == {"request_id": "req-123"}
    assert r.headers["X-Request-ID"] == "req-123"
    assert "kaput" not in r.get_data(as_text=True)
    assert any("req-123" in rec.getMessage() for rec in caplog.records)


def test_api_error_keeps_status_code_and_details(client):
    @client.application.route("/_test/api-error")
    @access(Access.PUBLIC)
    def _err():
        raise APIError(410, "checkin.token_expired", "二维码已过期", {"age": 30})

    error = assert_envelope(client.get("/_test/api-error"), 410, "checkin.token_expired")
    assert error["details"] == {"age": 30}


def test_request_id_is_generated_when_absent_or_unsafe(client):
    r = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert r.headers["X-Request-ID"] != "bad id <script>"
    assert len(r.headers["X-Request-ID"]) == 32


def test_readyz_reports_the_database(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json["database"] == "ok"


def test_database_down_is_a_503_envelope(client, app):
    from sqlalchemy import create_engine

    from app.extensions import db

    # point the session at a server that is not there: a closed loopback port
    dead = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    original = db.engines[None]
    db.engines[None] = dead
    try:
        db.session.remove()
        r = client.get("/readyz")
    finally:
        db.engines[None] = original
        db.session.remove()
    assert_envelope(r, 503, "service.db_unavailable")


def test_security_headers(client):
    r = client.get("/healthz")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("raw", ["99999999999999999999", "2147483648", "-1"])
def test_out_of_range_ids_in_paths_are_404(client, park, raw):
    r = client.get(f"/api/v1/orgs/{raw}", headers=park.headers.admin)
    assert_envelope(r, 404, "not_found")


def test_path_ids_are_documented_as_bounded_integers(client):
    spec = client.get("/api/openapi.json").json
    [param] = spec["paths"]["/api/v1/orgs/{org_id}"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


def test_a_connection_killed_under_the_pool_costs_one_503_not_a_ping_per_request(
    client, app, park, backend
):
    """No pre-ping (a round trip per checkout): a pooled connection the server dropped is
    found on use, answered 503 once, and the worker's pool is discarded — the next request
    works on a fresh connection."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    import psycopg
    from sqlalchemy import text

    from app.extensions import db

    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    headers = park.headers.member_a
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    name = db.session.execute(text("SELECT current_database()")).scalar()
    db.session.remove()  # every connection idle in the pool
    admin = db.engine.url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()[0]
    assert killed >= 1
    first = client.get("/api/v1/me", headers=headers)
    assert_envelope(first, 503, "service.db_unavailable")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
