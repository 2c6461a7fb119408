"""The check-in screen in a real headless Chromium: what a person in the meeting room sees.

The app runs on a loopback server (fixture `live_server`), Debian's Chromium is driven by
Playwright (fixture `browser`, one per module; skipped where no Chromium is installed), and a
member checks in through the API while the page is open. The QR rotates every 2 s here.
Screenshots go to the test's tmp_path, and also to $SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from app.activities import checkins, screen, tokens
from app.extensions import db
from app.timeutil import utcnow
from tests.browser_helpers import shot

MIN = timedelta(minutes=1)
ROTATE = 2
WAIT_MS = 8_000  # bounded waits: a poll is 2.5 s, a rotation 2 s
EXTRA_NAMES = ("王芳", "刘洋", "陈静", "杨帆", "黄磊", "周敏", "吴刚", "徐丽")


@pytest.fixture
def app_config():
    """Rotate the QR every 2 s so the test sees it change."""
    return {"QR_ROTATE_SECONDS": ROTATE}


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


def screen_url(live_server, client, park, activity) -> str:
    """The link a secretary gets, opened on the loopback server instead of PUBLIC_BASE_URL."""
    r = client.get(
        f"/api/v1/activities/{activity.id}/screen-link", headers=park.headers.secretary_a
    )
    assert r.status_code == 200, r.json
    parts = urlsplit(r.json["url"])
    return f"{live_server.url}{parts.path}?{parts.query}"


def token_url(live_server, activity) -> str:
    """A screen URL minted directly (for a window the link endpoint no longer serves)."""
    token = screen.make_token(activity.id, screen.link_expiry(activity))
    return f"{live_server.url}{screen.screen_path(activity.id, token)}"


def qr_window(page) -> int | None:
    value = page.eval_on_selector("#qr", "el => el.hidden ? null : el.dataset.window || null")
    return int(value) if value else None


@pytest.fixture
def meeting(park, make_member, make_activity, principal_of, point_rules):
    """A meeting of branch A that started 8 minutes ago; five members checked in on time."""
    for name in EXTRA_NAMES:
        make_member(park.branch_a, name=name)
    start = utcnow() - 8 * MIN
    activity = make_activity(
        park.branch_a,
        starts_at=start,
        title="五月主题党日：重温入党誓词",
        location="A企业三楼党员活动室",
    )
    early = [park.member_a2, *_members_named(EXTRA_NAMES[:4])]
    for i, member in enumerate(early):
        at = start - (5 - i) * MIN
        checkins.check_in(
            principal_of(member),
            {"token": tokens.checkin_token(activity.id, tokens.window_of(at))},
            at,
        )
    db.session.commit()
    return activity


def _members_named(names):
    from sqlalchemy import select

    from app.members.models import Member

    rows = {m.name: m for m in db.session.scalars(select(Member).where(Member.name.in_(names)))}
    return [rows[n] for n in names]


def test_open_screen_shows_the_qr_counts_arrivals_and_rotates(
    browser_page, live_server, client, park, meeting, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    response = page.goto(screen_url(live_server, client, park, meeting))
    assert response.status == 200
    assert page.title() == "签到大屏 · 五月主题党日：重温入党誓词"
    assert page.get_attribute("html", "lang") == "zh-CN"
    expect(page.locator("h1#title")).to_have_text("五月主题党日：重温入党誓词")
    expect(page.locator("#location")).to_have_text("A企业三楼党员活动室")

    # the QR: present, large, and matching the 6-digit code beside it
    qr = page.locator("img#qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300, box
    code = page.locator("#code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.locator("#count-expected")).to_have_text("11")
    expect(page.locator("#count-checked-in")).to_have_text("5")
    expect(page.locator("#count-pending")).to_have_text("6")

    # a member checks in with the code on the screen; the count and the name appear
    shown_code = code.text_content()
    r = client.post("/api/v1/checkins", json={"code": shown_code}, headers=park.headers.member_a)
    assert r.status_code == 201 and r.json["status"] == "late", r.json
    expect(page.locator("#count-checked-in")).to_have_text("6")
    expect(page.locator("#count-late")).to_have_text("1")
    first = page.locator("#arrivals li").first
    expect(first).to_contain_text("张三")
    expect(first.locator(".tag")).to_have_text("迟到")
    page.wait_for_timeout(2_500)  # let the arrival highlight fade before the picture
    desktop = shot(page, tmp_path, "screen-open-1920x1080")

    # the QR changes after its interval, and the code changes with it
    before = qr_window(page)
    page.wait_for_function(
        "w => { const q = document.getElementById('qr');"
        " return !q.hidden && q.dataset.window && Number(q.dataset.window) > w; }",
        arg=before,
        timeout=3 * ROTATE * 1000,
    )
    after = qr_window(page)
    assert after > before
    shown = page.eval_on_selector(
        "#qr", "q => [q.dataset.window, document.getElementById('code').textContent]"
    )
    assert shown[1] == tokens.activity_code(meeting.id, int(shown[0]))

    # keyboard: the one control is reachable with Tab and works with Enter
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "toggle-pending"
    page.keyboard.press("Enter")
    expect(page.locator("#toggle-pending")).to_have_attribute("aria-pressed", "true")
    names = page.locator("#pending-names")
    expect(names.locator("li")).to_have_count(5)
    expect(names).to_contain_text("赵书记")
    assert "张三" not in names.inner_text() and "李四" not in names.inner_text()
    shot(page, tmp_path, "screen-pending-1920x1080")
    html = page.content()
    assert park.member_a.phone not in html and park.secretary_a.phone not in html

    # phone size: one column, no sideways scrolling, the QR still large
    page.keyboard.press("Enter")
    expect(page.locator("#arrivals")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 280
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone = shot(page, tmp_path, "screen-open-390x844")
    assert desktop.stat().st_size > 20_000 and phone.stat().st_size > 20_000
    assert problems == []


def test_unreachable_server_is_said_and_the_expired_qr_leaves(
    browser_page, live_server, client, park, meeting
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(screen_url(live_server, client, park, meeting))
    qr = page.locator("img#qr")
    expect(qr).to_be_visible()
    page.route("**/state?*", lambda route: route.abort())
    expect(page.locator("#notice")).to_contain_text("网络连接中断")
    expect(qr).to_be_hidden()  # its window ended and no new one could be fetched
    expect(page.locator("#qr-wait")).to_have_text("正在更新签到码…")
    expect(page.locator("#code")).to_have_text("······")
    page.unroute("**/state?*")
    expect(page.locator("#notice")).to_be_hidden()
    expect(qr).to_be_visible()


def test_before_the_window_a_countdown_and_no_qr(
    browser_page, live_server, client, park, make_activity, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    later = make_activity(
        park.branch_a,
        starts_at=utcnow() + 2 * 60 * MIN,
        title="支部党员大会",
        type="general_meeting",
    )
    page.goto(screen_url(live_server, client, park, later))
    expect(page.get_by_text("距签到开始")).to_be_visible()
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^01:(29|30):\d\d$"))
    expect(page.locator("img#qr")).to_be_hidden()
    expect(page.locator("#code")).to_be_hidden()
    expect(page.locator("#count-expected")).to_have_text("3")
    shot(page, tmp_path, "screen-before-1920x1080")


def test_after_the_window_final_counts_and_no_qr(
    browser_page, live_server, park, make_activity, principal_of, point_rules, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    start = utcnow() - 40 * MIN
    done = make_activity(park.branch_a, starts_at=start, title="四月党课", type="party_lecture")
    checkins.check_in(
        principal_of(park.member_a),
        {"token": tokens.checkin_token(done.id, tokens.window_of(start))},
        start,
    )
    db.session.commit()
    page.goto(token_url(live_server, done))
    expect(page.get_by_text("签到已结束")).to_be_visible()
    expect(page.locator("#final-rate")).to_have_text("33%")
    expect(page.locator("#final-summary")).to_contain_text("缺席 2 人")
    expect(page.locator("#pending-label")).to_have_text("缺席")
    expect(page.locator("#final-summary")).to_contain_text("实到 1 人")
    expect(page.locator("#closed-at")).to_contain_text("签到已于")
    expect(page.locator("img#qr")).to_be_hidden()
    page.wait_for_timeout(800)  # the rate bar's transition
    shot(page, tmp_path, "screen-closed-1920x1080")


def test_cancelling_takes_the_qr_off_the_screen(
    browser_page, live_server, client, park, make_activity, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    activity = make_activity(park.branch_a, starts_at=utcnow() + 5 * MIN, title="主题党日")
    page.goto(screen_url(live_server, client, park, activity))
    expect(page.locator("img#qr")).to_be_visible()
    r = client.post(
        f"/api/v1/activities/{activity.id}/cancel",
        json={"reason": "台风停工"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200
    expect(page.get_by_text("本次活动已取消")).to_be_visible()
    expect(page.locator("#cancel-reason")).to_have_text("原因：台风停工")
    expect(page.locator("img#qr")).to_be_hidden()
    expect(page.locator("#code")).to_be_hidden()
    shot(page, tmp_path, "screen-cancelled-1920x1080")


def test_forged_and_expired_links_get_a_clear_page(
    browser_page, live_server, park, make_activity, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    activity = make_activity(park.branch_a)
    response = page.goto(f"{live_server.url}/screen/{activity.id}?t=forged")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("链接无效")
    expired = screen.make_token(activity.id, utcnow() - MIN)
    response = page.goto(f"{live_server.url}{screen.screen_path(activity.id, expired)}")
    assert response.status == 410
    expect(page.locator("h1")).to_have_text("链接已过期")
    expect(page.get_by_text("大屏链接已过期，请向支部书记重新获取签到大屏链接")).to_be_visible()
    assert "Traceback" not in page.content()
    shot(page, tmp_path, "screen-expired-1920x1080")
