"""The committee console in a real headless Chromium: what the park committee sees at its desk.

The demo park is loaded, then given a year of organisation life (fixture `lived_in_park`):
meetings held by some branches and skipped by others, attendance, weekly study, members who
stopped coming. The app runs on a loopback server (`live_server`), Debian's Chromium is
driven by Playwright (`browser`, one per module; skipped where no Chromium is installed).
Screenshots go to the test's tmp_path, and also to $SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_jwt_extended import create_access_token
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.activities.models import Activity, Attendance, AttendanceRequest
from app.activities.services import set_window
from app.demo import DEMO_PASSWORD, PARK_NAME, seed_demo_park
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.study.models import StudyDay
from app.timeutil import local_day, local_tz, utcnow

WAIT_MS = 10_000  # bounded waits: a page load is five report calls
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DESK = {"width": 1440, "height": 900}


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


def shot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    """A screenshot, kept in tmp_path (and $SCREENSHOT_DIR when set)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("SCREENSHOT_DIR"):
        target = Path(os.environ["SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path


# --- a park with a year behind it ----------------------------------------------------------------

# per demo branch (in creation order): share of months with a 主题党日, whether the quarterly
# 党员大会 and 党课 are held, and the share of weeks in which a member studies
LIFE = [
    (1.0, True, True, 0.85),
    (0.85, True, False, 0.6),
    (0.75, True, True, 0.5),
    (0.5, False, False, 0.35),
    (0.4, True, False, 0.4),
    (0.0, False, False, 0.1),
    (0.0, False, False, 0.05),
    (0.0, False, False, 0.0),
    (0.0, False, False, 0.0),
]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=local_tz())


def _month_back(today: date, n: int) -> date:
    index = today.year * 12 + today.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _meeting(branch: Organization, type_: str, title: str, starts_at: datetime) -> Activity:
    activity = Activity(
        org_id=branch.id,
        org=branch,
        type=type_,
        title=title,
        location="党群服务中心",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        status="published",
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        published_at=starts_at - timedelta(days=3),
        created_at=starts_at - timedelta(days=3),
    )
    set_window(activity)
    db.session.add(activity)
    db.session.flush()
    return activity


def _attend(activity: Activity, members, rng: random.Random, stop: set, always: frozenset = ()):
    """Most come, a few are late or on leave; `stop` have stopped coming, `always` come."""
    for member in members:
        if member.id in stop:
            continue
        roll = 0.5 if member.id in always else rng.random()
        if roll < 0.08:
            db.session.add(
                AttendanceRequest(
                    activity_id=activity.id,
                    member_id=member.id,
                    kind="leave",
                    reason="出差",
                    status="approved",
                    decided_at=activity.starts_at - timedelta(days=1),
                    created_at=activity.starts_at - timedelta(days=2),
                )
            )
            continue
        if roll < 0.16:
            continue  # absent
        late = roll > 0.9
        at = activity.starts_at + (timedelta(minutes=9) if late else timedelta(minutes=-6))
        db.session.add(
            Attendance(
                activity_id=activity.id,
                member_id=member.id,
                status="late" if late else "present",
                method="qr",
                checked_in_at=at,
                created_at=at,
                updated_at=at,
            )
        )


def give_the_park_a_year(now: datetime) -> None:
    """Thirteen months of meetings, attendance and study before `now` for the demo park."""
    rng = random.Random(7)
    today = local_day(now)
    park = db.session.scalar(select(Organization).where(Organization.name == PARK_NAME))
    branches = list(
        db.session.scalars(
            select(Organization).where(Organization.parent_id == park.id).order_by(Organization.id)
        )
    )
    joined = now - timedelta(days=420)
    db.session.execute(update(Member).values(created_at=joined))
    for index, (branch, life) in enumerate(zip(branches, LIFE, strict=True)):
        theme_share, general, lecture, study_share = life
        members = list(
            db.session.scalars(select(Member).where(Member.org_id == branch.id).order_by(Member.id))
        )
        # in the third branch the last member came four months ago, then stopped (3-month flag)
        quitter = members[-1].id if index == 2 else None
        for back in range(13, 0, -1):
            first = _month_back(today, back)
            stop = {quitter} if quitter and back <= 3 else set()
            if rng.random() < theme_share or (quitter and back == 4):
                day = _at(first + timedelta(days=9), 14)
                _attend(
                    _meeting(branch, "theme_day", f"{first.month}月主题党日", day),
                    members,
                    rng,
                    stop,
                    always={quitter} if back == 4 else set(),
                )
            if first.month % 3 == 2 and general:
                day = _at(first + timedelta(days=19), 15)
                title = f"第{(first.month + 2) // 3}季度支部党员大会"
                _attend(_meeting(branch, "general_meeting", title, day), members, rng, stop)
            if first.month % 3 == 0 and lecture:
                day = _at(first + timedelta(days=24), 9)
                _attend(_meeting(branch, "party_lecture", "专题党课", day), members, rng, stop)
        for member in members:
            day = today - timedelta(days=3)
            while day > local_day(joined):
                if rng.random() < study_share:
                    seconds = rng.randint(300, 1800)
                    db.session.add(StudyDay(member_id=member.id, day=day, seconds=seconds))
                day -= timedelta(days=7)
    db.session.commit()


@pytest.fixture
def lived_in_park(app):
    """The demo park (users committee, secretary, admin; password demo12345) with a year of
    life; its branches in report order as (id, name)."""
    seed_demo_park(progress=False)
    db.session.commit()
    give_the_park_a_year(utcnow())
    branches = [
        SimpleNamespace(id=b.id, name=b.name)
        for b in db.session.scalars(
            select(Organization)
            .where(Organization.type == "branch", Organization.is_active.is_(True))
            .order_by(Organization.path)
        )
    ]
    db.session.rollback()  # hold no transaction open while the live server writes (SQLite)
    return branches


# --- helpers -----------------------------------------------------------------------------------


def watch(page) -> list[str]:
    """Collect console errors and page errors (a CSP violation shows up here)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def log_in(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#dashboard")).to_be_visible()


def wait_loaded(page) -> None:
    """Every panel has answered (ready, empty or an error)."""
    page.wait_for_function(
        "() => ['compliance','attendance','study','stars','members'].every(n =>"
        " document.getElementById(n + '-state').dataset.kind !== 'loading')"
        " && document.getElementById('updated').textContent !== ''",
        timeout=WAIT_MS,
    )


def api_get(client, path: str, token: str, method: str = "GET"):
    """A call beside the browser; the test's session then lets go of SQLite's write lock (the
    app begins every SQLite transaction IMMEDIATE), so the live server is never kept waiting."""
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
    db.session.rollback()
    return response


def stored_tokens(page) -> dict:
    return page.evaluate(
        "() => ({access: sessionStorage.getItem('party.console.access'),"
        " refresh: sessionStorage.getItem('party.console.refresh'),"
        " local: localStorage.length, cookie: document.cookie})"
    )


# --- the committee -----------------------------------------------------------------------------


def test_committee_sees_the_park_rates_a_branch_exports_and_logs_out(
    browser, live_server, client, lived_in_park, tmp_path
):
    from playwright.sync_api import expect

    branches = lived_in_park
    context = browser.new_context(
        viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    problems = watch(page)
    try:
        response = page.goto(f"{live_server.url}/console")
        assert response.status == 200
        assert page.get_attribute("html", "lang") == "zh-CN"
        expect(page.locator("#login-view")).to_be_visible()
        assert "登录" in page.title() and "党建工作台" in page.title()
        shot(page, tmp_path, "console-login-1440x900")

        # a wrong password is said, and nothing is stored
        page.fill("#username", "committee")
        page.fill("#password", "wrong-password")
        page.keyboard.press("Enter")
        expect(page.locator("#login-status")).to_have_text("用户名或密码错误")
        assert stored_tokens(page)["access"] is None
        assert problems == [
            "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"
        ]
        problems.clear()

        # Enter in the password field logs in
        page.fill("#password", DEMO_PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator("#dashboard")).to_be_visible()
        wait_loaded(page)
        tokens = stored_tokens(page)
        assert tokens["access"] and tokens["refresh"]
        assert tokens["local"] == 0 and tokens["cookie"] == ""
        assert context.cookies() == []
        expect(page.locator("#scope-name")).to_have_text(PARK_NAME)
        expect(page.locator("#who")).to_have_text("园区综合党委")

        # the heat map: one cell per branch × month, gaps highlighted
        year = local_day(utcnow()).year
        expect(page.locator("#year")).to_have_value(str(year))
        cells = page.locator("#heatmap .heat-cell")
        expect(cells).to_have_count(len(branches) * 12)
        expect(page.locator("#heatmap .heat-label")).to_have_count(len(branches))
        if page.locator('#heatmap .heat-cell[data-status="missed"]').count() == 0:
            # in January nothing of this year has closed yet: last year has the gaps
            page.select_option("#year", str(year - 1))
            wait_loaded(page)
        missed = page.locator('#heatmap .heat-cell[data-status="missed"]')
        assert missed.count() > 0
        assert page.locator('#heatmap .heat-cell[data-status="met"]').count() > 0
        fill = missed.first.locator("rect").evaluate("r => getComputedStyle(r).fill")
        met_fill = (
            page.locator('#heatmap .heat-cell[data-status="met"]')
            .first.locator("rect")
            .evaluate("r => getComputedStyle(r).fill")
        )
        assert fill != met_fill

        # the last branch holds nothing: click its January and the missing 主题党日 is named
        gap_cell = page.locator(
            f'#heatmap .heat-cell[data-org="{branches[-1].id}"][data-month="1"]'
        )
        expect(gap_cell).to_have_attribute("data-status", "missed")
        gap_cell.click()
        expect(gap_cell).to_have_attribute("aria-pressed", "true")
        detail = page.locator("#cell-detail")
        expect(detail.locator("h3")).to_have_text(branches[-1].name)
        expect(detail.locator(".detail-summary")).to_contain_text("缺 主题党日")
        missing = detail.locator(".detail-item.is-missed")
        expect(missing.first).to_contain_text("主题党日")
        expect(missing.first).to_contain_text("未落实")
        expect(missing.first).to_contain_text("已开展 0 / 应开展 1")

        # the cells work from the keyboard too: move right, press Enter, February shows
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        expect(page.locator("#cell-detail-sub")).to_contain_text("2 月")
        page.wait_for_timeout(300)
        shot(page, tmp_path, "console-dashboard-1440x900", full_page=False)
        shot(page, tmp_path, "console-dashboard-full-1440x900")

        # attendance and study: a row per branch with its small chart
        expect(page.locator("#attendance-rows tr")).to_have_count(len(branches))
        expect(page.locator("#attendance-trend svg .line")).not_to_have_count(0)
        expect(page.locator("#study-rows tr")).to_have_count(len(branches))
        expect(page.locator("#attendance-rows tr").first.locator("svg rect")).not_to_have_count(0)

        # the stars: every branch, then the committee sets one with a reason
        page.select_option("#year", str(year))
        wait_loaded(page)
        stars = page.locator("#stars-rows tr")
        expect(stars).to_have_count(len(branches))
        for branch in branches:
            expect(page.locator(f'#stars-rows tr[data-org="{branch.id}"]')).to_contain_text(
                branch.name
            )
        other = page.locator(f'#stars-rows tr[data-org="{branches[1].id}"]')
        other.get_by_role("button").click()
        expect(page.locator("#stars-dialog")).to_be_visible()
        expect(page.locator("#stars-value")).to_be_focused()
        page.keyboard.press("Escape")  # the dialog closes without saving, focus goes back
        expect(page.locator("#stars-dialog")).to_be_hidden()
        expect(other.get_by_role("button")).to_be_focused()
        expect(other).to_contain_text("系统计算，尚未评定")

        target = branches[0]
        row = page.locator(f'#stars-rows tr[data-org="{target.id}"]')
        expect(row).to_contain_text("系统计算，尚未评定")
        row.get_by_role("button").click()
        dialog = page.locator("#stars-dialog")
        expect(dialog).to_be_visible()
        page.select_option("#stars-value", "9")
        page.click("#stars-save")
        expect(page.locator("#stars-error")).to_contain_text("评定理由")
        page.fill("#stars-reason", "三会一课全年按时开展，党员大会均达法定人数")
        shot(page, tmp_path, "console-stars-dialog-1440x900", full_page=False)
        page.click("#stars-save")
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text("9 星 · 良好")
        expect(row).to_contain_text("三会一课全年按时开展")
        expect(row).to_contain_text("委员会评定")
        expect(page.locator("#toast")).to_contain_text("评定为 9 星")
        token = stored_tokens(page)["access"]
        board = api_get(client, f"/api/v1/reports/stars?year={year}", token).json
        saved = next(r for r in board["rows"] if r["org_id"] == target.id)
        assert saved["stars"] == 9 and saved["final"] is True

        # the members flagged by the 6-month rule
        report = api_get(client, f"/api/v1/reports/members?year={year}", token).json
        flags = [r["absence_flag"] for r in report["rows"] if r["absence_flag"]]
        assert flags.count(3) >= 1 and flags.count(5) + flags.count(6) >= 5
        expect(page.locator("#members-rows tr")).to_have_count(len(flags))
        for level in (3, 5, 6):
            cells = page.locator(f"#members-rows .flag-{level}")
            expect(cells).to_have_count(flags.count(level))
            if flags.count(level):
                expect(cells.first).to_contain_text(f"满 {level} 个月")
        expect(page.locator("#members-count")).to_have_text(f"共 {len(flags)} 人")
        shot(page, tmp_path, "console-stars-members-1440x900")

        # exports: Excel and CSV downloads with the right type, fetched with the token
        with (
            page.expect_response(lambda r: "format=xlsx" in r.url) as answer,
            page.expect_download() as download_info,
        ):
            page.locator('#compliance button[data-format="xlsx"]').click()
        assert answer.value.status == 200
        assert answer.value.headers["content-type"] == XLSX
        download = download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        saved_path = tmp_path / download.suggested_filename
        download.save_as(saved_path)
        workbook = load_workbook(io.BytesIO(saved_path.read_bytes()))
        text = "\n".join(
            str(c.value) for ws in workbook for r in ws.iter_rows() for c in r if c.value
        )
        assert branches[-1].name in text and "主题党日" in text
        with (
            page.expect_response(lambda r: "format=csv" in r.url) as answer,
            page.expect_download() as download_info,
        ):
            page.locator('#stars button[data-format="csv"]').click()
        assert answer.value.headers["content-type"].startswith("text/csv")
        csv_path = tmp_path / "stars.csv"
        download_info.value.save_as(csv_path)
        assert "三会一课全年按时开展" in csv_path.read_text(encoding="utf-8-sig")
        expect(page.locator("#toast")).to_contain_text("已下载")

        # tablet and phone: no sideways scrolling of the page
        for width, height in ((1024, 768), (768, 1024), (390, 844), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(400)  # the charts redraw for the new width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            shot(page, tmp_path, f"console-dashboard-{width}x{height}", full_page=False)

        # logout revokes the tokens and forgets them: a reload shows the login form
        old = stored_tokens(page)
        page.click("#logout")
        expect(page.locator("#login-view")).to_be_visible()
        expect(page.locator("#login-status")).to_have_text("已安全退出。")
        assert stored_tokens(page)["access"] is None and stored_tokens(page)["refresh"] is None
        assert page.locator("#stars-rows tr").count() == 0  # nothing of the park is left
        page.reload()
        expect(page.locator("#login-view")).to_be_visible()
        expect(page.locator("#dashboard")).to_be_hidden()
        r = api_get(client, "/api/v1/me", old["access"])
        assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_revoked"
        r = api_get(client, "/api/v1/auth/refresh", old["refresh"], method="POST")
        assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_revoked"
        assert problems == []
    finally:
        context.close()


# --- a secretary -------------------------------------------------------------------------------


def test_a_secretary_sees_only_their_branch_and_cannot_rate_it(
    browser_page, live_server, lived_in_park, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(DESK)
    problems = watch(page)
    log_in(page, live_server, "secretary")
    wait_loaded(page)
    own = lived_in_park_branch(lived_in_park, "永润欣科技党支部")
    expect(page.locator("#scope-name")).to_have_text(own.name)
    expect(page.locator("#who-role")).to_have_text(f"{own.name} · 书记")
    expect(page.locator("#heatmap .heat-label")).to_have_count(1)
    expect(page.locator("#heatmap .heat-cell")).to_have_count(12)
    orgs = page.eval_on_selector_all("#heatmap .heat-cell", "c => c.map(x => x.dataset.org)")
    assert set(orgs) == {str(own.id)}
    expect(page.locator("#stars-rows tr")).to_have_count(1)
    expect(page.locator("#stars-rows tr")).to_contain_text(own.name)
    expect(page.locator("#stars-rows button")).to_have_count(0)  # no rating one's own branch
    expect(page.locator("#attendance-rows tr")).to_have_count(1)
    expect(page.locator("#study-rows tr")).to_have_count(1)
    html = page.content()
    for other in lived_in_park:
        if other.id != own.id:
            assert other.name not in html
    shot(page, tmp_path, "console-secretary-1440x900")
    assert problems == []


def lived_in_park_branch(branches, name):
    return next(b for b in branches if b.name == name)


# --- tokens and failures -----------------------------------------------------------------------


def test_an_expired_access_token_is_renewed_with_the_refresh_token(
    browser_page, live_server, lived_in_park
):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, live_server, "committee")
    wait_loaded(page)
    before = stored_tokens(page)
    identity = page.evaluate(
        "() => JSON.parse(atob(sessionStorage.getItem('party.console.access')"
        ".split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub"
    )

    def expire() -> str:
        token = create_access_token(identity=identity, expires_delta=timedelta(seconds=-60))
        page.evaluate("t => sessionStorage.setItem('party.console.access', t)", token)
        return token

    renewals = []
    page.on("request", lambda r: renewals.append(r.url) if "/auth/refresh" in r.url else None)

    # five reports asked at once, all answered 401 auth.token_expired: one renewal serves them
    expired = expire()
    page.click("#refresh")
    wait_loaded(page)
    expect(page.locator("#stars-rows tr")).not_to_have_count(0)
    assert page.locator(".panel-state[data-kind='error']").count() == 0
    assert len(renewals) == 1
    after = stored_tokens(page)
    assert after["access"] not in (expired, before["access"])
    assert after["refresh"] == before["refresh"]

    # a reload keeps the session (sessionStorage) and renews again before asking for /me
    expire()
    page.reload()
    wait_loaded(page)
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#heatmap .heat-cell")).not_to_have_count(0)
    assert len(renewals) == 2


def test_a_revoked_session_returns_to_the_login_form(browser_page, live_server, lived_in_park):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, live_server, "committee")
    wait_loaded(page)
    page.evaluate("() => sessionStorage.setItem('party.console.access', 'not-a-token')")
    page.click("#refresh")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#login-status")).to_have_text("登录凭证无效，请重新登录")
    assert stored_tokens(page)["refresh"] is None


def test_an_unreachable_server_is_said_and_retry_recovers(
    browser_page, live_server, lived_in_park, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(DESK)
    log_in(page, live_server, "committee")
    wait_loaded(page)
    page.route("**/api/v1/reports/**", lambda route: route.abort())
    page.click("#refresh")
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("无法连接服务器")
    expect(page.locator("#compliance-state")).to_contain_text("无法连接服务器")
    shot(page, tmp_path, "console-offline-1440x900", full_page=False)
    page.unroute("**/api/v1/reports/**")
    page.click("#notice-retry")
    expect(notice).to_be_hidden()
    expect(page.locator("#heatmap .heat-cell")).not_to_have_count(0)

    # an export that cannot be fetched says so instead of failing silently
    page.route("**/api/v1/reports/members?*format=xlsx*", lambda route: route.abort())
    page.locator('#members button[data-format="xlsx"]').click()
    expect(page.locator("#toast")).to_contain_text("导出失败")


def test_a_member_without_a_role_is_turned_away(
    browser_page, live_server, lived_in_park, make_user
):
    from playwright.sync_api import expect

    make_user("reader", password="password123")
    page = browser_page
    page.goto(f"{live_server.url}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", "reader")
    page.fill("#password", "password123")
    page.click("#login-submit")
    expect(page.locator("#login-status")).to_contain_text("没有查看报表的权限")
    expect(page.locator("#dashboard")).to_be_hidden()
    assert stored_tokens(page)["access"] is None


def test_the_page_loads_only_its_own_files(browser_page, live_server, lived_in_park):
    from playwright.sync_api import expect

    page = browser_page
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    log_in(page, live_server, "committee")
    wait_loaded(page)
    expect(page.locator("#heatmap .heat-cell")).not_to_have_count(0)
    foreign = [u for u in requested if not re.match(re.escape(live_server.url), u)]
    assert foreign == []


def test_the_matrix_says_which_months_are_closed(
    browser_page, live_server, lived_in_park, tmp_path
):
    """Closed months are frozen: the committee is told which ones (issue 15)."""
    from playwright.sync_api import expect

    from app.reports.compliance import period_bounds
    from app.reports.periods import close_due_periods
    from app.timeutil import local_day

    now = utcnow()
    close_due_periods(now)
    db.session.commit()
    today = local_day(now)
    # the last closed month: the one before the month holding (today − PERIOD_CLOSE_DAYS)
    running = period_bounds(today - timedelta(days=app_config_close_days()), "month")[0]
    last = period_bounds(running - timedelta(days=1), "month")[0]
    page = browser_page
    log_in(page, live_server, "committee")
    wait_loaded(page)
    note = page.locator("#compliance-closed")
    if last.year == today.year:
        expect(note).to_be_visible()
        expect(note).to_contain_text(f"已关账：1–{last.month}月")
    else:  # early January: nothing of the new year has closed yet
        expect(note).to_be_hidden()
    for name, size in (("phone", {"width": 390, "height": 844}), ("desk", DESK)):
        page.set_viewport_size(size)
        page.locator("#compliance-title").scroll_into_view_if_needed()
        shot(page, tmp_path, f"console-closed-{name}", full_page=False)


def app_config_close_days() -> int:
    from flask import current_app

    return current_app.config["PERIOD_CLOSE_DAYS"]
