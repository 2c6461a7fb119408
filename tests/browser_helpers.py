"""Helpers the browser tests share: screenshots and phone/desktop browser contexts.

Screenshots go to the test's tmp_path and, when $SCREENSHOT_DIR is set, are copied there
(`screenshots/` at the top of the repository is git-ignored for that purpose).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def shot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    """A screenshot, kept in tmp_path (and $SCREENSHOT_DIR when set)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("SCREENSHOT_DIR"):
        target = Path(os.environ["SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path


@contextmanager
def browser_tab(
    browser,
    viewport: dict,
    *,
    phone: bool = False,
    errors: list | None = None,
    user_agent: str | None = None,
    **context_options,
) -> Iterator:
    """A page in its own context (Chinese locale, Shanghai time); uncaught script errors are
    appended to `errors` so a test can require none."""
    options = {"viewport": viewport, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
    if phone:
        options.update(device_scale_factor=2, has_touch=True)
    if user_agent:
        options["user_agent"] = user_agent
    options.update(context_options)  # e.g. geolocation and permissions
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    try:
        yield page
    finally:
        context.close()
