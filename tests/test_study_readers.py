"""`GET /api/v1/study-items/<id>/readers`: who read a posted item, in the caller's scope."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.study.models import ReadingSession, StudyItem
from app.timeutil import utcnow


def _item(org, title="晨会5分钟") -> StudyItem:
    item = StudyItem(
        kind="morning_brief",
        title=title,
        body="正文",
        org_id=org.id,
        publish_at=utcnow() - timedelta(hours=2),
        minutes=5,
    )
    db.session.add(item)
    db.session.flush()
    return item


def test_readers_lists_every_member_reached_with_their_progress(client, park):
    now = utcnow()
    item = _item(park.branch_a)
    db.session.add_all(
        [
            ReadingSession(
                member_id=park.member_a.id,
                item_id=item.id,
                status="completed",
                started_at=now - timedelta(minutes=5),
                completed_at=now - timedelta(minutes=3),
                dwell_seconds=120,
            ),
            ReadingSession(
                member_id=park.member_a2.id,
                item_id=item.id,
                status="open",
                open_key=f"{park.member_a2.id}:{item.id}",
                started_at=now - timedelta(minutes=1),
            ),
        ]
    )
    db.session.commit()
    r = client.get(f"/api/v1/study-items/{item.id}/readers", headers=park.headers.secretary_a)
    assert r.status_code == 200, r.json
    body = r.json
    states = {row["name"]: row["state"] for row in body["items"]}
    assert states == {"张三": "done", "李四": "reading", "赵书记": "none"}
    assert body["reached"] == 3 and body["read"] == 1
    assert body["items"][0]["name"] == "张三" and body["items"][0]["state_label"] == "已读"
    assert body["items"][0]["completed_at"].endswith("+08:00")

    # a park-wide item: the committee sees both branches, nobody outside them
    park_item = _item(park.park, "园区微课堂")
    db.session.commit()
    r = client.get(f"/api/v1/study-items/{park_item.id}/readers", headers=park.headers.committee)
    names = {row["name"] for row in r.json["items"]}
    assert names == {"张三", "李四", "赵书记", "王五"}
    assert r.json["read"] == 0


def test_readers_of_another_branch_are_not_shown(client, park):
    item = _item(park.branch_b)
    db.session.commit()
    url = f"/api/v1/study-items/{item.id}/readers"
    assert client.get(url, headers=park.headers.secretary_a).status_code == 403
    assert client.get(url, headers=park.headers.member_b).status_code == 403
    assert client.get(url).status_code == 401
    assert (
        client.get("/api/v1/study-items/999999/readers", headers=park.headers.admin).status_code
        == 404
    )
