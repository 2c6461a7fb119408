"""The daily sign-in: once per Shanghai day, on the first home screen or login; the home
screen shows today's brief, the streak and today's points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.points.models import PointLedger
from app.study import quiz, reading
from app.study.days import streak
from miniprogram_api import services as mp

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def signins(member_id):
    return db.session.scalar(
        select(func.count()).where(
            PointLedger.member_id == member_id, PointLedger.action == "daily_signin"
        )
    )


def test_first_home_of_the_day_signs_in_once(client, park, point_rules):
    h = park.headers.member_a
    first = client.get("/api/mp/v1/home", headers=h).json
    assert first["points"]["signin_awarded"] is True and first["points"]["today"] == 1
    second = client.get("/api/mp/v1/home", headers=h).json
    assert second["points"]["signin_awarded"] is False and second["points"]["total"] == 1
    assert signins(park.member_a.id) == 1
    assert first["study_today"] is None and first["streak"] == {"days": 0, "studied_today": False}


def test_a_new_shanghai_day_signs_in_again(app, park, point_rules, principal_of):
    member = principal_of(park.member_a)
    before_midnight = datetime(2030, 5, 15, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    assert mp.home(member, before_midnight)["points"]["signin_awarded"]
    assert not mp.home(member, before_midnight + timedelta(seconds=30))["points"]["signin_awarded"]
    after = mp.home(member, before_midnight + timedelta(minutes=2))  # 00:01 the next day
    assert after["points"]["signin_awarded"] and after["points"]["today"] == 1
    db.session.commit()
    keys = set(db.session.scalars(select(PointLedger.idempotency_key)))
    assert keys == {
        f"signin:{park.member_a.id}:2030-05-15",
        f"signin:{park.member_a.id}:2030-05-16",
    }


def test_login_signs_in_and_home_then_does_not(client, park, point_rules, fake_wechat):
    park.member_a.openid = "openid-zhang"
    db.session.commit()
    fake_wechat.add_code("code-1", "openid-zhang")
    r = client.post("/api/mp/v1/login", json={"code": "code-1"})
    assert r.status_code == 200 and r.json["needs_binding"] is False
    assert signins(park.member_a.id) == 1
    headers = {"Authorization": f"Bearer {r.json['access_token']}"}
    home = client.get("/api/mp/v1/home", headers=headers).json
    assert home["points"]["signin_awarded"] is False and home["points"]["today"] == 1
    fake_wechat.add_code("code-2", "openid-unknown")
    r = client.post("/api/mp/v1/login", json={"code": "code-2"})
    assert r.json["needs_binding"] is True  # nobody to sign in


def test_home_shows_todays_brief_and_the_streak(app, park, point_rules, make_item, principal_of):
    member = principal_of(park.member_a)
    day = timedelta(days=1)
    for back in (3, 2, 1):  # studied three days running before today
        item = make_item(park.branch_a, publish_at=NOW - back * day - timedelta(hours=1))
        reading.start(member, item.id, NOW - back * day)
        reading.complete(member, item.id, NOW - back * day + timedelta(seconds=61))
    brief = make_item(park.branch_a, publish_at=NOW - timedelta(hours=2), title="今日晨会")
    db.session.commit()
    home = mp.home(member, NOW)
    assert home["study_today"]["id"] == brief.id
    assert home["study_today"]["progress"]["state"] == "new"
    assert home["streak"] == {"days": 3, "studied_today": False}  # alive until tonight
    quiz.daily_quiz(member, NOW)  # an empty bank: nothing to grade, so no study yet
    reading.start(member, brief.id, NOW)
    reading.complete(member, brief.id, NOW + timedelta(seconds=60))
    db.session.commit()
    assert streak(park.member_a.id, NOW) == {"days": 4, "studied_today": True}
    assert streak(park.member_a.id, NOW + 2 * day) == {"days": 0, "studied_today": False}
    shown = mp.home(member, NOW + timedelta(minutes=5))["study_today"]
    assert shown["progress"]["state"] == "done" and shown["progress"]["points"] > 0


def test_home_brief_follows_edits_schedules_and_scope(
    app, client, park, point_rules, make_item, principal_of
):
    """Home keeps the day's brief per org between requests: every change shows at once."""
    member = principal_of(park.member_a)
    early = make_item(park.park, publish_at=NOW - timedelta(hours=3), title="园区晨会")
    later = make_item(park.branch_a, publish_at=NOW + timedelta(hours=1), title="支部晨会")
    make_item(park.branch_b, publish_at=NOW - timedelta(hours=1), title="别的支部")
    make_item(park.branch_a, publish_at=NOW - timedelta(days=1), title="昨天的")
    db.session.commit()

    def shown(at=NOW):
        brief = mp.home(principal_of(park.member_a), at)["study_today"]
        db.session.commit()
        return brief and (brief["id"], brief["title"], brief["question_count"])

    assert shown() == (early.id, "园区晨会", 0)  # the later one is not out yet; B's is not ours
    assert shown(NOW + timedelta(hours=1)) == (later.id, "支部晨会", 0)
    early.title = "园区晨会（修订）"
    db.session.commit()
    assert shown() == (early.id, "园区晨会（修订）", 0)
    from app.study.models import QuizQuestion

    db.session.add(
        QuizQuestion(
            org_id=park.park.id,
            item_id=early.id,
            kind="true_false",
            stem="题目",
            options=["正确", "错误"],
            answer=["A"],
        )
    )
    db.session.commit()
    assert shown() == (early.id, "园区晨会（修订）", 1)
    early.is_active = False
    db.session.commit()
    assert shown() is None
    assert member.member_info.org_path == park.branch_a.path
