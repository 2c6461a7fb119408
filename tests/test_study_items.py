"""Study items: who posts for which subtree, scheduling, who sees what, Markdown only, lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.study import access, services
from app.study.brief import todays_brief
from app.timeutil import utcnow

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def brief(org, **kw):
    return {
        "kind": "morning_brief",
        "title": "晨会5分钟：学习党章",
        "body": "## 第一章",
        "org_id": org,
        **kw,
    }


def test_secretary_posts_for_their_branch_only(client, park):
    r = client.post(
        "/api/v1/study-items", json=brief(park.branch_a.id), headers=park.headers.secretary_a
    )
    assert r.status_code == 201, r.json
    assert r.json["org_name"] == "A企业党支部" and r.json["minutes"] == 5
    assert r.json["required_seconds"] == 60 and r.json["status"] == "published"
    r = client.post(
        "/api/v1/study-items", json=brief(park.branch_b.id), headers=park.headers.secretary_a
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/study-items", json=brief(park.branch_a.id), headers=park.headers.member_a
    )
    assert r.status_code == 403  # members hold no role


def test_publicity_officer_and_committee_may_post(client, park, grant, auth_headers):
    grant(park.branch_b, "publicity", member=park.member_b)
    r = client.post(
        "/api/v1/study-items", json=brief(park.branch_b.id), headers=park.headers.member_b
    )
    assert r.status_code == 201, r.json
    grant(park.branch_a, "discipline", member=park.member_a2)  # 纪检委员 reads but does not post
    r = client.post(
        "/api/v1/study-items", json=brief(park.branch_a.id), headers=auth_headers(park.member_a2)
    )
    assert r.status_code == 403
    r = client.post("/api/v1/study-items", json=brief(park.park.id), headers=park.headers.committee)
    assert r.status_code == 201


def test_scheduled_item_is_invisible_to_members_until_its_time(app, client, park, principal_of):
    tomorrow_7 = utcnow() + timedelta(hours=10)
    r = client.post(
        "/api/v1/study-items",
        json=brief(park.branch_a.id, publish_at=tomorrow_7.isoformat()),
        headers=park.headers.secretary_a,
    )
    item_id = r.json["id"]
    assert r.json["status"] == "scheduled"
    assert client.get("/api/v1/study-items", headers=park.headers.member_a).json["total"] == 0
    assert client.get("/api/v1/study-items/today", headers=park.headers.member_a).json["total"] == 0
    r = client.get(f"/api/v1/study-items/{item_id}", headers=park.headers.member_a)
    assert r.status_code == 404 and r.json["error"]["code"] == "study.not_published"
    assert "publish_at" in r.json["error"]["details"]
    r = client.post(f"/api/v1/study-items/{item_id}/start", headers=park.headers.member_a)
    assert r.status_code == 404 and r.json["error"]["code"] == "study.not_published"
    # the secretary sees and previews the scheduled item
    staff = client.get("/api/v1/study-items", headers=park.headers.secretary_a).json
    assert [i["id"] for i in staff["items"]] == [item_id]
    assert (
        client.get(f"/api/v1/study-items/{item_id}", headers=park.headers.secretary_a).status_code
        == 200
    )
    # once its time has come the member sees it (services take `now`)
    member = principal_of(park.member_a)
    later = tomorrow_7 + timedelta(seconds=1)
    page = services.list_items(member, {"page": 1, "per_page": 20}, later)
    assert [i.id for i in page["items"]] == [item_id]
    assert access.readable_item(member, item_id, later).id == item_id


def test_members_see_items_of_their_org_and_above_only(client, park, make_item):
    mine = make_item(park.branch_a, title="本支部")
    park_wide = make_item(park.park, "article", title="全园区")
    other = make_item(park.branch_b, title="B支部")
    ids = {
        i["id"]
        for i in client.get("/api/v1/study-items", headers=park.headers.member_a).json["items"]
    }
    assert ids == {mine.id, park_wide.id}
    r = client.get(f"/api/v1/study-items/{other.id}", headers=park.headers.member_a)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    committee = client.get("/api/v1/study-items", headers=park.headers.committee).json
    assert committee["total"] == 3


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "正文<img src=x onerror=alert(1)>",
        "[点我](javascript:alert(1))",
        "[x]: javascript:alert(1)",
        "<!-- 注释 -->",
    ],
)
def test_raw_html_and_script_links_are_refused(client, park, body):
    r = client.post(
        "/api/v1/study-items",
        json=brief(park.branch_a.id, body=body),
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 400
    assert "body" in r.json["error"]["details"]["fields"]


def test_markdown_with_angle_brackets_in_text_is_fine(client, park):
    text = "# 标题\n\n- 3 < 5，且 5 > 3\n- [链接](https://www.12371.cn)\n"
    r = client.post(
        "/api/v1/study-items",
        json=brief(park.branch_a.id, body=text),
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 201
    detail = client.get(f"/api/v1/study-items/{r.json['id']}", headers=park.headers.member_a).json
    assert detail["body"] == text


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"kind": "micro_lesson"}, "minutes"),  # a lesson states its minutes
        ({"kind": "article", "media_url": "https://v.example.com/a.mp4"}, "media_url"),
        (
            {"kind": "micro_lesson", "minutes": 10, "media_url": "http://v.example.com/a.mp4"},
            "media_url",
        ),
        ({"kind": "micro_lesson", "minutes": 0}, "minutes"),
        ({"kind": "podcast"}, "kind"),
        ({"title": ""}, "title"),
        ({"publish_at": "tomorrow"}, "publish_at"),
        ({"publish_at": "2500-01-01T00:00:00+08:00"}, "publish_at"),
        ({"tags": ["x" * 21]}, "tags"),
        ({"org_id": 2**40}, "org_id"),
        (
            {
                "kind": "article",
                "questions": [
                    {"kind": "single", "stem": "?", "options": ["a", "b"], "answer": ["A"]}
                ],
            },
            "questions",
        ),
    ],
)
def test_bad_input_is_400_with_the_field(client, park, patch, field):
    r = client.post(
        "/api/v1/study-items",
        json=brief(park.branch_a.id, **patch),
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 400, r.json
    assert field in r.json["error"]["details"]["fields"]


def test_lesson_with_questions_hides_answers_from_members(client, park):
    lesson = {
        "kind": "micro_lesson",
        "title": "微课堂：两个覆盖",
        "body": "正文",
        "org_id": park.park.id,
        "minutes": 10,
        "media_url": "https://media.example.com/lesson.mp4",
        "tags": ["党建", "两个覆盖", "党建"],
        "questions": [
            {
                "kind": "single",
                "stem": "两个覆盖指？",
                "options": ["组织覆盖和工作覆盖", "其他"],
                "answer": ["A"],
                "explanation": "组织覆盖和工作覆盖",
            },
            {"kind": "true_false", "stem": "3名正式党员可单独建支部", "answer": ["A"]},
        ],
    }
    r = client.post("/api/v1/study-items", json=lesson, headers=park.headers.committee)
    assert r.status_code == 201, r.json
    assert r.json["tags"] == ["党建", "两个覆盖"] and r.json["question_count"] == 2
    assert r.json["required_seconds"] == 360
    detail = client.get(f"/api/v1/study-items/{r.json['id']}", headers=park.headers.member_b).json
    assert [q["stem"] for q in detail["questions"]] == ["两个覆盖指？", "3名正式党员可单独建支部"]
    assert all("answer" not in q and "explanation" not in q for q in detail["questions"])
    assert detail["questions"][1]["choices"] == [
        {"key": "A", "text": "正确"},
        {"key": "B", "text": "错误"},
    ]
    assert detail["progress"]["state"] == "new" and detail["my_result"] is None
    tagged = client.get("/api/v1/study-items?tag=两个覆盖", headers=park.headers.member_b).json
    assert tagged["total"] == 1
    assert (
        client.get("/api/v1/study-items?tag=无", headers=park.headers.member_b).json["total"] == 0
    )


def test_question_with_a_bad_answer_is_refused_with_its_index(client, park):
    lesson = {
        "kind": "micro_lesson",
        "title": "微课堂",
        "org_id": park.branch_a.id,
        "minutes": 5,
        "questions": [
            {"kind": "single", "stem": "好题", "options": ["a", "b"], "answer": ["A"]},
            {"kind": "single", "stem": "坏题", "options": ["a", "b"], "answer": ["C"]},
        ],
    }
    r = client.post("/api/v1/study-items", json=lesson, headers=park.headers.secretary_a)
    assert r.status_code == 400
    assert "1" in r.json["error"]["details"]["fields"]["questions"]
    assert client.get("/api/v1/study-items", headers=park.headers.secretary_a).json["total"] == 0


def test_update_reschedule_and_withdraw(client, park):
    item = client.post(
        "/api/v1/study-items", json=brief(park.branch_a.id), headers=park.headers.secretary_a
    ).json
    later = (utcnow() + timedelta(days=1)).isoformat()
    r = client.patch(
        f"/api/v1/study-items/{item['id']}",
        json={"publish_at": later, "title": "改期", "tags": ["党章"]},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200 and r.json["status"] == "scheduled" and r.json["tags"] == ["党章"]
    r = client.patch(
        f"/api/v1/study-items/{item['id']}",
        json={"org_id": park.branch_b.id},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 403
    r = client.patch(
        f"/api/v1/study-items/{item['id']}",
        json={"kind": "article"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 400  # the kind never changes
    r = client.patch(
        f"/api/v1/study-items/{item['id']}",
        json={"body": "<b>x</b>"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 400
    assert (
        client.delete(
            f"/api/v1/study-items/{item['id']}", headers=park.headers.member_a
        ).status_code
        == 403
    )
    assert (
        client.delete(
            f"/api/v1/study-items/{item['id']}", headers=park.headers.secretary_a
        ).status_code
        == 204
    )
    assert (
        client.get(
            f"/api/v1/study-items/{item['id']}", headers=park.headers.secretary_a
        ).status_code
        == 404
    )


def test_today_lists_todays_briefs_first_then_recent_lessons(app, park, make_item, principal_of):
    day = timedelta(days=1)
    old_brief = make_item(park.branch_a, publish_at=NOW - day, title="昨天的晨会")
    today_brief = make_item(park.branch_a, publish_at=NOW - timedelta(hours=2), title="今天的晨会")
    lesson = make_item(park.park, "micro_lesson", publish_at=NOW - 3 * day)
    article = make_item(park.branch_a, "article", publish_at=NOW - timedelta(hours=1))
    stale = make_item(park.branch_a, "article", publish_at=NOW - 8 * day)
    future = make_item(park.branch_a, publish_at=NOW + timedelta(hours=1))
    page = services.today_items(principal_of(park.member_a), {"page": 1, "per_page": 20}, NOW)
    ids = [i.id for i in page["items"]]
    assert ids == [today_brief.id, article.id, lesson.id]
    assert old_brief.id not in ids and stale.id not in ids and future.id not in ids
    assert todays_brief(park.branch_a.path, NOW)["id"] == today_brief.id  # home's brief
    db.session.rollback()


def test_lists_validate_their_arguments(client, park):
    for query in ("kind=x", "per_page=1000", "page=0", "org_id=abc", "tag=" + "x" * 30):
        r = client.get(f"/api/v1/study-items?{query}", headers=park.headers.member_a)
        assert r.status_code == 400, query
    assert (
        client.get("/api/v1/study-items/99999999999", headers=park.headers.member_a).status_code
        == 404
    )
    assert (
        client.get("/api/v1/study-items/today", headers=park.headers.committee).status_code == 403
    )


def test_item_page_follows_edits_at_once_and_reads_little(client, park, backend):
    """An item's page keeps the item with its org, tags and question count per worker
    between requests: every edit shows on the next request, and a member's warm read is the
    version read and their progress (2 statements without Redis)."""
    from tests.test_statement_budget import counted

    r = client.post(
        "/api/v1/study-items",
        json=brief(park.park.id, tags=["党章"], body="## 旧的"),
        headers=park.headers.committee,
    )
    assert r.status_code == 201, r.json
    item_id = r.json["id"]
    url = f"/api/v1/study-items/{item_id}"
    first = client.get(url, headers=park.headers.member_a).json
    assert (first["tags"], first["org_name"]) == (["党章"], park.park.name)
    assert "旧的" in first["body_html"] and first["progress"]["state"] == "new"
    with counted() as statements:
        again = client.get(url, headers=park.headers.member_a)
    assert again.json == first
    assert len(statements) <= 2, statements
    r = client.patch(
        url,
        json={"tags": ["两学一做", "党史"], "body": "## 新的", "title": "改过的"},
        headers=park.headers.committee,
    )
    assert r.status_code == 200, r.json
    edited = client.get(url, headers=park.headers.member_a).json
    assert edited["tags"] == ["两学一做", "党史"] and edited["title"] == "改过的"
    assert "新的" in edited["body_html"] and "旧的" not in edited["body_html"]
    r = client.patch(
        f"/api/v1/orgs/{park.park.id}", json={"name": "园区党委（改）"}, headers=park.headers.admin
    )
    assert r.status_code == 200, r.json
    assert client.get(url, headers=park.headers.member_a).json["org_name"] == "园区党委（改）"
    assert client.post(f"{url}/start", headers=park.headers.member_a).status_code == 201
    assert client.get(url, headers=park.headers.member_a).json["progress"]["state"] == "reading"
    other = client.get(url, headers=park.headers.member_b).json["progress"]
    assert other["state"] == "new"  # progress is the caller's own
    r = client.delete(url, headers=park.headers.committee)
    assert r.status_code in (200, 204), r.data
    assert client.get(url, headers=park.headers.member_b).status_code == 404
    assert client.post(f"{url}/start", headers=park.headers.member_b).status_code == 404
