"""The API documentation (issue 17): Chinese summaries for every operation (English kept as
the description), an introduction on tokens and the error envelope, public routes without a
lock, and a favicon on the docs page."""

from __future__ import annotations

import re

from app.auth import Access
from app.openapi_zh import SUMMARIES, openapi_path

CJK = re.compile(r"[\u4e00-\u9fff]")


def _spec(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    return r.json


def _operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield f"{method.upper()} {path}", op


def test_every_operation_has_a_chinese_summary_and_keeps_its_english(client):
    ops = dict(_operations(_spec(client)))
    missing = [key for key, op in ops.items() if not CJK.search(op.get("summary", ""))]
    assert missing == [], f"add these to app/openapi_zh.py SUMMARIES: {missing}"
    assert set(SUMMARIES) <= set(ops), set(SUMMARIES) - set(ops)  # no stale entries
    login = ops["POST /api/v1/auth/login"]
    assert login["summary"] == "账号密码登录，获取令牌"
    assert "Username + password" in login["description"]


def test_the_introduction_explains_tokens_and_the_envelope(client):
    spec = _spec(client)
    intro = spec["info"]["description"]
    for words in (
        "/api/v1/auth/login",
        "Authorization: Bearer",
        '{"error": {"code"',
        "/api/mp/v1/login",
    ):
        assert words in intro
    tags = {t["name"]: t["description"] for t in spec["tags"]}
    assert CJK.search(tags["reports"])


def test_public_operations_carry_no_lock_and_the_rest_do(app, client):
    spec = _spec(client)
    assert spec["security"] == [{"bearerAuth": []}]  # the default: a token is needed
    public = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if getattr(view, "access_policy", None) is Access.PUBLIC:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                public.add(f"{method} {openapi_path(rule.rule)}")
    assert {"POST /api/v1/auth/login", "GET /healthz", "POST /api/mp/v1/login"} <= public
    for key, op in _operations(spec):
        if key in public:
            assert op.get("security") == [], key
        else:
            assert "security" not in op, key  # inherits the bearer lock


def test_the_docs_page_is_chinese_with_a_favicon(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "接口文档" in html
    icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', html).group(1)
    r = client.get(icon)
    assert r.status_code == 200 and r.mimetype == "image/png"
    r.close()
