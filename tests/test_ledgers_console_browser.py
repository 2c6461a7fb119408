"""Issue 19's workbench screens in a real headless Chromium, at a desk (1440×900) and on a
phone (390×844): a secretary records a month's dues for her branch and sees the 未交名单 shrink;
she posts a notice and sees its read counts; a committee user reads the coverage report and the
instructors' visits. Screenshots go to tmp_path (and $SCREENSHOT_DIR)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.dues.models import DuesBase, DuesPayment
from app.dues.rules import month_start
from app.extensions import db
from app.fiveclears.models import EnterpriseProfile
from app.org.models import Enterprise
from app.timeutil import local_day, utcnow
from app.visits.models import Assignment, Visit
from tests.test_console_browser import shot, watch

SIZES = {"desk": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "password123"


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=12_000)


@pytest.fixture
def ledgers(park, make_user, make_org):
    """Branch A's three members owe 15.00 元 this month; four enterprises, one instructor."""
    make_user("sec", member_id=park.secretary_a.id, display_name="赵书记")
    this_month = month_start(local_day(utcnow()))
    for m in (park.member_a, park.member_a2, park.secretary_a):
        db.session.add(
            DuesBase(member_id=m.id, effective_from=this_month, category="on_job", base_fen=300_000)
        )
    own = make_org("甲公司党支部", "branch", park.park, build_mode="standalone")
    joint = make_org("联合党支部", "branch", park.park, build_mode="joint")
    rows = [
        ("甲公司", True, False, own.id, 5),
        ("乙公司", True, True, None, 3),  # 应单建
        ("丙公司", False, True, joint.id, 2),  # 联建
        ("丁公司", False, False, None, 0),  # 派驻
    ]
    ents = []
    for name, above, tech, covering, full in rows:
        e = Enterprise(
            name=name, park_org_id=park.park.id, above_scale=above, high_tech=tech,
            covering_org_id=covering, staff_count=50,
        )  # fmt: skip
        db.session.add(e)
        db.session.flush()
        db.session.add(
            EnterpriseProfile(
                enterprise_id=e.id, party_members=full, full_members=full,
                last_checked_on=date(2026, 10, 8),
            )
        )  # fmt: skip
        ents.append(e)
    db.session.add(
        Assignment(
            enterprise_id=ents[3].id, member_id=park.member_b.id, kind="instructor",
            since=date(2026, 1, 1),
        )
    )  # fmt: skip
    db.session.add(
        Visit(
            enterprise_id=ents[3].id, member_id=park.member_b.id,
            visited_on=local_day(utcnow()) - timedelta(days=3), topics="宣传党的政策",
        )
    )  # fmt: skip
    info = {"member_a": park.member_a.id, "member_a2": park.member_a2.id}
    db.session.commit()
    return info


def log_in(page, live_server, username):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#workbench")).to_be_visible()


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_secretary_records_a_month_and_the_unpaid_list_shrinks(
    browser, live_server, ledgers, tmp_path, size
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, "sec")
        page.locator("#main-nav a", has_text="党费").click()
        expect(page.locator("#dues-unpaid-count")).to_have_text("3 人")
        expect(page.locator("#dues-facts")).to_contain_text("45.00 元")
        shot(page, tmp_path, f"ledgers-console-{size}-01-dues")
        for member_id in (ledgers["member_a"], ledgers["member_a2"]):
            page.locator(f'#dues-rows tr[data-member="{member_id}"] input').check()
        expect(page.locator("#dues-pay")).to_have_text("登记所选 2 名党员已交")
        page.click("#dues-pay")
        expect(page.locator("#dues-unpaid-count")).to_have_text("1 人")
        expect(page.locator("#dues-unpaid")).to_contain_text("赵书记")
        expect(page.locator("#dues-year tr", has_text="合计")).to_contain_text("30.00")
        expect(page.locator(f'#dues-rows tr[data-member="{ledgers["member_a"]}"]')).to_contain_text(
            "已交"
        )
        shot(page, tmp_path, f"ledgers-console-{size}-02-dues-recorded")
        page.locator("#main-nav a", has_text="通知").click()
        page.fill("#notice-title", f"关于交纳党费的通知（{size}）")
        page.fill("#notice-body", "请本月**25日前**交纳党费。")
        page.click("#notice-send")
        row = page.locator("#notices li", has_text=f"关于交纳党费的通知（{size}）")
        expect(row).to_contain_text("已读 0 / 3")
        expect(row).to_contain_text("已确认 0 / 3")
        row.locator("button", has_text="查看谁未读").click()
        expect(row.locator(".notice-receipts")).to_contain_text("张三")
        shot(page, tmp_path, f"ledgers-console-{size}-03-notices")
        page.locator("#main-nav a", has_text="先锋岗").click()
        page.fill("#post-name", f"注塑车间先锋岗{size}")
        page.click("#post-save")
        post = page.locator("#posts li", has_text=f"注塑车间先锋岗{size}")
        expect(post).to_contain_text("在岗：暂无")
        post.locator("select").focus()
        expect(post.locator("select option", has_text="张三")).to_have_count(1)
        post.locator("select").select_option(label="张三")
        post.locator("button", has_text="指派上岗").click()
        expect(page.locator("#posts li", has_text=f"注塑车间先锋岗{size}")).to_contain_text(
            "在岗：张三"
        )
        shot(page, tmp_path, f"ledgers-console-{size}-04-posts")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    finally:
        context.close()
    paid = db.session.scalars(select(DuesPayment.member_id)).all()
    db.session.rollback()
    assert sorted(paid) == sorted([ledgers["member_a"], ledgers["member_a2"]])
    assert problems == []


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_committee_reads_the_coverage_report(browser, live_server, ledgers, tmp_path, size):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, "committee")
        page.locator("#main-nav a", has_text="企业台账").click()
        modes = page.locator("#ledger-modes")
        expect(modes.locator('tr[data-mode="should_standalone"]')).to_contain_text(
            "1 家（1 家待落实）"
        )
        expect(modes.locator('tr[data-mode="standalone"]')).to_contain_text("1 家")
        expect(modes.locator('tr[data-mode="dispatched"]')).to_contain_text("1 家")
        expect(modes.locator('tr[data-mode="joint_or_affiliated"]')).to_contain_text("1 家")
        expect(modes).to_contain_text("4 家（1 家待落实）")
        expect(page.locator("#ledger-ents")).to_contain_text("乙公司")
        expect(page.locator("#ledger-visits")).to_contain_text("王五")
        expect(page.locator("#ledger-overdue")).to_contain_text("甲公司")
        shot(page, tmp_path, f"ledgers-console-{size}-05-coverage")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    finally:
        context.close()
    assert problems == []
