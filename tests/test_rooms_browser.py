"""The 活动室 screen (issue 21, part 3) in a real headless Chromium, on a phone (390×844) and
at a desk (1440×900): a branch secretary books a room of the Party–masses centre for next
week, creates the activity in that slot (its location is the room's), and sees the booking
in the room's week. Screenshots go to tmp_path (and $SCREENSHOT_DIR)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.activities.models import Activity
from app.extensions import db
from app.rooms.models import Booking, Room
from app.timeutil import local_day, utcnow
from tests.test_console_browser import shot, watch
from tests.test_ledgers_console_browser import SIZES, log_in


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=12_000)


@pytest.fixture
def centre(park, make_user):
    """Two rooms of the park's centre; 赵书记 (branch A's secretary) has a console login."""
    make_user("sec", member_id=park.secretary_a.id, display_name="赵书记")
    for name, capacity, approval in (("多功能厅", 60, False), ("党员活动室", 20, True)):
        db.session.add(
            Room(
                org_id=park.park.id,
                name=name,
                place="党群服务中心二楼",
                capacity=capacity,
                equipment=["投影仪", "音响"],
                open_weekdays=[1, 2, 3, 4, 5, 6, 7],
                opens_at=time(8, 30),
                closes_at=time(21, 0),
                needs_approval=approval,
            )
        )
    db.session.commit()
    today = local_day(utcnow())
    return {"day": today - timedelta(days=today.isoweekday() - 1) + timedelta(days=9)}


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_secretary_books_a_room_and_holds_the_activity_there(
    browser, live_server, centre, tmp_path, size
):
    from playwright.sync_api import expect

    day = centre["day"]  # next week's Wednesday
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, "sec")
        page.locator("#main-nav a", has_text="活动室").click()
        expect(page.locator("#rooms-facts")).to_contain_text("党员活动室")  # the first by name
        page.select_option("#rooms-room", label="多功能厅")
        expect(page.locator("#rooms-facts")).to_contain_text("容纳 60 人")
        expect(page.locator("#rooms-week > li")).to_have_count(7)
        shot(page, tmp_path, f"rooms-{size}-01-week")
        page.click("#rooms-next")
        page.fill("#rooms-title", "主题党日")
        page.fill("#rooms-date", day.isoformat())
        page.fill("#rooms-start", "14:00")
        page.fill("#rooms-end", "16:00")
        page.fill("#rooms-attendance", "12")
        page.click("#rooms-book")
        expect(page.locator("#rooms-booked")).to_contain_text("已预约 多功能厅")
        booked_day = page.locator(f'#rooms-week li[data-day="{day.isoformat()}"]')
        expect(booked_day).to_contain_text("14:00–16:00")
        expect(booked_day).to_contain_text("A企业党支部")
        # the same slot again: refused, clearly, where she acted
        page.fill("#rooms-title", "再约一次")
        page.click("#rooms-book")
        expect(page.locator("#rooms-book-error")).to_contain_text("该时段已被预约")
        shot(page, tmp_path, f"rooms-{size}-02-booked")
        page.locator("#rooms-booked a", has_text="在这个时段创建活动").click()
        expect(page.locator("#act-form-view")).to_be_visible()
        expect(page.locator("#act-location")).to_have_value("党群服务中心二楼 多功能厅")
        expect(page.locator("#act-start")).to_have_value(f"{day.isoformat()}T14:00")
        page.fill("#act-title", "主题党日：重温入党誓词")
        shot(page, tmp_path, f"rooms-{size}-03-activity-form")
        page.click("#act-save-publish")
        expect(page.locator("#act-detail-view")).to_be_visible()
        expect(page.locator("#act-detail-view")).to_contain_text("党群服务中心二楼 多功能厅")
        shot(page, tmp_path, f"rooms-{size}-04-activity")
        page.locator("#main-nav a", has_text="活动室").click()
        booked_day = page.locator(f'#rooms-week li[data-day="{day.isoformat()}"]')
        expect(booked_day.locator("a", has_text="查看活动")).to_have_count(1)
        expect(page.locator("#rooms-book-error")).to_be_hidden()
        shot(page, tmp_path, f"rooms-{size}-05-week-with-activity")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    finally:
        context.close()
    activity = db.session.scalars(select(Activity)).one()
    booking = db.session.scalars(select(Booking).where(Booking.status == "approved")).one()
    db.session.rollback()
    assert activity.location == "党群服务中心二楼 多功能厅"
    assert booking.activity_id == activity.id
    # the refused second booking is the one failed request the browser logs
    assert [p for p in problems if "409" not in p] == []
