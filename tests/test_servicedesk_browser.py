"""Issue 21 (requests) in a real headless Chromium: the committee invites an enterprise's
employee in the console; the employee binds a 390 px phone with the invite link and files a
服务预约; the committee routes it to a handler with a due date, starts it and answers it in the
console; the employee reads the answer on the phone and rates it once; the committee stops
the account (the phone is sent to the login page) and restores it. Phone and desktop
screenshots go to tmp_path and $SCREENSHOT_DIR (see tests/browser_helpers.py)."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.org.models import Enterprise
from tests.browser_helpers import DESKTOP, PHONE, browser_tab, shot

PASSWORD = "password123"


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a shared, loaded CI machine


@pytest.fixture
def desk(live_server, park):
    """A park enterprise covered by branch A (plain values: no ORM object crosses threads)."""
    live_server.app.config["PUBLIC_BASE_URL"] = live_server.url
    ent = Enterprise(
        name="川东机械有限公司", park_org_id=park.park.id, covering_org_id=park.branch_a.id
    )
    db.session.add(ent)
    db.session.flush()
    info = {"enterprise": ent.id, "committee": park.committee.id}
    db.session.commit()  # nothing is read after this: a read would lock SQLite for the server
    return info


def _console_login(page, url):
    from playwright.sync_api import expect

    page.goto(f"{url}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", "committee")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#workbench")).to_be_visible()
    page.locator("#main-nav a", has_text="诉求建言").click()
    expect(page.locator("#page-requests")).to_be_visible()


def test_staff_files_from_a_phone_and_rates_the_committee_answer(
    browser, live_server, desk, tmp_path
):
    """Invite → bind → file → route → start → answer → read → rate, with no script errors."""
    from playwright.sync_api import expect

    errors: list[str] = []
    url = live_server.url
    with (
        browser_tab(browser, DESKTOP, errors=errors) as pc,
        browser_tab(browser, PHONE, phone=True, errors=errors) as phone,
    ):
        _console_login(pc, url)
        expect(pc.locator("#req-summary")).to_contain_text("收集合理化建议0条")
        expect(pc.locator("#req-invite-save")).to_be_enabled()  # once the enterprises loaded
        pc.fill("#req-invite-name", "陈职工")
        pc.fill("#req-invite-phone", "13700000001")
        pc.click("#req-invite-save")
        expect(pc.locator("#req-invite-code")).to_contain_text("陈职工（川东机械有限公司）的邀请码")
        code = re.search(r"邀请码：([A-Z0-9]{8})", pc.locator("#req-invite-code").inner_text())[1]
        shot(pc, tmp_path, "requests-desktop-01-invite")

        # the employee opens the invite link on a phone: one tap binds, home sends them on
        phone.goto(f"{url}/i/{code}")
        expect(phone.locator("#invite-code")).to_have_value(code)
        phone.click("#login-submit")
        expect(phone).to_have_url(re.compile(r"/m/requests$"))
        expect(phone.locator("#requests-empty")).to_be_visible()
        shot(phone, tmp_path, "requests-phone-01-empty")
        phone.click("text=提交新的诉求或建议")
        expect(phone.locator("#who")).to_have_text("提交人：陈职工（企业职工）")
        phone.select_option("#request-kind", "appointment")
        expect(phone.locator("#team-field")).to_be_visible()
        phone.select_option("#request-team", "legal")
        phone.click("#request-submit")
        expect(phone.locator("#request-error")).to_have_text("请填写标题")  # said where it acted
        phone.fill("#request-title", "劳动合同条款咨询")
        phone.fill("#request-text", "想请法律服务团帮忙看一下新版劳动合同的竞业限制条款。")
        shot(phone, tmp_path, "requests-phone-02-form")
        phone.click("#request-submit")
        card = phone.locator("#requests li").first
        expect(card).to_contain_text("劳动合同条款咨询")
        expect(card).to_contain_text("已受理")
        expect(card).to_contain_text("服务预约 · 法律服务团")
        shot(phone, tmp_path, "requests-phone-03-filed")

        # the committee routes it, starts it and answers it
        pc.reload()
        expect(pc.locator("#page-requests")).to_be_visible()
        row = pc.locator("#req-rows li", has_text="劳动合同条款咨询")
        expect(row).to_contain_text("提交人 陈职工")
        row.locator("button", has_text="办理").click()
        expect(pc.locator("#req-detail")).to_be_visible()
        pc.select_option("#req-handler", str(desk["committee"]))
        pc.click("#req-route")
        expect(pc.locator("#req-start")).to_be_visible()
        expect(row).to_contain_text("办理人 园区综合党委")
        pc.click("#req-start")
        expect(pc.locator("#req-answer-form")).to_be_visible()
        pc.click("#req-answer-save")
        expect(pc.locator("#req-error")).to_be_visible()  # an empty answer is refused there
        pc.fill(
            "#req-answer", "已约法律服务团李律师本周四下午到企业面谈，竞业限制期限不得超过两年。"
        )
        shot(pc, tmp_path, "requests-desktop-02-answer")
        pc.click("#req-answer-save")
        expect(pc.locator("#req-answered")).to_contain_text("已约法律服务团李律师")
        expect(pc.locator("#req-summary")).to_contain_text("发展服务团服务预约1次，已办结1次")
        shot(pc, tmp_path, "requests-desktop-03-answered")

        # the employee reads the answer and rates it, once
        phone.goto(f"{url}/m/requests")
        card = phone.locator("#requests li").first
        expect(card).to_contain_text("已解决")
        expect(card).to_contain_text("竞业限制期限不得超过两年")
        shot(phone, tmp_path, "requests-phone-04-answer")
        card.locator("button[aria-label^='4星']").click()
        expect(phone.locator("#status")).to_have_text("感谢您的评价。")
        expect(phone.locator("#requests li").first).to_contain_text("我的评价：★★★★☆ 满意")
        expect(phone.locator("#requests li").first.locator(".m-star")).to_have_count(0)
        shot(phone, tmp_path, "requests-phone-05-rated")

        # the console shows the rating; the workbench also fits a phone
        pc.reload()
        pc.locator("#req-rows li", has_text="劳动合同条款咨询").locator("button").click()
        expect(pc.locator("#req-answered")).to_contain_text("提交人评价：4 星")

        # the employee leaves the enterprise: the committee stops the account, the phone is out
        staff_row = pc.locator("#req-staff-rows li", has_text="陈职工")
        expect(staff_row).to_contain_text("使用中")
        expect(staff_row).to_contain_text("川东机械有限公司 · 137****0001")
        pc.once("dialog", lambda dialog: dialog.accept())
        staff_row.locator("button", has_text="停用").click()
        expect(staff_row).to_contain_text("已停用")
        expect(staff_row.locator("button")).to_have_text("恢复")
        expect(pc.locator("#toast")).to_contain_text("陈职工 的账号已停用")
        shot(pc, tmp_path, "requests-desktop-05-staff-stopped")
        phone.goto(f"{url}/m/requests")
        expect(phone).to_have_url(re.compile(r"/m/login"))
        expect(phone.locator("#login-error")).to_have_text(
            "此账号已停用，无法继续使用。如有疑问，请联系支部书记或园区党委。"
        )
        shot(phone, tmp_path, "requests-phone-07-stopped")
        pc.select_option("#req-staff-active", "true")
        expect(pc.locator("#req-staff-state")).to_have_text("没有符合条件的职工账号。")
        pc.select_option("#req-staff-active", "false")
        staff_row = pc.locator("#req-staff-rows li", has_text="陈职工")
        staff_row.locator("button", has_text="恢复").click()
        expect(pc.locator("#toast")).to_contain_text("陈职工 的账号已恢复")
        expect(pc.locator("#req-staff-state")).to_have_text("没有符合条件的职工账号。")
        pc.select_option("#req-staff-active", "")
        expect(pc.locator("#req-staff-rows li", has_text="陈职工")).to_contain_text("使用中")
    with browser_tab(browser, PHONE, phone=True, errors=errors) as small:
        _console_login(small, url)
        expect(small.locator("#req-rows li")).to_have_count(1)
        shot(small, tmp_path, "requests-phone-06-console")
    with browser_tab(browser, DESKTOP, errors=errors) as wide:
        wide.goto(f"{url}/m/login")
        wide.evaluate("() => 0")
        shot(wide, tmp_path, "requests-desktop-04-member-login")
    assert errors == []
