"""The member app in a real headless Chromium at phone size (390×844) and at a desk (1280×800).

A member with no session opens a scanned /c/<token> link, binds this browser with the invite
code, is checked in, opens the same link again (already checked in), waits past the code's
rotation (re-scan message); reads the morning brief to the end and sees the point on home;
answers the quiz; asks for leave; shows the personal code. Another member, already bound,
opens the URL the check-in screen's QR encodes and is checked in in one step.
Screenshots go to tmp_path and $SCREENSHOT_DIR (see tests/browser_helpers.py).
"""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest
from flask_jwt_extended import create_refresh_token

from app.activities import qrcodes, screen, tokens
from app.activities.models import AttendanceRequest
from app.extensions import db
from app.notify.services import Reminder, write_reminder
from app.timeutil import local_day, utcnow
from tests.browser_helpers import DESKTOP, PHONE, browser_tab, shot

ROTATE, GRACE = 8, 2
WAIT_MS = 12_000
MIN = timedelta(minutes=1)


@pytest.fixture
def app_config(fake_wechat):
    """A QR lives 8 + 2 s here; a brief counts after 2 s; the Official Account is the fake."""
    return {
        "QR_ROTATE_SECONDS": ROTATE,
        "QR_GRACE_SECONDS": GRACE,
        "STUDY_BRIEF_MIN_SECONDS": 2,
        "WECHAT_OA_APPID": fake_wechat.oa_appid,
        "WECHAT_OA_SECRET": fake_wechat.oa_secret,
    }


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def world(live_server, park, make_activity, make_item, make_question, point_rules):
    """Branch A: a meeting that started 2 minutes ago, one tomorrow, today's brief, a quiz."""
    live_server.app.config["PUBLIC_BASE_URL"] = live_server.url  # what the QR encodes
    now = utcnow()
    meeting = make_activity(park.branch_a, starts_at=now - 2 * MIN, title="十一月主题党日")
    tomorrow = make_activity(
        park.branch_a, starts_at=now + timedelta(days=1), type="general_meeting",
        title="第四季度支部党员大会",
    )  # fmt: skip
    brief = make_item(
        park.branch_a,
        title="学习贯彻党的二十届四中全会精神",
        body="## 晨会要点\n\n1. **坚持**学思用贯通\n2. 知信行统一\n\n> 学而时习之。",
    )
    for n in range(5):
        make_question(park.branch_a, stem=f"第{n + 1}题：党支部是党的基础组织吗？")
    write_reminder(
        Reminder("study_evening", "daily", local_day(now), "今天还没有学习哦",
                 member_ids=[park.member_a.id]),
        now,
    )  # fmt: skip
    db.session.commit()
    # plain values only: touching an expired ORM object later would open a SQLite write
    # transaction in the test's thread and hold up the live server's requests
    world = SimpleNamespace(
        meeting_id=meeting.id,
        tomorrow_id=tomorrow.id,
        brief_id=brief.id,
        brief_title=brief.title,
        screen_link=screen.make_token(meeting.id, screen.link_expiry(meeting)),
        member_a=park.member_a.id,
        member_a2=park.member_a2.id,
    )
    db.session.commit()
    return world


def invite_for(client, park, member_id: int) -> str:
    r = client.post(f"/api/v1/members/{member_id}/invite", headers=park.headers.secretary_a)
    assert r.status_code == 201, r.json
    return r.json["code"]


def fresh_window() -> int:
    """Wait for a new QR window to begin (so a token lives its whole ROTATE + GRACE)."""
    now = time.time()
    start = (int(now // ROTATE) + 1) * ROTATE
    time.sleep(start - now + 0.1)
    return tokens.window_of(utcnow())


def test_member_on_a_phone(browser, live_server, client, park, world, tmp_path):
    from playwright.sync_api import expect

    errors: list[str] = []
    base = live_server.url
    code = invite_for(client, park, world.member_a)
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        # 1. the scanned link without a session: bind, then the same check-in finishes
        window = fresh_window()
        url = f"{base}/c/{tokens.checkin_token(world.meeting_id, window)}"
        page.goto(url)
        expect(page.locator("#login")).to_be_visible()
        expect(page.locator("#activity-title")).to_have_text("十一月主题党日")
        shot(page, tmp_path, "phone-01-scan-no-session")
        page.fill("#invite-code", code.lower())
        page.click("#login-submit")
        expect(page.locator("#result-heading")).to_have_text("签到成功")
        shot(page, tmp_path, "phone-02-checked-in")

        # 2. the same link again: already checked in, with the time
        page.goto(url)
        expect(page.locator("#result-heading")).to_have_text("已签到")
        expect(page.locator("#result-message")).to_contain_text("无需重复签到")
        shot(page, tmp_path, "phone-03-already")

        # 3. past the code's rotation: re-scan
        time.sleep(max(0.0, tokens.valid_until(window).timestamp() - time.time() + 0.3))
        page.goto(url)
        expect(page.locator("#problem-heading")).to_have_text("二维码已更新")
        expect(page.locator(".m-result-message")).to_have_text("二维码已更新，请重新扫描")
        shot(page, tmp_path, "phone-04-rescan")

        # 4. home: the brief, my activities, today's points per rule
        page.goto(f"{base}/m/")
        expect(page.locator("#hello")).to_have_text("张三，您好")
        expect(page.locator("#brief-title")).to_have_text(world.brief_title)
        expect(page.locator("#activities li")).to_have_count(2)
        expect(page.locator("#rules li").first).to_be_visible()
        before = int(page.locator("#points-today").inner_text())
        shot(page, tmp_path, "phone-05-home")

        # 5. read the brief to the end: the server times it, the point shows on home
        page.click("#brief-link")
        expect(page.locator("#item-body h2")).to_have_text("晨会要点")
        expect(page.locator("#reading-state")).to_contain_text("已读满")
        shot(page, tmp_path, "phone-06-reading")
        page.click("#complete")
        expect(page.locator("#reading-state")).to_contain_text("获得 1 分")
        page.goto(f"{base}/m/")
        expect(page.locator("#points-today")).to_have_text(str(before + 1))
        expect(page.locator("#brief-state")).to_contain_text("已读完")
        brief_rule = page.locator("#rules li", has_text="晨会")
        expect(brief_rule).to_contain_text("1 / 1")

        # 6. the daily quiz
        page.goto(f"{base}/m/quiz")
        expect(page.locator("#questions > li")).to_have_count(5)
        shot(page, tmp_path, "phone-07-quiz")
        for question in page.locator("#questions > li").all():
            question.locator("label.m-choice").first.click()
        page.click("#quiz-submit")
        expect(page.locator("#quiz-score")).to_contain_text("答对")
        shot(page, tmp_path, "phone-08-quiz-result")

        # 7. leave for tomorrow's meeting
        page.goto(f"{base}/m/leave")
        page.click(f"button[data-activity='{world.tomorrow_id}']")
        page.fill("#reason", "出差在外")
        shot(page, tmp_path, "phone-09-leave-dialog", full_page=False)
        page.click("#reason-submit")
        expect(page.locator("#status")).to_contain_text("请假申请已提交")
        expect(page.locator("#upcoming")).to_contain_text("请假审批中")
        shot(page, tmp_path, "phone-10-leave-sent")

        # 8. the personal code: large, a real current code of this member
        page.goto(f"{base}/m/my-code")
        expect(page.locator("#my-qr")).to_be_visible()
        shown = page.locator("#my-qr").get_attribute("data-code")
        assert tokens.read_member_code(shown, utcnow()) == world.member_a
        box = page.locator("#my-qr").bounding_box()
        assert box["width"] >= 300  # large enough to scan from a secretary's phone
        shot(page, tmp_path, "phone-11-my-code")

        for name in ("points", "inbox", "attendance", "devices", "code"):
            page.goto(f"{base}/m/{name}")
            page.wait_for_load_state("networkidle")
            expect(page.locator("#status")).not_to_have_class("m-status m-status-error")
            shot(page, tmp_path, f"phone-12-{name}")
        expect(page.locator("#code-input")).to_be_visible()

    assert errors == []
    rows = db.session.query(AttendanceRequest).filter_by(member_id=world.member_a).all()
    assert [(r.activity_id, r.kind, r.reason) for r in rows] == [
        (world.tomorrow_id, "leave", "出差在外")
    ]


def test_screen_qr_opened_by_a_bound_phone_checks_in_in_one_step(
    browser, live_server, client, park, world, tmp_path
):
    from playwright.sync_api import expect

    errors: list[str] = []
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        # the member bound this phone earlier with the invite QR (/i/<code>)
        page.goto(f"{live_server.url}/i/{invite_for(client, park, world.member_a2)}")
        shot(page, tmp_path, "phone-20-invite-link")
        page.click("#login-submit")
        expect(page.locator("#hello")).to_have_text("李四，您好")

        # what the room's screen shows: its QR for the current window encodes this URL
        window = fresh_window()
        url = f"{live_server.url}/c/{tokens.checkin_token(world.meeting_id, window)}"
        svg = client.get(f"/screen/{world.meeting_id}/qr.svg?t={world.screen_link}&w={window}")
        assert svg.status_code == 200
        assert svg.get_data(as_text=True) == qrcodes.render_svg(url)
        assert urlsplit(url).netloc == urlsplit(live_server.url).netloc

        page.goto(url)  # the camera opens it
        expect(page.locator("#result-heading")).to_have_text("签到成功")
        expect(page.locator("#login")).to_be_hidden()
    assert errors == []


def test_member_pages_at_a_desk_and_bad_links(browser, live_server, park, world, tmp_path):
    from playwright.sync_api import expect

    errors: list[str] = []
    base = live_server.url
    refresh = create_refresh_token(identity=f"m:{world.member_a}")
    with browser_tab(browser, DESKTOP, errors=errors) as page:
        page.goto(f"{base}/m/login")
        shot(page, tmp_path, "desk-01-login")
        page.evaluate("t => localStorage.setItem('party.member.refresh', t)", refresh)
        pages = ["", "code", "my-code", f"study/{world.brief_id}", "quiz", "leave", "points",
                 "inbox", "attendance", "devices"]  # fmt: skip
        for n, name in enumerate(pages, start=2):
            page.goto(f"{base}/m/{name}")
            page.wait_for_load_state("networkidle")
            expect(page.locator("#status")).not_to_have_class("m-status m-status-error")
            shot(page, tmp_path, f"desk-{n:02d}-{name.split('/')[0] or 'home'}")
        page.goto(f"{base}/c/{tokens.checkin_token(world.meeting_id, fresh_window())}")
        expect(page.locator("#result-heading")).to_have_text("签到成功")
        shot(page, tmp_path, "desk-19-checked-in")
        page.goto(f"{base}/c/{'A' * 26}")
        expect(page.locator("#problem-heading")).to_have_text("二维码无效")
        shot(page, tmp_path, "desk-20-forged-link")
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        page.goto(f"{base}/c/{'A' * 26}")
        expect(page.locator("#problem-heading")).to_have_text("二维码无效")
        shot(page, tmp_path, "phone-30-forged-link")
        page.goto(f"{base}/m/")  # no session: to the login page, and back after it
        expect(page).to_have_url(f"{base}/m/login?next=%2Fm%2F")
    assert errors == []


WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.50.2600 NetType/WIFI Language/zh_CN"
)


def test_wechat_browser_logs_a_bound_member_in_silently(
    browser, live_server, park, world, fake_wechat, tmp_path
):
    """In WeChat's browser: off to WeChat's authorize URL and back with a code; the member the
    mini-program bound (same unionid) is logged in without typing anything."""
    from playwright.sync_api import expect

    from app.members.models import Member

    db.session.get(Member, world.member_a).unionid = "union-zhang"
    db.session.commit()
    fake_wechat.add_code("oa-code-1", "openid-zhang", "union-zhang")
    errors: list[str] = []
    seen: list[str] = []

    def wechat_authorize(route):
        """Stand in for open.weixin.qq.com: send the phone back with a code and the state."""
        query = dict(part.split("=", 1) for part in urlsplit(route.request.url).query.split("&"))
        seen.append(query["scope"])
        back = unquote(query["redirect_uri"])
        route.fulfill(
            status=302,
            headers={"Location": f"{back}&code=oa-code-1&state={query['state']}"},
        )

    with browser_tab(browser, PHONE, phone=True, errors=errors, user_agent=WECHAT_UA) as page:
        page.route("https://open.weixin.qq.com/**", wechat_authorize)
        page.goto(f"{live_server.url}/m/")
        expect(page.locator("#hello")).to_have_text("张三，您好")
        shot(page, tmp_path, "phone-40-wechat-silent-login")
    assert seen == ["snsapi_base"]
    assert fake_wechat.calls("/sns/oauth2/access_token") == 1
    assert errors == []


FENCE = (30.0, 104.0, 300)  # lat, lng, radius in metres


@pytest.mark.parametrize(
    ("where", "heading"),
    [((30.0005, 104.0005), "签到成功"), ((30.05, 104.05), "不在活动地点")],
    ids=["inside", "outside"],
)
def test_a_geofenced_activity_asks_for_the_location(
    browser, live_server, park, world, make_activity, tmp_path, where, heading
):
    from playwright.sync_api import expect

    fenced = make_activity(
        park.branch_a, starts_at=utcnow() - MIN, title="园区志愿服务", geofence=FENCE
    )
    fenced_id = fenced.id
    db.session.commit()
    refresh = create_refresh_token(identity=f"m:{world.member_a}")
    errors: list[str] = []
    lat, lng = where
    with browser_tab(
        browser, PHONE, phone=True, errors=errors,
        geolocation={"latitude": lat, "longitude": lng}, permissions=["geolocation"],
    ) as page:  # fmt: skip
        page.goto(f"{live_server.url}/m/login")
        page.evaluate("t => localStorage.setItem('party.member.refresh', t)", refresh)
        window = fresh_window()
        page.goto(f"{live_server.url}/c/{tokens.checkin_token(fenced_id, window)}")
        expect(page.locator("#result-heading")).to_have_text(heading)
        shot(page, tmp_path, f"phone-50-geofence-{heading}")
    assert errors == []
