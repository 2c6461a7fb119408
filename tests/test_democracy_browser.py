"""The 表决 and 发展党员 pages in a real headless Chromium, at a desk (1440×900) and on a phone
(390×844): a secretary prepares a vote at a 党员大会, opens it, the members vote through the
API (the member app is issue 13's), she closes it and reads the count; she walks an applicant
from the application to 预备党员, the admission voted at the same meeting. Screenshots go to
tmp_path (and $SCREENSHOT_DIR)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.activities.models import Activity, Attendance
from app.activities.services import set_window
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.timeutil import local_day, utcnow
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


def _meeting(park) -> tuple[int, list[int]]:
    """A 党员大会 of the secretary's branch now, every full member signed in."""
    own = db.session.get(Organization, park["own_id"])
    act = Activity(
        org_id=own.id,
        type="general_meeting",
        title="第四季度支部党员大会",
        starts_at=utcnow() - timedelta(minutes=10),
        ends_at=utcnow() + timedelta(hours=2),
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        status="published",
        published_at=utcnow(),
    )
    set_window(act)
    db.session.add(act)
    db.session.flush()
    full = list(
        db.session.scalars(
            select(Member.id).where(
                Member.org_id == own.id, Member.is_active.is_(True), Member.status == "full"
            )
        )
    )
    for mid in full:
        db.session.add(
            Attendance(
                activity_id=act.id,
                member_id=mid,
                status="present",
                method="manual",
                checked_in_at=utcnow(),
            )
        )
    db.session.commit()
    out = act.id, full
    db.session.rollback()
    return out


def _everyone_votes(client, vote_id: int, voters: list[int]) -> None:
    for mid in voters:
        r = call(
            client,
            "POST",
            f"/api/v1/votes/{vote_id}/ballot",
            json={"choice": "yes"},
            headers=member_headers(mid),
        )
        assert r.status_code == 201, r.json


def _step(page, kind: str, on: str) -> None:
    from playwright.sync_api import expect

    # an earlier toast must not stand for this step's answer
    page.locator("#toast").evaluate("n => { n.hidden = true; n.textContent = ''; }")
    page.select_option("#rec-step-kind", kind)
    page.fill("#rec-step-on", on)
    page.click("#rec-step-save")
    expect(page.locator("#toast")).to_contain_text("已记录")
    expect(page.locator("#rec-step-error")).to_be_hidden()


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_a_vote_and_an_applicant_to_probationary(
    size, browser, live_server, client, park, tmp_path
):
    from playwright.sync_api import expect

    viewport = SIZES[size]
    suffix = f"{viewport['width']}x{viewport['height']}"
    meeting_id, voters = _meeting(park)
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(12_000)
    page = context.new_page()
    try:
        log_in(page, live_server, "secretary")
        # --- a motion: prepare, open, members vote, close, the count ---------------------------
        go(page, "表决")
        page.select_option("#vote-meeting", str(meeting_id))
        expect(page.locator("#vote-new")).to_be_visible()
        page.fill("#vote-title", "通过支部年度工作计划")
        page.click("#vote-create")
        row = page.locator(".vote-row", has_text="通过支部年度工作计划")
        expect(row).to_contain_text("未开始")
        shot(page, tmp_path, f"votes-draft-{suffix}")
        row.get_by_role("button", name="开始表决").click()
        expect(row).to_contain_text("投票中")
        vote_id = int(row.get_attribute("data-vote"))
        _everyone_votes(client, vote_id, voters)
        row.get_by_role("button", name="结束并计票").click()
        n = len(voters)
        expect(row.locator(".vote-result")).to_contain_text(f"应到 {n} 人，实到 {n} 人")
        expect(row.locator(".vote-result")).to_contain_text(f"赞成 {n}，反对 0，弃权 0 —— 通过")
        no_sideways_scroll(page, viewport["width"])
        shot(page, tmp_path, f"votes-closed-{suffix}")

        # --- an applicant walked through to 预备党员 ------------------------------------------
        go(page, "发展党员")
        today = local_day(utcnow())
        page.select_option("#rec-org", str(park["own_id"]))
        page.fill("#rec-name", "小李")
        page.fill("#rec-birth", "1995-05-01")
        page.fill("#rec-applied", "2024-09-01")
        page.click("#rec-create")
        app_row = page.locator(".rec-row", has_text="小李")
        expect(app_row).to_contain_text("入党申请人")
        app_row.get_by_role("button", name="记录下一步").click()
        expect(page.locator("#rec-step")).to_be_visible()
        # a late talk: the rule is said next to the button
        page.select_option("#rec-step-kind", "talk")
        page.fill("#rec-step-on", "2024-10-15")
        page.click("#rec-step-save")
        expect(page.locator("#rec-step-error")).to_contain_text("一个月内")
        shot(page, tmp_path, f"recruit-talk-late-{suffix}")
        _step(page, "talk", "2024-09-20")
        a, b = voters[0], voters[1]
        page.select_option("#rec-step-kind", "activist")
        page.fill("#rec-step-on", "2024-10-01")
        page.select_option("#rec-people", [str(a)])
        page.click("#rec-step-save")
        expect(page.locator("#rec-step-title")).to_contain_text("入党积极分子")
        _step(page, "assessment", "2025-03-01")
        _step(page, "assessment", "2025-09-01")
        _step(page, "candidate", "2025-10-10")
        _step(page, "review", "2025-10-20")
        page.select_option("#rec-step-kind", "training")
        page.fill("#rec-hours", "24")
        _step(page, "training", "2025-11-01")
        page.select_option("#rec-step-kind", "introducers")
        page.select_option("#rec-people", [str(a), str(b)])
        _step(page, "introducers", "2025-11-02")
        _step(page, "notice", (today - timedelta(days=10)).isoformat())
        expect(page.locator("#rec-step-title")).to_contain_text("发展对象")
        shot(page, tmp_path, f"recruit-candidate-{suffix}")

        # the admission voted at the 党员大会
        go(page, "表决")
        page.select_option("#vote-meeting", str(meeting_id))
        page.select_option("#vote-kind", "admission")
        page.select_option("#vote-subject", label="小李")
        page.dispatch_event("#vote-kind", "change")
        expect(page.locator("#vote-title")).to_have_value("接收小李同志为中共预备党员")
        page.click("#vote-create")
        row = page.locator(".vote-row", has_text="接收小李")
        row.get_by_role("button", name="开始表决").click()
        expect(row).to_contain_text("投票中")
        _everyone_votes(client, int(row.get_attribute("data-vote")), voters)
        row.get_by_role("button", name="结束并计票").click()
        expect(row.locator(".vote-result")).to_contain_text("通过")

        go(page, "发展党员")
        page.locator(".rec-row", has_text="小李").get_by_role("button", name="记录下一步").click()
        page.select_option("#rec-step-kind", "admit")
        expect(page.locator("#rec-vote option")).to_contain_text(
            "接收小李同志为中共预备党员（通过）"
        )
        page.fill("#rec-step-on", today.isoformat())
        page.click("#rec-step-save")
        expect(page.locator(".rec-row", has_text="小李")).to_contain_text("预备党员")
        no_sideways_scroll(page, viewport["width"])
        shot(page, tmp_path, f"recruit-probationary-{suffix}")
    finally:
        context.close()
    person = db.session.scalar(select(Member).where(Member.name == "小李"))
    assert person.status == "probationary" and person.probation_started_on == today
