"""The rest of the workbench in a real Chromium: edit and cancel an activity, the screen link,
add / edit / deactivate a member, the question bank (import with a bad row, edit, retire), and
an error envelope said where the user acted. Desk and phone screenshots of the dialogs."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.activities.models import Activity
from app.extensions import db
from app.members.models import Member
from app.study.models import QuizQuestion
from app.timeutil import to_local, utcnow
from tests.test_console_workbench_browser import (  # noqa: F401 — fixtures and helpers
    SIZES,
    WAIT_MS,
    _expect_timeout,
    go,
    log_in,
    park,
    shot,
)


def questions_xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["题型", "题目", "选项A", "选项B", "选项C", "答案", "解析"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_edit_cancel_members_and_the_question_bank(
    size, browser, live_server, client, park, tmp_path
):
    from playwright.sync_api import expect

    viewport = SIZES[size]
    suffix = f"{viewport['width']}x{viewport['height']}"
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        log_in(page, live_server, "secretary")

        # --- a draft, edited, published, its screen link, then cancelled with a reason --------
        go(page, "活动")
        page.click("#act-new")
        page.select_option("#act-type", "committee_meeting")
        expect(page.locator("#act-duration")).to_have_value("60")
        later = to_local(utcnow() + timedelta(days=3))
        page.fill("#act-start", later.strftime("%Y-%m-%dT15:00"))
        page.dispatch_event("#act-start", "change")
        page.fill("#act-title", f"{later.month}月支委会：研究发展党员工作")
        page.fill("#act-invite-q", "梁")
        page.locator("#act-invite-found button").first.click()
        expect(page.locator("#act-invite-members li")).to_have_count(1)
        page.click("#act-save-draft")
        expect(page.locator("#act-detail-view")).to_be_visible()
        expect(page.locator("#act-meta")).to_contain_text("草稿")
        expect(page.locator("#act-open-qr")).to_be_hidden()
        expect(page.locator("#act-record-note")).to_contain_text("发布并开始后")
        activity_id = int(page.evaluate("location.hash").split("/")[2])
        page.click("#act-edit")
        expect(page.locator("#act-form-title")).to_have_text("编辑活动")
        expect(page.locator("#act-duration")).to_have_value("60")
        expect(page.locator("#act-invite-members li")).to_have_text(re.compile("梁"))
        page.fill("#act-location", "三楼小会议室")
        page.click("#act-save-publish")
        expect(page.locator("#act-meta")).to_contain_text("三楼小会议室")
        page.click("#act-publish")
        expect(page.locator("#act-meta")).to_contain_text("未开始签到")
        page.click("#act-screen-link")
        expect(page.locator("#act-screen-box")).to_be_visible()
        url = page.input_value("#act-screen-url")
        assert re.match(rf"https://party\.example\.test/screen/{activity_id}\?t=", url)
        page.click("#act-cancel")
        page.click("#act-dialog-save")
        expect(page.locator("#act-dialog-error")).to_contain_text("取消原因")
        page.fill("#act-dialog-reason", "书记出差，改期")
        shot(page, tmp_path, f"wb-cancel-dialog-{suffix}", full_page=False)
        page.click("#act-dialog-save")
        expect(page.locator("#act-meta")).to_contain_text("已取消（书记出差，改期）")
        expect(page.locator("#act-cancel")).to_be_hidden()
        row = db.session.get(Activity, activity_id)
        assert row.status == "cancelled" and row.location == "三楼小会议室"
        assert [m.name[0] for m in row.invited_members] == ["梁"]
        db.session.rollback()

        # --- members: add, a duplicate phone said in the form, edit, deactivate -------------
        go(page, "党员")
        page.locator("a", has_text="添加党员").click()
        page.fill("#mem-name", "卫九")
        page.fill("#mem-phone", "13911119999")
        page.select_option("#mem-status", "probationary")
        page.fill("#mem-joined", "2025-07-01")
        page.click("#mem-save")
        expect(page.locator("#mem-list-view")).to_be_visible()
        new_row = page.locator("#mem-rows li").filter(has_text="卫九")
        expect(new_row).to_contain_text("预备党员")
        page.locator("a", has_text="添加党员").click()
        page.fill("#mem-name", "卫十")
        page.fill("#mem-phone", "13911119999")
        page.click("#mem-save")
        expect(page.locator("#mem-form-error")).to_be_visible()
        expect(page.locator("#mem-form-view")).to_be_visible()
        shot(page, tmp_path, f"wb-member-form-error-{suffix}")
        go(page, "党员")
        new_row.get_by_role("link", name="编辑").click()
        expect(page.locator("#mem-name")).to_have_value("卫九")
        page.fill("#mem-name", "卫九九")
        page.click("#mem-save")
        expect(page.locator("#mem-rows li").filter(has_text="卫九九")).to_be_visible()
        page.locator("#mem-rows li").filter(has_text="卫九九").get_by_role(
            "link", name="编辑"
        ).click()
        page.once("dialog", lambda d: d.accept())
        page.click("#mem-deactivate")
        expect(page.locator("#mem-list-view")).to_be_visible()
        expect(page.locator("#mem-rows li").filter(has_text="卫九九")).to_have_count(0)
        member = db.session.scalar(select(Member).where(Member.name == "卫九九"))
        assert member is not None and member.is_active is False
        db.session.rollback()

        # --- the question bank: a bad row is named, then the right file, edit, retire -------
        go(page, "题库")
        page.set_input_files(
            "#q-file",
            files=[
                {
                    "name": "题库.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": questions_xlsx(
                        [
                            [
                                "单选",
                                "党的根本宗旨是？",
                                "全心全意为人民服务",
                                "发展经济",
                                "",
                                "A",
                                "",
                            ],
                            ["单选", "缺答案的题", "甲", "乙", "", "", ""],
                        ]
                    ),
                }
            ],
        )
        page.click("#q-import")
        expect(page.locator("#q-import-error")).to_be_visible()
        expect(page.locator('#q-import-rows li[data-row="3"]')).to_contain_text("第 3 行")
        shot(page, tmp_path, f"wb-questions-import-error-{suffix}")
        page.set_input_files(
            "#q-file",
            files=[
                {
                    "name": "题库.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": questions_xlsx(
                        [
                            [
                                "单选",
                                "党的根本宗旨是？",
                                "全心全意为人民服务",
                                "发展经济",
                                "",
                                "A",
                                "",
                            ]
                        ]
                    ),
                }
            ],
        )
        page.click("#q-import")
        question = page.locator("#q-rows li").filter(has_text="党的根本宗旨是？")
        expect(question).to_be_visible()
        question.get_by_role("button", name="编辑").click()
        page.fill("#q-answer", "C")
        page.click("#q-save")  # no option C: said in the dialog, nothing sent
        expect(page.locator("#q-form-error")).to_contain_text("没有对应的选项")
        page.fill("#q-answer", "A")
        page.fill("#q-explanation", "党章总纲")
        shot(page, tmp_path, f"wb-question-dialog-{suffix}", full_page=False)
        page.click("#q-save")
        expect(page.locator("#q-dialog")).to_be_hidden()
        question.get_by_role("button", name="停用").click()
        expect(page.locator("#q-rows li").filter(has_text="党的根本宗旨是？")).to_have_count(0)
        saved = db.session.scalar(
            select(QuizQuestion).where(QuizQuestion.stem == "党的根本宗旨是？")
        )
        assert saved.active is False and saved.explanation == "党章总纲"
        db.session.rollback()
    finally:
        context.close()
