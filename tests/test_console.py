"""The committee console without a browser: the shell, its headers, its assets, no data in it.

The real-browser half is tests/test_console_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.demo import seed_demo_park
from app.extensions import db
from app.web.common import CONTENT_SECURITY_POLICY

WEB_DIR = Path(__file__).resolve().parent.parent / "app" / "web"
CONSOLE_FILES = [
    *sorted((WEB_DIR / "templates" / "console").glob("*.html")),
    *sorted((WEB_DIR / "static" / "js").glob("console*.js")),
    WEB_DIR / "static" / "css" / "console.css",
    WEB_DIR / "console.py",
]


def test_the_console_is_an_html_page_with_the_security_headers(client):
    r = client.get("/console")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in r.headers


JS_DIR = Path(__file__).parent.parent / "app" / "web" / "static" / "js"
CONSOLE_SCRIPTS = sorted(p.stem for p in JS_DIR.glob("console-*.js"))


def test_every_console_script_stays_under_600_lines():
    """One script per page or section, shared helpers in one module each (issue 12's limit)."""
    assert len(CONSOLE_SCRIPTS) >= 10
    for name in CONSOLE_SCRIPTS:
        lines = (JS_DIR / f"{name}.js").read_text(encoding="utf-8").count("\n")
        assert lines < 600, f"{name}.js has {lines} lines"


def test_the_shell_has_a_title_language_and_only_its_own_scripts(client):
    html = client.get("/console").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<title>党建工作台 · 云上党支部</title>" in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == len(CONSOLE_SCRIPTS)
    assert all('src="/web/assets/js/console' in attrs and not body for attrs, body in scripts)
    # the shared modules load before the pages that use them
    names = [re.search(r"js/(console-[a-z-]+)\.js", attrs).group(1) for attrs, _ in scripts]
    assert names[:4] == ["console-api", "console-ui", "console-charts", "console-shell"]
    assert sorted(names) == sorted(CONSOLE_SCRIPTS)
    assert not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"https?://", html) and "//" not in re.sub(r"<!--.*?-->", "", html)
    # the login form cannot send the password anywhere without the script
    assert re.search(r'<form id="login-form"[^>]*method="post"', html)
    assert re.search(r'<button type="submit"[^>]*id="login-submit" disabled>', html)


def test_the_shell_holds_no_data_and_ignores_any_token(app, client):
    seed_demo_park(progress=False)
    db.session.commit()
    token = client.post(
        "/api/v1/auth/login", json={"username": "committee", "password": "demo12345"}
    ).json["access_token"]
    anonymous = client.get("/console").get_data(as_text=True)
    signed_in = client.get("/console", headers={"Authorization": f"Bearer {token}"})
    # asset URLs carry content hashes: the rest is the same page for everybody
    assert signed_in.get_data(as_text=True) == anonymous
    for word in ("临港产业园", "永润欣科技党支部", "committee", "郭英红", "demo12345"):
        assert word not in anonymous


def test_the_console_assets_load_with_their_types_and_headers(client):
    html = client.get("/console").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/web/assets/[^"]+)"', html)
    assert any("console.css" in a for a in assets) and any("console-shell.js" in a for a in assets)
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200, asset
        assert "immutable" in r.headers["Cache-Control"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.mimetype in ("text/css", "text/javascript", "application/javascript")
        r.close()


def test_posting_to_the_console_is_refused(client):
    """Were the form ever submitted without its script, nothing would log anyone in."""
    r = client.post("/console", data={"username": "committee", "password": "x"})
    assert r.status_code in (405, 415) and "access_token" not in r.get_data(as_text=True)
    assert client.post("/console", json={}).status_code == 405


def test_no_console_file_references_another_site_or_a_cookie():
    """Everything is served from here; tokens never go to a cookie or localStorage."""
    assert len(CONSOLE_FILES) >= 6
    for file in CONSOLE_FILES:
        text = file.read_text(encoding="utf-8")
        assert not re.search(r"https?://|\bcdn\b|@import|url\(\s*['\"]?//", text, re.I), file
        assert not re.search(r"document\.cookie|localStorage\s*\.", text), file
    api = (WEB_DIR / "static" / "js" / "console-api.js").read_text(encoding="utf-8")
    assert 'credentials: "omit"' in api and "sessionStorage" in api


def test_the_scripts_write_text_never_html():
    """Names come from the API: they are set with textContent, never parsed as HTML."""
    for file in sorted((WEB_DIR / "static" / "js").glob("console*.js")):
        text = file.read_text(encoding="utf-8")
        uses = re.findall(r"\.(?:innerHTML|outerHTML|insertAdjacentHTML)\b.*", text)
        # the one use parses a constant to learn the SVG namespace
        assert uses in ([], ['.innerHTML = "<svg></svg>";']), (file, uses)
        assert "eval(" not in text and "new Function" not in text


def test_the_check_in_screen_error_page_points_to_the_console(client):
    """A forged or expired screen link says where the real one is: the console's 活动 page."""
    html = client.get("/screen/1?t=forged").get_data(as_text=True)
    assert 'href="/console#/activities"' in html
    assert "大屏链接" in html and "管理后台" not in html


def test_every_id_in_the_console_page_is_unique(client):
    """Pages share one document: a repeated id would make a script fill the wrong element."""
    html = client.get("/console").get_data(as_text=True)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) > 100
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
