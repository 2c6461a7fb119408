"""The first ten minutes (issue 17): the console opened on the demo park exactly as
`flask seed-demo` leaves it looks like a real park in its eleventh month — read from the page.

Screenshots (phone 390 px and desk 1440 px) go to the test's tmp_path and to $SCREENSHOT_DIR
when set; docs/img holds copies used by the user guide (docs/user-guide-zh.md).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD, seed_demo_park
from app.extensions import db
from app.org.models import Organization
from app.timeutil import local_day, utcnow

WAIT_MS = 15_000
GAP_BRANCHES = {"恩阳食品党支部", "元窝社区党支部"}  # app.demo_life.GAPS, with their stories


def shot(page, tmp_path: Path, name: str) -> None:
    """A full-page screenshot in tmp_path (and $SCREENSHOT_DIR when set)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("SCREENSHOT_DIR"):
        target = Path(os.environ["SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


@pytest.fixture
def demo_park(app):
    """The demo park as `flask seed-demo` makes it, seeded at this very moment."""
    seed_demo_park(progress=False, now=utcnow(), life=True)
    db.session.commit()
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.type == "branch")
        ).all()
    )
    db.session.rollback()  # hold no transaction open while the live server reads (SQLite)
    return names


def _open_console(browser, live_server, viewport):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", "committee")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#dashboard")).to_be_visible()
    _wait_loaded(page)
    return context, page, problems


def _wait_loaded(page) -> None:
    page.wait_for_function(
        "() => ['compliance','attendance','study','stars','members'].every(n =>"
        " document.getElementById(n + '-state').dataset.kind !== 'loading')"
        " && document.getElementById('updated').textContent !== ''",
        timeout=WAIT_MS,
    )


def _percent(page, kpi: str) -> int:
    text = page.locator(f"#kpi-{kpi}-value").inner_text()
    match = re.fullmatch(r"(\d+)%", text.strip())
    assert match, (kpi, text)
    return int(match.group(1))


def test_the_demo_park_looks_like_a_real_park(browser, live_server, demo_park, tmp_path):
    from playwright.sync_api import expect

    context, page, problems = _open_console(browser, live_server, {"width": 1440, "height": 900})
    try:
        if local_day(utcnow()).month <= 2:
            # early in the year little has closed yet: the year before is the one to judge
            page.select_option("#year", str(local_day(utcnow()).year - 1))
            _wait_loaded(page)
        # 三会一课 between 80 and 98 %, attendance 85–95 %, most members study
        assert 80 <= _percent(page, "compliance") <= 98
        assert 85 <= _percent(page, "attendance") <= 95
        assert _percent(page, "study") >= 50
        stars = float(page.locator("#kpi-stars-value").inner_text())
        assert 6 <= stars <= 10

        # the gaps are where the story puts them, and the page says what is missing
        missed = page.locator('#heatmap .heat-cell[data-status="missed"]')
        assert missed.count() > 0
        orgs = {
            demo_park[int(missed.nth(i).get_attribute("data-org"))] for i in range(missed.count())
        }
        assert orgs <= GAP_BRANCHES  # both in late year; early on one's gap is last year's
        missed.first.click()
        detail = page.locator("#cell-detail")
        expect(detail.locator("h3")).to_have_text(re.compile("|".join(GAP_BRANCHES)))
        expect(detail.locator(".detail-item.is-missed").first).to_contain_text("未落实")

        # the six-month list has the members who stopped coming, one near the line
        rows = page.locator("#members-rows tr")
        expect(rows).not_to_have_count(0)
        expect(page.locator("#members-rows")).to_contain_text("5 个月")
        shot(page, tmp_path, "demo-console-1440x900")
        assert problems == []
    finally:
        context.close()

    context, page, problems = _open_console(browser, live_server, {"width": 390, "height": 844})
    try:
        expect(page.locator("#kpi-compliance-value")).to_have_text(re.compile(r"\d+%"))
        shot(page, tmp_path, "demo-console-390x844")
        assert problems == []
    finally:
        context.close()
