"""The workbench in a real headless Chromium, at a desk (1440×900) and on a phone (390×844).

A branch secretary creates and publishes a 主题党日, opens its full-screen QR view, a member
checks in through the API and the live count moves; she marks an absentee with a reason,
approves a leave request, writes the record with a photo, and posts tomorrow's morning brief
with a preview. An admin imports a members file with one bad row (the error at that row,
nothing imported), fixes it, imports, and prints invite cards. A secretary of another branch
sees none of it. Screenshots of each page at both sizes go to tmp_path (and $SCREENSHOT_DIR).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token
from PIL import Image
from sqlalchemy import func, select

from app.accounts.services import create_user
from app.activities.models import Activity, Attendance
from app.demo import DEMO_PASSWORD, seed_demo_park
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization, OrgRole
from app.records.models import ActivityAttachment
from app.study.models import StudyItem
from app.timeutil import to_local, utcnow
from tests.test_console_browser import shot as _shot
from tests.test_console_browser import stored_tokens, watch

WAIT_MS = 12_000
SIZES = {"desk": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
OWN_BRANCH = "永润欣科技党支部"


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def park(app):
    """The demo park, plus `secretary2`: the secretary of another branch, with a console login."""
    seed_demo_park(progress=False)
    db.session.commit()
    own = db.session.scalar(select(Organization).where(Organization.name == OWN_BRANCH))
    other_role = db.session.scalar(
        select(OrgRole)
        .join(Organization, Organization.id == OrgRole.org_id)
        .where(
            Organization.type == "branch",
            Organization.id != own.id,
            OrgRole.role == "secretary",
            OrgRole.member_id.is_not(None),
        )
        .order_by(Organization.path)
    )
    other = db.session.get(Organization, other_role.org_id)
    create_user("secretary2", DEMO_PASSWORD, member_id=other_role.member_id)
    db.session.commit()
    secretary = db.session.scalar(
        select(OrgRole.member_id).where(OrgRole.org_id == own.id, OrgRole.role == "secretary")
    )
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.org_id == own.id, Member.is_active.is_(True), Member.id != secretary)
            .order_by(Member.id)
        )
    )
    info = {
        "own_id": own.id,
        "other_id": other.id,
        "other_name": other.name,
        "members": [(m.id, m.name) for m in members],
    }
    db.session.rollback()  # hold no transaction while the live server writes (SQLite)
    return info


def shot(page, tmp_path, name: str, full_page: bool = True):
    """A screenshot; full pages from the top, so the sticky menu sits where a person sees it."""
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")
    return _shot(page, tmp_path, name, full_page=full_page)


def member_headers(member_id: int) -> dict:
    return {"Authorization": f"Bearer {create_access_token(identity=f'm:{member_id}')}"}


def call(client, method: str, path: str, **kw):
    """A call beside the browser; then let go of SQLite's write lock."""
    response = client.open(path, method=method, **kw)
    db.session.rollback()
    return response


def log_in(page, live_server, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/console")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#workbench")).to_be_visible()
    expect(page.locator("#main-nav a").first).to_be_visible()


def go(page, label: str) -> None:
    # the whole label: 「党员」 must not also match 「发展党员」
    page.locator("#main-nav a", has_text=re.compile(f"^{re.escape(label)}$")).click()


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (200, 16, 46)).save(buf, format="JPEG")
    return buf.getvalue()


def members_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["姓名", "手机号", "身份", "入党日期", "性别"], *rows])
    return out.getvalue().encode("utf-8-sig")


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_the_workbench_from_meeting_to_invite_cards(
    size, browser, live_server, client, park, tmp_path
):
    from playwright.sync_api import expect

    viewport = SIZES[size]
    suffix = f"{viewport['width']}x{viewport['height']}"
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    problems = watch(page)
    try:
        # --- the secretary: her menu has no park page --------------------------------------
        log_in(page, live_server, "secretary")
        nav = page.locator("#main-nav a")
        expect(nav).to_have_text(
            [
                "概览",
                "活动",
                "学习",
                "题库",
                "党员",
                "表决",
                "发展党员",
                "党费",
                "通知",
                "先锋岗",
                "诉求建言",
                "组织关系",
                "活动室",
            ]
        )
        go(page, "活动")
        expect(page.locator("#act-list-view")).to_be_visible()
        expect(page.locator("#act-list-state")).to_be_hidden()  # the demo has activities
        shot(page, tmp_path, f"wb-activities-{suffix}")
        no_sideways_scroll(page, viewport["width"])

        # --- create and publish a 主题党日 with the defaults -------------------------------
        page.click("#act-new")
        expect(page.locator("#act-form-view")).to_be_visible()
        expect(page.locator("#act-type")).to_have_value("theme_day")
        expect(page.locator("#act-duration")).to_have_value("120")
        assert re.fullmatch(r"\d{1,2}月主题党日：", page.input_value("#act-title"))
        start = to_local(utcnow() - timedelta(minutes=2))
        page.fill("#act-start", start.strftime("%Y-%m-%dT%H:%M"))
        page.dispatch_event("#act-start", "change")
        title = f"{start.month}月主题党日：重温入党誓词"
        expect(page.locator("#act-title")).to_have_value(f"{start.month}月主题党日：")
        page.click("#act-save-publish")  # the theme is missing: said next to the buttons
        expect(page.locator("#act-form-error")).to_contain_text("冒号后")
        page.fill("#act-title", title)
        page.fill("#act-location", "党群服务中心 201 会议室")
        page.fill("#act-agenda", "1. 重温入党誓词\n2. 学习党章")
        shot(page, tmp_path, f"wb-activity-form-{suffix}")
        page.click("#act-save-publish")
        expect(page.locator("#act-detail-view")).to_be_visible()
        expect(page.locator("#act-title-h")).to_have_text(title)
        activity_id = int(page.evaluate("location.hash").split("/")[2])
        row = db.session.get(Activity, activity_id)
        assert row.status == "published" and row.org_id == park["own_id"]
        assert row.ends_at - row.starts_at == timedelta(minutes=120)
        db.session.rollback()
        first, second, third = park["members"][:3]
        expect(page.locator(f'#act-sheet li[data-member="{first[0]}"]')).to_contain_text("未签到")

        # a member asks for leave (the mini-program's call)
        r = call(
            client,
            "POST",
            f"/api/v1/activities/{activity_id}/leave",
            json={"reason": "出差在外地"},
            headers=member_headers(second[0]),
        )
        assert r.status_code == 201, r.json

        # --- the QR view: a member checks in and the live count moves -----------------------
        page.click("#act-open-qr")
        expect(page.locator("#page-qr")).to_be_visible()
        expect(page.locator("#qr-code")).to_have_text(re.compile(r"^\d{6}$"))
        expect(page.locator("#qr-image")).to_be_visible()
        assert page.evaluate("document.getElementById('qr-image').naturalWidth") > 0
        expect(page.locator("#qr-attended")).to_have_text("0")
        expect(page.locator(".band")).to_be_hidden()
        shot(page, tmp_path, f"wb-qr-{suffix}", full_page=False)
        code = page.inner_text("#qr-code")
        r = call(
            client,
            "POST",
            "/api/v1/checkins",
            json={"code": code},
            headers=member_headers(first[0]),
        )
        assert r.status_code == 201, r.json
        expect(page.locator("#qr-attended")).to_have_text("1")
        expect(page.locator("#qr-latest")).to_contain_text(first[1])
        shot(page, tmp_path, f"wb-qr-checked-in-{suffix}", full_page=False)
        if page.evaluate("document.fullscreenEnabled"):
            page.click("#qr-fullscreen")  # a projector: the browser's own full screen
            expect(page.locator("#qr-fullscreen")).to_have_text("退出全屏")
            assert page.evaluate("document.fullscreenElement.id") == "page-qr"
        page.click("#qr-exit")
        # leaving full screen is asynchronous in the browser: give it a moment, then look
        for _ in range(50):
            if page.evaluate("document.fullscreenElement") is None:
                break
            page.wait_for_timeout(100)
        assert page.evaluate("document.fullscreenElement") is None
        expect(page.locator("#act-detail-view")).to_be_visible()
        expect(page.locator(".band")).to_be_visible()
        expect(page.locator(f'#act-sheet li[data-member="{first[0]}"]')).to_contain_text("已签到")

        # --- approve the leave, mark an absentee with a reason ------------------------------
        request = page.locator("#act-requests li").filter(has_text=second[1])
        expect(request).to_contain_text("出差在外地")
        request.get_by_role("button", name="批准", exact=True).click()
        expect(page.locator("#act-requests li")).to_have_count(0)
        expect(page.locator(f'#act-sheet li[data-member="{second[0]}"]')).to_contain_text("请假")
        absentee = page.locator(f'#act-sheet li[data-member="{third[0]}"]')
        absentee.get_by_role("button", name="标记").click()
        expect(page.locator("#act-dialog")).to_be_visible()
        expect(page.locator("#act-dialog-status")).to_have_value("absent")
        page.click("#act-dialog-save")  # no reason: said in the dialog, nothing sent
        expect(page.locator("#act-dialog-error")).to_contain_text("理由")
        page.fill("#act-dialog-reason", "无故未参加，已电话提醒")
        shot(page, tmp_path, f"wb-mark-dialog-{suffix}", full_page=False)
        page.click("#act-dialog-save")
        expect(page.locator("#act-dialog")).to_be_hidden()
        expect(absentee).to_have_attribute("data-status", "absent")
        expect(absentee).to_contain_text("无故未参加")
        att = db.session.scalar(
            select(Attendance).where(
                Attendance.activity_id == activity_id, Attendance.member_id == third[0]
            )
        )
        assert att.status == "absent" and att.method == "manual"
        db.session.rollback()

        # --- the record with a photo --------------------------------------------------------
        page.fill("#act-summary", "书记带领全体党员重温入党誓词，集体学习党章第一章。")
        page.fill("#act-decisions", "下月开展志愿服务")
        page.set_input_files(
            "#act-file", files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
        )
        photo = page.locator("#act-files li").first
        expect(photo).to_contain_text("现场.jpg")
        expect(photo.locator("img")).to_be_visible()
        # a text file dressed as a photo is refused, the message where the file was chosen
        page.set_input_files(
            "#act-file",
            files=[{"name": "假照片.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}],
        )
        expect(page.locator("#act-file-error")).to_contain_text("只能上传")
        page.click("#act-record-save")
        expect(page.locator("#toast")).to_contain_text("会议记录已保存")
        shot(page, tmp_path, f"wb-activity-detail-{suffix}")
        no_sideways_scroll(page, viewport["width"])
        saved = db.session.get(Activity, activity_id)
        assert saved.summary.startswith("书记带领") and saved.decisions == ["下月开展志愿服务"]
        assert (
            db.session.scalar(
                select(func.count()).where(ActivityAttachment.activity_id == activity_id)
            )
            == 1
        )
        db.session.rollback()

        # --- tomorrow's morning brief with a preview ----------------------------------------
        go(page, "学习")
        page.click("#study-new")
        expect(page.locator("#study-form-view")).to_be_visible()
        tomorrow = (to_local(utcnow()) + timedelta(days=1)).strftime("%Y-%m-%d")
        expect(page.locator("#study-publish")).to_have_value(f"{tomorrow}T07:00")
        page.fill("#st-title", "晨会5分钟：学习党章第一章")
        page.fill(
            "#st-body",
            "## 要点\n\n**党的性质**：中国共产党是中国工人阶级的先锋队。\n\n- 第一条\n- 第二条",
        )
        preview = page.locator("#study-preview")
        expect(preview.locator("h3")).to_have_text("要点")
        expect(preview.locator("strong")).to_have_text("党的性质")
        expect(preview.locator("li")).to_have_count(2)
        shot(page, tmp_path, f"wb-study-form-{suffix}")
        page.click("#study-save")
        expect(page.locator("#study-list-view")).to_be_visible()
        brief = page.locator("#study-items li").filter(has_text="晨会5分钟：学习党章第一章")
        expect(brief).to_contain_text("定时")
        item = db.session.scalar(
            select(StudyItem).where(StudyItem.title.contains("学习党章第一章"))
        )
        assert to_local(item.publish_at).strftime("%Y-%m-%dT%H:%M") == f"{tomorrow}T07:00"
        db.session.rollback()
        brief.get_by_role("button", name="阅读情况").click()
        expect(page.locator("#study-readers-box")).to_be_visible()
        shot(page, tmp_path, f"wb-study-list-{suffix}")

        go(page, "题库")
        page.wait_for_function(
            "() => document.getElementById('q-state').dataset.kind !== 'loading'"
        )
        shot(page, tmp_path, f"wb-questions-{suffix}")
        go(page, "党员")
        expect(page.locator("#mem-rows li").first).to_be_visible()
        shot(page, tmp_path, f"wb-members-{suffix}")
        no_sideways_scroll(page, viewport["width"])
        page.click("#logout")
        expect(page.locator("#login-view")).to_be_visible()
        assert stored_tokens(page)["access"] is None

        # --- another branch's secretary sees none of it --------------------------------------
        log_in(page, live_server, "secretary2")
        go(page, "活动")
        expect(page.locator("#act-list-view")).to_be_visible()
        page.wait_for_function(
            "() => document.getElementById('act-list-state').dataset.kind !== 'loading'"
        )
        assert title not in page.inner_text("#act-groups")
        page.evaluate(f"location.hash = '#/activities/{activity_id}'")
        expect(page.locator("#act-title-h")).to_have_text("无法打开该活动")
        expect(page.locator("#act-actions-error")).to_be_visible()
        go(page, "学习")
        page.wait_for_function(
            "() => document.getElementById('study-list-state').dataset.kind !== 'loading'"
        )
        assert "学习党章第一章" not in page.inner_text("#study-items")
        go(page, "党员")
        expect(page.locator("#mem-rows li").first).to_be_visible()
        assert first[1] not in page.inner_text("#mem-rows")
        shot(page, tmp_path, f"wb-other-secretary-{suffix}")
        page.click("#logout")
        expect(page.locator("#login-view")).to_be_visible()

        # --- the admin imports with one bad row, fixes it, prints invite cards ----------------
        log_in(page, live_server, "admin")
        expect(nav).to_have_text(
            [
                "概览",
                "活动",
                "学习",
                "题库",
                "党员",
                "表决",
                "发展党员",
                "园区",
                "党费",
                "通知",
                "先锋岗",
                "企业台账",
                "诉求建言",
                "组织关系",
                "活动室",
            ]
        )
        go(page, "党员")
        page.locator("a", has_text="批量导入").click()
        expect(page.locator("#mem-import-view")).to_be_visible()
        page.select_option("#imp-org", str(park["own_id"]))
        before = db.session.scalar(select(func.count()).select_from(Member))
        db.session.rollback()
        good = ["钱七", "13911110001", "正式党员", "2010-07-01", "男"]
        bad = ["孙八", "12345", "正式党员", "2012-07-01", "女"]
        page.set_input_files(
            "#imp-file",
            files=[
                {"name": "党员.csv", "mimeType": "text/csv", "buffer": members_csv([good, bad])}
            ],
        )
        page.click("#imp-submit")
        expect(page.locator("#imp-error")).to_contain_text("未导入任何数据")
        bad_row = page.locator('#imp-rows tr[data-row="3"]')
        expect(bad_row).to_contain_text("孙八")
        expect(bad_row).to_contain_text("手机号")
        expect(page.locator("#imp-rows tr")).to_have_count(1)
        shot(page, tmp_path, f"wb-import-errors-{suffix}")
        assert db.session.scalar(select(func.count()).select_from(Member)) == before
        db.session.rollback()
        bad[1] = "13911110002"
        page.set_input_files(
            "#imp-file",
            files=[
                {"name": "党员.csv", "mimeType": "text/csv", "buffer": members_csv([good, bad])}
            ],
        )
        page.click("#imp-submit")
        expect(page.locator("#imp-done")).to_be_visible()
        expect(page.locator("#imp-done-title")).to_have_text("已导入 2 名党员")
        expect(page.locator("#imp-problems")).to_be_hidden()
        assert db.session.scalar(select(func.count()).select_from(Member)) == before + 2
        db.session.rollback()
        page.click("#imp-cards")
        expect(page.locator("#mem-cards-view")).to_be_visible()
        cards = page.locator("#cards-sheet .invite-card")
        expect(cards).to_have_count(2)
        expect(cards.first).to_contain_text("钱七")
        expect(cards.first.locator(".invite-code")).to_have_text(re.compile(r"^[A-Z0-9]{6,}$"))
        expect(page.locator("#cards-print")).to_be_enabled()
        assert page.evaluate(
            "[...document.querySelectorAll('.invite-qr')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        shot(page, tmp_path, f"wb-invite-cards-{suffix}")
        page.emulate_media(media="print")
        expect(page.locator(".band")).to_be_hidden()
        expect(page.locator("#cards-print")).to_be_hidden()
        if size == "desk":
            pdf = tmp_path / "invite-cards.pdf"
            page.pdf(path=str(pdf), format="A4")
            assert pdf.read_bytes().startswith(b"%PDF")
        page.emulate_media(media="screen")

        go(page, "园区")
        expect(page.locator("#park-orgs li").first).to_be_visible()
        expect(page.locator("#park-rules li").first).to_be_visible()
        sign_in = page.locator('#park-rules li[data-rule="daily_signin"]')
        sign_in.locator("input").first.fill("2")
        sign_in.get_by_role("button", name="保存").click()
        expect(page.locator("#toast")).to_contain_text("已保存")
        r = call(client, "GET", "/api/v1/points/rules", headers=member_headers(first[0]))
        assert next(x for x in r.json if x["action"] == "daily_signin")["points"] == 2
        own = page.locator(f'#park-orgs li.park-org[data-org="{park["own_id"]}"]')
        own.get_by_role("button", name="班子成员").click()
        roles = own.locator(".park-roles")
        expect(roles).to_contain_text("书记")
        roles.locator("input[type=search]").fill(first[1])
        roles.locator("select").select_option("publicity")
        roles.get_by_role("button", name="任命").click()
        expect(roles).to_contain_text(f"宣传委员：{first[1]}")
        shot(page, tmp_path, f"wb-park-roles-{suffix}", full_page=False)
        page.once("dialog", lambda d: d.accept())
        roles.locator("li", has_text=f"宣传委员：{first[1]}").get_by_role("button").click()
        expect(roles).not_to_contain_text(f"宣传委员：{first[1]}")
        shot(page, tmp_path, f"wb-park-{suffix}")
        no_sideways_scroll(page, viewport["width"])
        go(page, "概览")
        page.wait_for_function(
            "() => document.getElementById('updated').textContent !== ''", timeout=WAIT_MS
        )
        page.wait_for_timeout(300)  # the charts redraw for the width
        shot(page, tmp_path, f"wb-reports-{suffix}")
        no_sideways_scroll(page, viewport["width"])
        # only failed calls the test provoked show up in the console
        unexpected = [p for p in problems if "status of 4" not in p]
        assert unexpected == []
    finally:
        context.close()
