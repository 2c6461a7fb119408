"""Issue 16, item 11: /api/docs under its Content-Security-Policy still renders in Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def _shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("SCREENSHOT_DIR"):
        target = Path(os.environ["SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
def test_swagger_ui_renders_without_inline_script(browser_page, live_server, tmp_path):
    """The operations list appears; the browser reports no CSP violation; phone and desktop."""
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    response = page.goto(f"{live_server.url}/api/docs")
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() > 20
    _shot(page, tmp_path, "api-docs-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, tmp_path, "api-docs-phone")
    assert violations == []
