"""Meeting-record attachments and the import templates.

Files are checked by what their bytes are (a text file named .jpg is refused), by size and by
count; they are stored under ATTACHMENT_DIR with a random name and served only to those who
manage the activity. The templates carry exactly the columns the importers read.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from app.activities.models import Activity
from app.audit.models import AuditLog
from app.extensions import db
from app.members.models import Member
from app.records.models import ActivityAttachment
from app.study.models import QuizQuestion
from app.timeutil import utcnow

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (178, 34, 34)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture
def meeting(park):
    """A published 主题党日 of branch A that started ten minutes ago."""
    start = utcnow() - timedelta(minutes=10)
    act = Activity(
        org_id=park.branch_a.id,
        type="theme_day",
        title="11月主题党日：重温入党誓词",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        checkin_opens_at=start - timedelta(minutes=30),
        checkin_closes_at=start + timedelta(minutes=30),
        status="published",
        published_at=start - timedelta(days=1),
    )
    db.session.add(act)
    db.session.commit()
    return act


def post_file(client, headers, activity_id, data: bytes, name: str):
    return client.post(
        f"/api/v1/activities/{activity_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_photos_and_a_pdf_are_stored_listed_served_and_removed(app, client, park, meeting):
    h = park.headers.secretary_a
    jpeg = image_bytes("JPEG")
    made = post_file(client, h, meeting.id, jpeg, "现场照片.jpeg")
    assert made.status_code == 201, made.json
    photo = made.json
    assert photo["content_type"] == "image/jpeg"
    assert photo["filename"] == "现场照片.jpg"
    assert photo["size"] == len(jpeg)
    # the type follows the bytes, not the name the browser sent
    png = post_file(client, h, meeting.id, image_bytes("PNG"), "scan.pdf").json
    assert png["content_type"] == "image/png" and png["filename"] == "scan.png"
    minutes = post_file(client, h, meeting.id, PDF, "../../etc/会议纪要.PDF").json
    assert minutes["content_type"] == "application/pdf"
    assert minutes["filename"] == "会议纪要.pdf"

    listed = client.get(f"/api/v1/activities/{meeting.id}/attachments", headers=h).json
    assert [a["id"] for a in listed] == [photo["id"], png["id"], minutes["id"]]

    got = client.get(photo["url"], headers=h)
    assert got.status_code == 200
    assert got.data == jpeg
    assert got.mimetype == "image/jpeg"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in got.headers["Content-Security-Policy"]

    # the bytes sit under ATTACHMENT_DIR with a random name, nothing of the upload's name
    stored = db.session.get(ActivityAttachment, photo["id"])
    path = app.config["ATTACHMENT_DIR"] + "/" + stored.storage_key
    with open(path, "rb") as fh:
        assert fh.read() == jpeg
    assert "照片" not in stored.storage_key

    gone = client.delete(photo["url"], headers=h)
    assert gone.status_code == 204
    assert client.get(photo["url"], headers=h).status_code == 404
    import os

    assert not os.path.exists(path)
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.activity_id == meeting.id).order_by(AuditLog.id)
    ).all()
    assert actions.count("activity.attachment_added") == 3
    assert actions.count("activity.attachment_removed") == 1


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"just some text, not a photo", "photo.jpg"),
        (b"<html><script>alert(1)</script></html>", "page.png"),
        (b"%PDF-1.4 but never finished", "minutes.pdf"),
        (b"GIF89a" + b"\x00" * 40, "anim.gif"),
        (image_bytes("JPEG")[:60], "cut.jpg"),
    ],
)
def test_files_that_are_not_a_photo_or_pdf_are_refused(client, park, meeting, data, name):
    r = post_file(client, park.headers.secretary_a, meeting.id, data, name)
    assert r.status_code == 415
    assert r.json["error"]["code"] == "attachment.unsupported_type"
    assert "PDF" in r.json["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(ActivityAttachment)) == 0


class TestLimits:
    @pytest.fixture
    def app_config(self):
        return {"ATTACHMENT_MAX_BYTES": 2000, "ATTACHMENT_MAX_PER_ACTIVITY": 2}

    def test_size_count_and_empty_files_are_said(self, client, park, meeting):
        h = park.headers.secretary_a
        big = image_bytes("PNG", size=(400, 400)) + b"\x00" * 3000
        r = post_file(client, h, meeting.id, big, "big.png")
        assert r.status_code == 413 and r.json["error"]["code"] == "attachment.too_large"
        assert r.json["error"]["details"]["limit"] == 2000
        r = post_file(client, h, meeting.id, b"", "empty.pdf")
        assert r.status_code == 400 and r.json["error"]["code"] == "attachment.empty"
        r = client.post(
            f"/api/v1/activities/{meeting.id}/attachments",
            data={},
            headers=h,
            content_type="multipart/form-data",
        )
        assert r.status_code in (400, 422) and "error" in r.json
        for _ in range(2):
            assert post_file(client, h, meeting.id, PDF, "a.pdf").status_code == 201
        r = post_file(client, h, meeting.id, PDF, "c.pdf")
        assert r.status_code == 409 and r.json["error"]["code"] == "attachment.too_many"


def test_only_those_who_manage_the_activity_see_its_files(client, park, meeting):
    made = post_file(client, park.headers.secretary_a, meeting.id, PDF, "纪要.pdf").json
    for who in ("member_a", "member_b"):
        h = getattr(park.headers, who)
        assert client.get(made["url"], headers=h).status_code == 403
        assert post_file(client, h, meeting.id, PDF, "x.pdf").status_code == 403
    assert client.get(made["url"]).status_code == 401
    for who in ("committee", "admin"):
        assert client.get(made["url"], headers=getattr(park.headers, who)).status_code == 200
    # an attachment id of another activity is not reachable through this one
    other = Activity(
        org_id=park.branch_a.id,
        type="party_lecture",
        title="党课",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        checkin_opens_at=meeting.checkin_opens_at,
        checkin_closes_at=meeting.checkin_closes_at,
        status="published",
    )
    db.session.add(other)
    db.session.commit()
    url = f"/api/v1/activities/{other.id}/attachments/{made['id']}"
    assert client.get(url, headers=park.headers.secretary_a).status_code == 404


def test_a_cancelled_activity_takes_no_more_files(client, park, meeting):
    h = park.headers.secretary_a
    r = client.post(f"/api/v1/activities/{meeting.id}/cancel", json={"reason": "改期"}, headers=h)
    assert r.status_code == 200
    r = post_file(client, h, meeting.id, PDF, "a.pdf")
    assert r.status_code == 409 and r.json["error"]["code"] == "activity.cancelled"


# --- import templates ------------------------------------------------------------------------


def test_the_member_template_imports_once_its_example_is_replaced(client, park):
    h = park.headers.secretary_a
    r = client.get("/api/v1/members/import-template", headers=h)
    assert r.status_code == 200
    assert r.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["姓名", "手机号"] and "所属组织" in header
    ws.delete_rows(2)
    row = {"姓名": "钱七", "手机号": "13912345678", "身份": "预备党员", "入党日期": "2024-07-01"}
    ws.append([row.get(h, "") for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    before = db.session.scalar(select(func.count()).select_from(Member))
    r = client.post(
        "/api/v1/members/import",
        data={"file": (io.BytesIO(buf.getvalue()), "t.xlsx"), "org_id": str(park.branch_a.id)},
        headers=h,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    assert db.session.scalar(select(func.count()).select_from(Member)) == before + 1

    csv_template = client.get("/api/v1/members/import-template?format=csv", headers=h)
    assert csv_template.mimetype == "text/csv"
    assert csv_template.data.startswith("\ufeff姓名,手机号".encode())
    bad = client.get("/api/v1/members/import-template?format=pdf", headers=h)
    assert bad.status_code in (400, 422) and "error" in bad.json
    assert client.get("/api/v1/members/import-template").status_code == 401
    member = client.get("/api/v1/members/import-template", headers=park.headers.member_a)
    assert member.status_code == 403


def test_the_question_template_example_row_imports_as_a_question(client, park):
    h = park.headers.secretary_a
    r = client.get("/api/v1/quiz/questions/import-template", headers=h)
    assert r.status_code == 200
    r = client.post(
        "/api/v1/quiz/questions/import",
        data={"file": (io.BytesIO(r.data), "题库.xlsx"), "org_id": str(park.branch_a.id)},
        headers=h,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    question = db.session.get(QuizQuestion, r.json["question_ids"][0])
    assert question.kind == "single" and question.answer == ["A"]
