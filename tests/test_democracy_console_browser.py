"""The console's elections, surveys and 民主评议 screens in a real headless Chromium, at a desk
(1440×900) and on a phone (390×844) (issue 20): the secretary runs a committee election at a
党员大会 (差额: two candidates for one seat) and reads who is elected; publishes a survey,
reads its counts after members answered, closes it; opens the year's 民主评议, grades members
(a failing grade with its 限期改正 deadline), reads the summary by grade and closes the round.
Screenshots go to tmp_path (and $SCREENSHOT_DIR)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.org.models import OrgRole
from app.reviews.models import ReviewDecision, ReviewRound
from app.timeutil import local_day, utcnow
from app.votes.models import Survey
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


def _tab(page, label: str) -> None:
    page.locator(".dem-tabs:visible a", has_text=label).click()


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_election_survey_and_review_in_the_console(
    size, browser, live_server, client, park, tmp_path
):
    from playwright.sync_api import expect

    viewport = SIZES[size]
    suffix = f"{viewport['width']}x{viewport['height']}"
    meeting_id, voters = _meeting(park)
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(12_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, live_server, "secretary")
        # --- a committee election: two candidates for one seat ------------------------------
        go(page, "表决")
        page.select_option("#vote-meeting", str(meeting_id))
        expect(page.locator("#vote-new")).to_be_visible()
        page.select_option("#vote-kind", "election")
        expect(page.locator("#vote-candidates-field")).to_be_visible()
        expect(page.locator("#vote-title")).to_have_value("选举产生新一届支部委员会")
        page.fill("#vote-seats", "1")
        first, second = voters[0], voters[1]
        page.select_option("#vote-candidates", [str(first)])
        page.click("#vote-create")  # one candidate for one seat: not 差额
        expect(page.locator("#vote-form-error")).to_contain_text("差额")
        page.select_option("#vote-candidates", [str(first), str(second)])
        shot(page, tmp_path, f"dem-election-form-{suffix}")
        page.click("#vote-create")
        row = page.locator(".vote-row", has_text="选举产生新一届支部委员会")
        # the create and the list's reload: slow when the whole suite loads both cores
        expect(row).to_contain_text("应选 1 人", timeout=30_000)
        row.get_by_role("button", name="开始表决").click()
        expect(row).to_contain_text("投票中")
        vote_id = int(row.get_attribute("data-vote"))
        # all but one mark the first candidate on their phones; the last hands in a paper
        # ballot marking the second, which the tellers enter in the console
        for mid in voters[:-1]:
            r = call(
                client,
                "POST",
                f"/api/v1/votes/{vote_id}/ballot",
                json={"candidate_ids": [first]},
                headers=member_headers(mid),
            )
            assert r.status_code == 201, r.json
        row.get_by_role("button", name="录入纸质选票").click()
        paper = row.locator(".vote-paper")
        expect(paper.locator(".vote-paper-who input")).to_have_count(1)  # the others voted
        paper.get_by_role("button", name="提交纸质选票").click()
        expect(row.locator(".form-error")).to_have_text("请勾选交回纸质选票的党员")
        paper.locator(f".vote-paper-who input[value='{voters[-1]}']").check()
        expect(paper.locator(".vote-paper-tally")).to_have_text(
            "交回 1 人，已录入 0 张（两者须相等）"
        )
        paper.locator(f".vote-paper-marks input[value='{second}']").check()
        paper.get_by_role("button", name="记下这张选票").click()
        expect(paper.locator(".vote-paper-tally")).to_have_text("交回 1 人，已录入 1 张")
        shot(page, tmp_path, f"dem-election-paper-{suffix}")
        paper.get_by_role("button", name="提交纸质选票").click()
        expect(page.locator("#toast")).to_contain_text("已录入 1 张纸质选票")
        row = page.locator(".vote-row", has_text="选举产生新一届支部委员会")
        expect(row.locator(".vote-paper")).to_have_count(0)  # the list was read again
        row.get_by_role("button", name="结束并计票").click()
        n = len(voters)
        result = row.locator(".vote-result")
        expect(result).to_contain_text(f"应到 {n} 人，实到 {n} 人，收回 {n} 张选票")
        expect(result).to_contain_text(f"{n - 1} 票（当选）")
        expect(result).to_contain_text(" 1 票")
        expect(row.get_by_role("button", name="导出结果")).to_be_visible()
        no_sideways_scroll(page, viewport["width"])
        shot(page, tmp_path, f"dem-election-result-{suffix}")
        # the elected take office: each one's role, the term's first day (today by default)
        row.get_by_role("button", name="产生新一届支委会").click()
        form = row.locator(".vote-committee")
        form.get_by_role("button", name="确认分工并就任").click()
        expect(row.locator(".form-error")).to_have_text("请为每位当选委员选择分工")
        form.locator(".vote-role").select_option("secretary")
        shot(page, tmp_path, f"dem-election-seat-{suffix}")
        form.get_by_role("button", name="确认分工并就任").click()
        row = page.locator(".vote-row", has_text="选举产生新一届支部委员会")
        expect(row.locator(".vote-term")).to_contain_text("新一届支委会任期", timeout=30_000)
        expect(row.get_by_role("button", name="产生新一届支委会")).to_have_count(0)
        no_sideways_scroll(page, viewport["width"])
        shot(page, tmp_path, f"dem-election-seated-{suffix}")
        seated = db.session.scalars(
            select(OrgRole.role).where(
                OrgRole.org_id == park["own_id"],
                OrgRole.member_id == first,
                OrgRole.until.is_(None),
            )
        ).all()
        db.session.rollback()
        assert "secretary" in seated

        # --- a survey ----------------------------------------------------------------------
        _tab(page, "问卷")
        expect(page.locator("#page-surveys")).to_be_visible()
        expect(page.locator("#sv-state")).to_contain_text("还没有问卷")
        page.select_option("#sv-org", str(park["own_id"]))
        page.click("#sv-create")
        expect(page.locator("#sv-form-error")).to_contain_text("请填写问卷标题")
        page.fill("#sv-title", "支部活动时间意见征集")
        q1 = page.locator("#sv-questions > li").nth(0)
        q1.locator(".sv-q-text").fill("哪个时间更合适？")
        q1.locator(".sv-q-options").fill("周五下午\n周六上午")
        page.click("#sv-add")
        q2 = page.locator("#sv-questions > li").nth(1)
        q2.locator(".sv-q-kind").select_option("text")
        q2.locator(".sv-q-text").fill("其他建议")
        shot(page, tmp_path, f"dem-survey-form-{suffix}")
        page.click("#sv-create")
        sv_row = page.locator(".sv-row", has_text="支部活动时间意见征集")
        expect(sv_row).to_contain_text("匿名 · 2 题 · 进行中")
        survey_id = int(sv_row.get_attribute("data-survey"))
        for i, mid in enumerate(voters[:3]):
            r = call(
                client,
                "POST",
                f"/api/mp/v1/surveys/{survey_id}/answers",
                json={"answers": [0 if i < 2 else 1, "多组织实践活动" if i == 0 else ""]},
                headers=member_headers(mid),
            )
            assert r.status_code == 201, r.json
        sv_row.get_by_role("button", name="查看结果").click()
        expect(page.locator("#sv-results-count")).to_have_text("已有 3 人填写")
        counts = page.locator("#sv-results-list .dem-count")
        expect(counts.nth(0)).to_contain_text("周五下午")
        expect(counts.nth(0)).to_contain_text("2 人")
        expect(counts.nth(1)).to_contain_text("1 人")
        expect(page.locator("#sv-results-list")).to_contain_text("多组织实践活动")
        no_sideways_scroll(page, viewport["width"])
        shot(page, tmp_path, f"dem-survey-results-{suffix}")
        sv_row.get_by_role("button", name="结束问卷").click()
        expect(page.locator(".sv-row", has_text="支部活动时间意见征集")).to_contain_text("已结束")

        # --- 民主评议 ------------------------------------------------------------------------
        _tab(page, "民主评议")
        expect(page.locator("#page-reviews")).to_be_visible()
        year = local_day(utcnow()).year
        expect(page.locator("#rv-year")).to_have_value(str(year))
        page.select_option("#rv-org", str(park["own_id"]))
        page.click("#rv-create")
        expect(page.locator("#rv-detail")).to_be_visible()
        members = page.locator(".rv-member")
        total = members.count()
        assert total >= 2
        expect(page.locator("#rv-summary")).to_contain_text(f"未评定 {total} 人（共 {total} 人）")
        good = members.nth(0)
        good.locator(".rv-grade").select_option("优秀")
        good.get_by_role("button", name="评定").click()
        expect(page.locator("#rv-summary")).to_contain_text("优秀 1 人")
        bad = page.locator(".rv-member").nth(1)
        bad.locator(".rv-grade").select_option("不合格")
        bad.get_by_role("button", name="评定").click()
        expect(page.locator("#rv-summary")).to_have_text(
            "优秀 1 人，合格 0 人，基本合格 0 人，不合格 1 人，"
            f"未评定 {total - 2} 人（共 {total} 人）"
        )
        bad = page.locator(".rv-member").nth(1)
        too_far = local_day(utcnow()).replace(year=year + 2)
        bad.locator(".rv-deadline").fill(too_far.isoformat())
        bad.get_by_role("button", name="保存期限").click()
        expect(page.locator(".rv-member").nth(1).locator(".form-error")).to_contain_text("一年")
        deadline = local_day(utcnow()) + timedelta(days=30)
        page.locator(".rv-member").nth(1).locator(".rv-deadline").fill(deadline.isoformat())
        page.locator(".rv-member").nth(1).get_by_role("button", name="保存期限").click()
        expect(page.locator(".rv-member").nth(1)).to_contain_text("限期改正至")
        no_sideways_scroll(page, viewport["width"])
        shot(page, tmp_path, f"dem-review-grades-{suffix}")
        # the results as the branch files them: an Excel download fetched with the token
        with (
            page.expect_response(lambda r: "results?format=xlsx" in r.url) as answer,
            page.expect_download() as download_info,
        ):
            page.click("#rv-export")
        assert answer.value.status == 200
        assert download_info.value.suggested_filename == f"review-{year}-{park['own_id']}.xlsx"
        page.click("#rv-close")
        expect(page.locator("#rv-detail-title")).to_contain_text("已结束")
        expect(page.locator(".rv-grade")).to_have_count(0)  # frozen
        shot(page, tmp_path, f"dem-review-closed-{suffix}")
    finally:
        context.close()
    assert errors == []
    survey = db.session.get(Survey, survey_id)
    assert survey.status == "closed"
    rnd = db.session.scalar(select(ReviewRound).where(ReviewRound.org_id == park["own_id"]))
    assert (rnd.year, rnd.status) == (year, "closed")
    grades = sorted(
        d.grade
        for d in db.session.scalars(select(ReviewDecision).where(ReviewDecision.round_id == rnd.id))
    )
    assert grades == ["不合格", "优秀"]
    db.session.rollback()
