"""Issue 19 in a real headless Chromium, as a member at phone size (390×844) and at a desk:
home says what is to do; the member sees what dues they owe and their history, opens a notice
and confirms it; shows the 亮身份 card, whose QR link says the card is current.
Screenshots go to tmp_path and $SCREENSHOT_DIR (see tests/browser_helpers.py)."""

from __future__ import annotations

from datetime import date

import pytest
from flask_jwt_extended import create_refresh_token

from app.dues.models import DuesBase, DuesPayment
from app.dues.rules import add_months, month_start
from app.extensions import db
from app.notices.models import Notice, NoticeReceipt
from app.posts.models import Post, PostHolder
from app.timeutil import local_day, utcnow
from tests.browser_helpers import DESKTOP, PHONE, browser_tab, shot


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=12_000)


@pytest.fixture
def ledgers(live_server, park):
    """Member A: 40.00 元 a month for three months, the first paid; a notice to confirm; a post."""
    live_server.app.config["PUBLIC_BASE_URL"] = live_server.url
    now = utcnow()
    this_month = month_start(local_day(now))
    first = add_months(this_month, -2)
    member_id = park.member_a.id
    db.session.add(
        DuesBase(member_id=member_id, effective_from=first, category="on_job", base_fen=400_000)
    )
    db.session.add(
        DuesPayment(
            member_id=member_id,
            org_id=park.branch_a.id,
            month=first,
            amount_fen=4_000,
            method="wechat",
            idempotency_key="browser-paid-1",
            recorded_by="赵书记",
            recorded_at=now,
        )
    )
    notice = Notice(
        org_id=park.branch_a.id,
        title="关于开展主题党日活动的通知",
        body="请全体党员于**周五下午3点**到党群服务中心参加主题党日。\n\n- 带好党员证\n- 准时签到",
        publish_at=now,
        needs_confirmation=True,
        created_by="赵书记",
    )
    post = Post(
        org_id=park.branch_a.id,
        kind="pioneer",
        name="注塑车间党员先锋岗",
        place="二号车间",
        commitment="产品合格率99.5%以上",
        starts_on=date(2026, 1, 1),
    )
    db.session.add_all([notice, post])
    db.session.flush()
    db.session.add(NoticeReceipt(notice_id=notice.id, member_id=member_id))
    db.session.add(
        PostHolder(post_id=post.id, member_id=member_id, how="claimed", since=date(2026, 1, 1))
    )
    notice_id = notice.id
    db.session.commit()
    # plain values only: touching an expired ORM object later would open a SQLite write
    # transaction in the test's thread and hold up the live server's requests
    return {
        "member_id": member_id,
        "notice_id": notice_id,
        "refresh": create_refresh_token(identity=f"m:{member_id}"),
    }


def _login(page, base, refresh):
    page.goto(f"{base}/m/login")
    page.evaluate("t => localStorage.setItem('party.member.refresh', t)", refresh)


def test_member_sees_dues_owed_and_confirms_a_notice_on_a_phone(
    browser, live_server, ledgers, tmp_path
):
    from playwright.sync_api import expect

    errors: list[str] = []
    base = live_server.url
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        _login(page, base, ledgers["refresh"])
        page.goto(f"{base}/m/")
        todo = page.locator("#ledger-todo")
        expect(todo).to_contain_text("1 条通知待确认")
        expect(todo).to_contain_text("党费待交 80.00 元（2 个月）")
        shot(page, tmp_path, "ledgers-phone-01-home")
        page.locator("#ledger-todo a", has_text="党费待交").click()
        expect(page).to_have_url(f"{base}/m/dues")
        expect(page.locator("#owed")).to_have_text("80.00")
        expect(page.locator("#ledger")).to_contain_text("40.00 元")
        expect(page.locator("#months")).to_contain_text("已交")
        shot(page, tmp_path, "ledgers-phone-02-dues")
        page.goto(f"{base}/m/notices")
        expect(page.locator("#notices")).to_contain_text("待确认")
        shot(page, tmp_path, "ledgers-phone-03-notices")
        page.locator("#notices a", has_text="主题党日").click()
        expect(page.locator("#notice-title")).to_have_text("关于开展主题党日活动的通知")
        expect(page.locator("#notice-body strong")).to_have_text("周五下午3点")
        shot(page, tmp_path, "ledgers-phone-04-notice")
        page.locator("#confirm").click()
        expect(page.locator("#confirm-text")).to_contain_text("您已于")
        expect(page.locator("#confirm")).to_be_hidden()
        shot(page, tmp_path, "ledgers-phone-05-confirmed")
        page.goto(f"{base}/m/notices")
        expect(page.locator("#notices")).to_contain_text("已确认")
        page.goto(f"{base}/m/card")
        expect(page.locator("#card-name")).to_have_text("张三")
        expect(page.locator("#card-posts")).to_contain_text("注塑车间党员先锋岗")
        expect(page.locator("#card-qr")).to_be_visible()
        shot(page, tmp_path, "ledgers-phone-06-card")
    assert errors == []
    receipt = db.session.query(NoticeReceipt).filter_by(notice_id=ledgers["notice_id"]).one()
    assert receipt.confirmed_at is not None and receipt.read_at is not None
    db.session.commit()


def test_card_check_and_pages_at_a_desk(
    browser, live_server, ledgers, tmp_path, client, auth_headers
):
    from playwright.sync_api import expect

    errors: list[str] = []
    base = live_server.url
    with browser_tab(browser, DESKTOP, errors=errors) as page:
        _login(page, base, ledgers["refresh"])
        for n, name in enumerate(("", "dues", "notices", "card"), start=1):
            page.goto(f"{base}/m/{name}")
            page.wait_for_load_state("networkidle")
            expect(page.locator("#status")).not_to_have_class("m-status m-status-error")
            shot(page, tmp_path, f"ledgers-desk-{n:02d}-{name or 'home'}")
    headers = auth_headers(f"m:{ledgers['member_id']}")
    verify_url = client.get("/api/v1/me/card", headers=headers).json["verify_url"]
    db.session.commit()
    headers = auth_headers(f"m:{ledgers['member_id']}")
    verify_url = client.get("/api/v1/me/card", headers=headers).json["verify_url"]
    db.session.commit()
    with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
        page.goto(verify_url)  # whoever scans the card, without any session
        expect(page.locator("h1")).to_have_text("✓ 身份有效")
        expect(page.locator("main")).to_contain_text("注塑车间党员先锋岗")
        shot(page, tmp_path, "ledgers-phone-07-card-check")
        page.goto(f"{base}/m/card/check?token=forged")
        expect(page.locator("h1")).to_have_text("无法核验")
        shot(page, tmp_path, "ledgers-phone-08-card-forged")
    assert errors == []
