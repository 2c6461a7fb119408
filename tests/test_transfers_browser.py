"""Issue 21 (组织关系) in a real headless Chromium: 张三 asks on a phone to move from branch A
to branch B; secretary A approves at a desk, secretary B approves on a phone; 张三 now belongs
to B, his page says 已转接, and A's March report reads as before. The mobile members list shows
its flags; the member registers a mobile membership. Screenshots go to tmp_path (and
$SCREENSHOT_DIR)."""

from __future__ import annotations

from datetime import date

import pytest
from flask_jwt_extended import create_refresh_token

from app.extensions import db
from app.members.models import Member
from app.reports.services import Scope, attendance_report
from app.timeutil import utcnow
from app.transfers.models import MobileMembership
from tests.browser_helpers import DESKTOP, PHONE, browser_tab, shot
from tests.test_reports import activity, at, mark

PASSWORD = "password123"


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=12_000)


@pytest.fixture
def world(live_server, park, make_member, make_user, grant):
    """Console users for both secretaries; a March theme day in A with 张三 present; 李四
    away at an outside organisation since January (never at a meeting, never contacted)."""
    secretary_b = make_member(park.branch_b, name="钱书记")
    grant(park.branch_b, "secretary", member=secretary_b)
    make_user("sec_a", member_id=park.secretary_a.id, display_name="赵书记")
    make_user("sec_b", member_id=secretary_b.id, display_name="钱书记")
    march = activity(park.branch_a, at(3, 10))
    mark(march, park.member_a)
    db.session.add(
        MobileMembership(
            member_id=park.member_a2.id,
            host_name="深圳某科技公司党支部",
            place="广东深圳",
            from_on=date(2026, 1, 5),
            registered_by="赵书记",
        )
    )
    db.session.get(Member, park.member_a2.id).created_at = at(1, 1)
    db.session.commit()
    return {
        "member_id": park.member_a.id,
        "branch_a": park.branch_a.id,
        "branch_b": park.branch_b.id,
        "refresh": create_refresh_token(identity=f"m:{park.member_a.id}"),
    }


def _march(park):
    scope = Scope(park.branch_a, date(2026, 3, 1), date(2026, 4, 1))
    return attendance_report(scope, utcnow(), True)


def _console(page, base, username):
    from playwright.sync_api import expect

    page.goto(f"{base}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#workbench")).to_be_visible()
    page.locator("#main-nav a", has_text="组织关系").click()
    expect(page.locator("#page-transfers")).to_be_visible()


def test_a_transfer_approved_on_both_sides(browser, live_server, park, world, tmp_path):
    from playwright.sync_api import expect

    before = _march(park)
    db.session.rollback()
    base, errors = live_server.url, []
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        page.goto(f"{base}/m/login")
        page.evaluate("t => localStorage.setItem('party.member.refresh', t)", world["refresh"])
        page.goto(f"{base}/m/transfers")
        expect(page.locator("#transfers-empty")).to_be_visible()
        page.click("#ask-submit")
        expect(page.locator("#ask-error")).to_have_text("请选择转入党支部")
        page.select_option("#to-org", value=str(world["branch_b"]))
        page.fill("#reason", "调到B企业工作")
        page.click("#ask-submit")
        expect(page.locator("#transfers")).to_contain_text("A企业党支部 → B企业党支部")
        expect(page.locator("#transfers")).to_contain_text("转出支部：… 待审批")
        expect(page.locator("#ask-card")).to_be_hidden()
        shot(page, tmp_path, "transfers-member-phone-01-asked")
    with browser_tab(browser, DESKTOP, errors=errors) as page:
        _console(page, base, "sec_a")
        row = page.locator("#tr-rows li", has_text="张三")
        expect(row).to_contain_text("待审批")
        expect(page.locator("#mob-rows")).to_contain_text("应转接组织关系、失联")
        shot(page, tmp_path, "transfers-console-desk-01-secretary-a")
        row.locator("button", has_text="同意（转出支部）").click()
        expect(row).to_contain_text("转出支部 ✓ 同意（赵书记）")
        expect(row.locator("button", has_text="同意")).to_have_count(0)
        shot(page, tmp_path, "transfers-console-desk-02-a-approved")
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        _console(page, base, "sec_b")
        row = page.locator("#tr-rows li", has_text="张三")
        row.locator("button", has_text="同意（接收支部）").click()
        expect(row).to_contain_text("已转接")
        shot(page, tmp_path, "transfers-console-phone-03-b-approved")
        # 张三 comes to branch B: its secretary confirms 报到 (once: the button goes)
        row.locator("button", has_text="确认报到").click()
        expect(row).to_contain_text("已报到（钱书记 确认）")
        expect(row.locator("button", has_text="确认报到")).to_have_count(0)
        shot(page, tmp_path, "transfers-console-phone-03b-reported")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        page.goto(f"{base}/m/login")
        page.evaluate("t => localStorage.setItem('party.member.refresh', t)", world["refresh"])
        page.goto(f"{base}/m/transfers")
        expect(page.locator("#transfers")).to_contain_text("已转接")
        expect(page.locator("#transfers")).to_contain_text("接收支部：✓ 已同意（钱书记）")
        expect(page.locator("#transfers")).to_contain_text("已报到")
        page.fill("#host-name", "上海某公司党支部")
        page.fill("#place", "上海")
        page.fill("#from-on", "2026-11-01")
        page.click("#mobile-submit")
        expect(page.locator("#mobiles")).to_contain_text("上海某公司党支部（上海）")
        shot(page, tmp_path, "transfers-member-phone-04-done")
    with browser_tab(browser, DESKTOP, errors=errors) as page:
        page.goto(f"{base}/m/login")
        page.evaluate("t => localStorage.setItem('party.member.refresh', t)", world["refresh"])
        page.goto(f"{base}/m/transfers")
        expect(page.locator("#mobiles")).to_contain_text("流动中")
        shot(page, tmp_path, "transfers-member-desk-05")
    assert errors == []
    member = db.session.get(Member, world["member_id"])
    assert member.org_id == world["branch_b"]
    assert _march(park) == before  # A's March: 张三 still expected there and present
    db.session.rollback()
