"""Members vote from the member app in a real headless Chromium (issue 20): the secretary opens
a motion at a 党员大会 in the console; members on 390 px phones find it on their home, cast a
secret ballot once (a second attempt from a stale page says 已投票), see only "已投票" until
the secretary closes the vote in the console, then the result. A member answers a survey.
Screenshots at phone and desktop size go to tmp_path (and $SCREENSHOT_DIR)."""

from __future__ import annotations

from flask_jwt_extended import create_refresh_token
from sqlalchemy import func, select

from app.extensions import db
from app.votes.models import Ballot, Survey, SurveyAnswer, VoteMark
from tests.browser_helpers import DESKTOP, PHONE, browser_tab
from tests.browser_helpers import shot as member_shot
from tests.test_console_workbench_browser import (  # noqa: F401 — fixtures and helpers
    SIZES,
    _expect_timeout,
    call,
    go,
    log_in,
    member_headers,
    no_sideways_scroll,
    park,
    shot,
)
from tests.test_democracy_browser import _meeting


def _phone_login(page, base: str, member_id: int) -> None:
    page.goto(f"{base}/m/login")
    page.evaluate(
        "t => localStorage.setItem('party.member.refresh', t)",
        create_refresh_token(identity=f"m:{member_id}"),
    )


def _vote_from_home(page, base: str, title: str) -> None:
    """Home → the vote's 去投票 → 赞成 → 确认投票 → 已投票, and no result yet."""
    from playwright.sync_api import expect

    page.goto(f"{base}/m/")
    row = page.locator("#democracy-list .vote-row", has_text=title)
    expect(row).to_contain_text("去投票")
    row.get_by_role("link", name="去投票").click()
    expect(page.locator("#ballot-form")).to_be_visible()
    page.get_by_label("赞成").check()
    page.click("#ballot-submit")
    expect(page.locator("#vote-done")).to_be_visible()
    expect(page.locator("#vote-done")).to_contain_text("已投票")
    expect(page.locator("#ballot-form")).to_be_hidden()
    expect(page.locator("#vote-result")).to_be_hidden()


def test_members_vote_on_phones_and_see_the_result_after_the_close(
    browser, live_server, client, park, tmp_path
):
    from playwright.sync_api import expect

    base = live_server.url
    meeting_id, voters = _meeting(park)
    n = len(voters)
    assert n >= 4  # the demo branch: three phones, a stale page, any others by API
    survey = call(
        client,
        "POST",
        "/api/v1/surveys",
        json={
            "org_id": park["own_id"],
            "title": "党员活动时间意见征集",
            "anonymous": True,
            "questions": [
                {"kind": "single", "text": "哪个时间更合适？", "options": ["周五下午", "周六上午"]},
                {"kind": "text", "text": "其他建议"},
            ],
        },
        headers=member_headers(_secretary(park)),
    )
    assert survey.status_code == 201, survey.json
    survey_id = survey.json["id"]
    errors: list[str] = []
    console = browser.new_context(
        viewport=SIZES["desk"], locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    console.set_default_timeout(12_000)
    desk = console.new_page()
    try:
        # --- the secretary prepares and opens the motion in the console --------------------
        log_in(desk, live_server, "secretary")
        go(desk, "表决")
        desk.select_option("#vote-meeting", str(meeting_id))
        desk.fill("#vote-title", "通过支部年度工作计划")
        desk.click("#vote-create")
        row = desk.locator(".vote-row", has_text="通过支部年度工作计划")
        row.get_by_role("button", name="开始表决").click()
        expect(row).to_contain_text("投票中")
        vote_id = int(row.get_attribute("data-vote"))

        # --- three members vote from their phones ------------------------------------------
        phones = voters[:3]
        for i, mid in enumerate(phones):
            with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
                _phone_login(page, base, mid)
                if i == 0:
                    page.goto(f"{base}/m/")
                    expect(page.locator("#democracy-list")).to_contain_text("党员活动时间意见征集")
                    member_shot(page, tmp_path, "votes-member-phone-01-home")
                _vote_from_home(page, base, "通过支部年度工作计划")
                if i == 0:
                    member_shot(page, tmp_path, "votes-member-phone-02-voted")
                    no_sideways_scroll(page, PHONE["width"])
        # a stale ballot page: the member already voted on another phone
        with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
            stale = voters[3]
            _phone_login(page, base, stale)
            page.goto(f"{base}/m/votes/{vote_id}")
            expect(page.locator("#ballot-form")).to_be_visible()
            page.get_by_label("反对").check()
            member_shot(page, tmp_path, "votes-member-phone-03-ballot")
            other_phone = call(
                client,
                "POST",
                f"/api/mp/v1/votes/{vote_id}/ballot",
                json={"choice": "yes"},
                headers=member_headers(stale),
            )
            assert other_phone.status_code == 201
            page.click("#ballot-submit")
            expect(page.locator("#status")).to_contain_text("已投票")
            expect(page.locator("#vote-done")).to_contain_text("已投票")
            expect(page.locator("#ballot-form")).to_be_hidden()
            member_shot(page, tmp_path, "votes-member-phone-04-already-voted")
        # the others vote through the API (their phones are not the point here)
        for mid in voters[4:]:
            r = call(
                client,
                "POST",
                f"/api/mp/v1/votes/{vote_id}/ballot",
                json={"choice": "yes"},
                headers=member_headers(mid),
            )
            assert r.status_code == 201, r.json
        # exactly one mark and one ballot per voter: the stale page's "no" was refused
        assert db.session.scalar(select(func.count()).select_from(VoteMark)) == n
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == n
        assert db.session.scalar(select(func.count()).where(Ballot.choice == "no")) == 0
        db.session.rollback()

        # --- the secretary closes; the members see the result ------------------------------
        row.get_by_role("button", name="结束并计票").click()
        expect(row.locator(".vote-result")).to_contain_text(f"赞成 {n}，反对 0，弃权 0 —— 通过")
        with browser_tab(browser, PHONE, phone=True, errors=errors) as page:
            _phone_login(page, base, voters[0])
            page.goto(f"{base}/m/votes/{vote_id}")
            expect(page.locator("#vote-result")).to_be_visible()
            expect(page.locator("#result-outcome")).to_have_text("通过")
            counts = page.locator("#result-counts")
            expect(counts).to_contain_text(f"应到{n} 人")
            expect(counts).to_contain_text(f"赞成{n} 票")
            expect(page.locator("#vote-done")).to_contain_text("您已在线投票")
            member_shot(page, tmp_path, "votes-member-phone-05-result")
            no_sideways_scroll(page, PHONE["width"])
            page.goto(f"{base}/m/votes")
            closed = page.locator("#votes-closed .vote-row", has_text="通过支部年度工作计划")
            expect(closed.locator(".m-pill")).to_have_text("通过")
            # the survey, answered once
            page.locator("#surveys a", has_text="去填写").click()
            expect(page.locator("#survey-form")).to_be_visible()
            page.click("#survey-submit")
            expect(page.locator("#survey-error")).to_contain_text("请回答第 1 题")
            page.get_by_label("周六上午").check()
            page.fill("textarea[name=q1]", "希望安排在周六上午")
            member_shot(page, tmp_path, "votes-member-phone-06-survey")
            page.click("#survey-submit")
            # visible: the hidden panel holds "已提交" from the start, so wait for the answer
            expect(page.locator("#survey-done")).to_be_visible()
            expect(page.locator("#survey-done")).to_contain_text("已提交")
            page.goto(f"{base}/m/surveys/{survey_id}")
            expect(page.locator("#survey-done")).to_contain_text("您已经填写过该问卷")
        with browser_tab(browser, DESKTOP, errors=errors) as page:
            _phone_login(page, base, voters[1])
            page.goto(f"{base}/m/votes/{vote_id}")
            expect(page.locator("#result-outcome")).to_have_text("通过")
            member_shot(page, tmp_path, "votes-member-desktop-01-result")
            page.goto(f"{base}/m/votes")
            expect(page.locator("#votes-closed")).to_contain_text("通过支部年度工作计划")
            member_shot(page, tmp_path, "votes-member-desktop-02-list")
    finally:
        console.close()
    assert errors == []
    (answer,) = db.session.scalars(select(SurveyAnswer)).all()
    assert answer.member_id is None and answer.answers == [[1], "希望安排在周六上午"]
    assert db.session.get(Survey, survey_id).status == "open"
    db.session.rollback()


def _secretary(park) -> int:
    from app.org.models import OrgRole

    mid = db.session.scalar(
        select(OrgRole.member_id).where(
            OrgRole.org_id == park["own_id"], OrgRole.role == "secretary"
        )
    )
    db.session.rollback()
    return mid
