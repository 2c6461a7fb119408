"""My points, leaderboards from the period totals, public ranking off, rules, adjustments and
revocations, and the ranking scope following members who move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditLog
from app.extensions import db
from app.points import ranking, standing
from app.points import services as points
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger
from app.timeutil import utcnow

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai, ISO week 20


def give(member, action, key, now=NOW, quantity=1):
    entry = points.award(
        member.id,
        action,
        source_type="test",
        source_id=None,
        idempotency_key=key,
        now=now,
        quantity=quantity,
    )
    db.session.commit()
    return entry


@pytest.fixture
def scored(park, point_rules):
    """member_a 5, member_a2 3, secretary_a 3, member_b 7 this week; member_a 2 last month."""
    give(park.member_a, "quiz_correct", "q:a", quantity=5)
    give(park.member_a2, "quiz_correct", "q:a2", quantity=3)
    give(park.secretary_a, "quiz_correct", "q:s", quantity=3)
    give(park.member_b, "attendance_present", "att:b")
    give(park.member_b, "quiz_correct", "q:b", quantity=5)
    give(park.member_a, "attendance_present", "att:a:old", now=NOW - timedelta(days=40))
    return park


def board(principal, scope="branch", period="week", now=NOW, **kw):
    return ranking.leaderboard(principal, {"scope": scope, "period": period, **kw}, now)


def test_period_totals_follow_the_ledger(scored):
    rows = {
        (r.period_kind, r.period_key): r.points
        for r in db.session.scalars(
            select(MemberPointPeriod).where(MemberPointPeriod.member_id == scored.member_a.id)
        )
    }
    assert rows == {
        ("week", "2030-W20"): 5,
        ("month", "2030-05"): 5,
        ("year", "2030"): 7,
        ("all", "all"): 7,
        ("week", "2030-W14"): 2,
        ("month", "2030-04"): 2,
    }
    row = db.session.get(MemberPointPeriod, (scored.member_a.id, "all", "all"))
    assert (row.branch_id, row.park_id) == (scored.branch_a.id, scored.park.id)


def test_branch_and_park_boards_with_ties(scored, principal_of):
    mine = board(principal_of(scored.member_a2))
    assert [(i["name"], i["rank"], i["points"]) for i in mine["items"]] == [
        ("张三", 1, 5),
        ("李四", 2, 3),
        ("赵书记", 2, 3),
    ]
    assert mine["me"] == {"member_id": scored.member_a2.id, "points": 3, "rank": 2}
    assert mine["participants"] == 3 and mine["period_key"] == "2030-W20"
    park_board = board(principal_of(scored.member_a), scope="park")
    assert [i["points"] for i in park_board["items"]] == [7, 5, 3, 3]
    assert park_board["me"]["rank"] == 2
    year = board(principal_of(scored.member_a), scope="park", period="year")
    assert [i["points"] for i in year["items"]] == [7, 7, 3, 3]
    assert year["me"]["rank"] == 1  # tied for first
    limited = board(principal_of(scored.member_a), scope="park", limit=1)
    assert len(limited["items"]) == 1 and limited["me"]["rank"] == 2


def test_a_member_without_points_is_ranked_after_everyone(scored, make_member, principal_of):
    newcomer = make_member(scored.branch_a, name="新同志")
    result = board(principal_of(newcomer))
    assert result["me"] == {"member_id": newcomer.id, "points": 0, "rank": 4}


def test_leaderboard_over_http(client, scored):
    r = client.get(
        "/api/v1/points/leaderboard?scope=park&period=all", headers=scored.headers.member_b
    )
    assert r.status_code == 200 and [i["rank"] for i in r.json["items"]] == [1, 1, 3, 3]
    for query in ("scope=city", "period=day", "limit=0", "limit=101", "org_id=x"):
        assert (
            client.get(
                f"/api/v1/points/leaderboard?{query}", headers=scored.headers.member_a
            ).status_code
            == 400
        )
    r = client.get("/api/v1/points/leaderboard", headers=scored.headers.committee)
    assert r.status_code == 400 and r.json["error"]["code"] == "points.org_required"
    r = client.get(
        f"/api/v1/points/leaderboard?scope=branch&period=all&org_id={scored.branch_b.id}",
        headers=scored.headers.committee,
    )
    assert r.status_code == 200 and r.json["me"] is None and len(r.json["items"]) == 1
    r = client.get(
        f"/api/v1/points/leaderboard?scope=branch&org_id={scored.branch_b.id}",
        headers=scored.headers.member_a,
    )
    assert r.status_code == 403


def test_private_ranking_shows_members_only_their_rank(client, scored, auth_headers):
    scored.park.public_ranking = False
    db.session.commit()
    url = "/api/v1/points/leaderboard?period=all&scope="
    r = client.get(url + "park", headers=auth_headers(scored.member_a2)).json
    assert r["public"] is False and r["items"] == [] and r["me"]["rank"] == 3
    r = client.get(url + "branch", headers=auth_headers(scored.member_a2)).json
    assert r["items"] == [] and r["me"]["rank"] == 2
    # the secretary holds a role over the branch: they see their branch's list
    r = client.get(url + "branch", headers=scored.headers.secretary_a).json
    assert len(r["items"]) == 3
    r = client.get(f"{url}park&org_id={scored.park.id}", headers=scored.headers.committee).json
    assert len(r["items"]) == 4


def test_moving_or_deactivating_a_member_moves_their_ranking(client, scored):
    r = client.patch(
        f"/api/v1/members/{scored.member_a.id}",
        json={"org_id": scored.branch_b.id},
        headers=scored.headers.committee,
    )
    assert r.status_code == 200, r.json
    rows = db.session.scalars(
        select(MemberPointPeriod).where(MemberPointPeriod.member_id == scored.member_a.id)
    )
    assert {r.branch_id for r in rows} == {scored.branch_b.id}
    b = client.get("/api/v1/points/leaderboard?period=all", headers=scored.headers.member_b).json
    assert [(i["name"], i["rank"]) for i in b["items"]] == [("张三", 1), ("王五", 1)]
    r = client.delete(f"/api/v1/members/{scored.member_a.id}", headers=scored.headers.committee)
    assert r.status_code == 204
    park_board = client.get(
        "/api/v1/points/leaderboard?scope=park&period=all", headers=scored.headers.member_b
    ).json
    assert "张三" not in [i["name"] for i in park_board["items"]]


def test_moving_a_branch_to_another_park_moves_its_members(client, scored, make_org):
    other_park = make_org("另一园区综合党委", "general_committee", scored.work)
    r = client.patch(
        f"/api/v1/orgs/{scored.branch_b.id}",
        json={"parent_id": other_park.id},
        headers=scored.headers.admin,
    )
    assert r.status_code == 200, r.json
    row = db.session.get(MemberPointPeriod, (scored.member_b.id, "all", "all"))
    assert (row.branch_id, row.park_id) == (scored.branch_b.id, other_park.id)
    mine = client.get(
        "/api/v1/points/leaderboard?scope=park&period=all", headers=scored.headers.member_b
    ).json
    assert mine["org_id"] == other_park.id and [i["name"] for i in mine["items"]] == ["王五"]


def test_points_me(client, scored, make_item):
    r = client.get("/api/v1/points/me?per_page=2", headers=scored.headers.member_a)
    assert r.status_code == 200
    me = r.json
    assert me["balance"] == 7
    assert me["history"]["total"] == 2 and len(me["history"]["items"]) == 2
    assert me["history"]["items"][0]["label"]
    rules = {x["action"]: x for x in me["today"]["rules"]}
    assert rules["read_minutes"]["max"] == 6 and rules["attendance_present"]["max"] is None
    assert me["streak"] == {"days": 0, "studied_today": False}
    assert client.get("/api/v1/points/me", headers=scored.headers.committee).status_code == 403
    assert (
        client.get("/api/v1/points/me?per_page=0", headers=scored.headers.member_a).status_code
        == 400
    )


def test_today_progress_and_periods(scored):
    me = standing.me(scored.member_a.id, {"page": 1, "per_page": 20}, NOW)
    rules = {x["action"]: (x["current"], x["max"]) for x in me["today"]["rules"]}
    assert rules["quiz_correct"] == (5, 5) and rules["daily_signin"] == (0, 1)
    assert me["today"]["points"] == 5 and me["today"]["day"] == date(2030, 5, 15)
    assert me["periods"] == {"week": 5, "month": 5, "year": 7, "all": 7}
    db.session.commit()


# --- rules ------------------------------------------------------------------------------------


def test_rules_are_read_by_all_and_edited_by_the_admin(client, park):
    r = client.get("/api/v1/points/rules", headers=park.headers.member_a)
    assert r.status_code == 200 and len(r.json) == len(points.DEFAULT_RULES)
    body = {"points": 2, "daily_count_cap": 3}
    assert (
        client.patch(
            "/api/v1/points/rules/quiz_correct", json=body, headers=park.headers.committee
        ).status_code
        == 403
    )
    r = client.patch("/api/v1/points/rules/quiz_correct", json=body, headers=park.headers.admin)
    assert r.status_code == 200 and r.json["points"] == 2 and r.json["daily_count_cap"] == 3
    assert (
        client.patch("/api/v1/points/rules/nope", json=body, headers=park.headers.admin).status_code
        == 404
    )
    r = client.patch(
        "/api/v1/points/rules/quiz_correct", json={"points": -1}, headers=park.headers.admin
    )
    assert r.status_code == 400
    entry = give(park.member_a, "quiz_correct", "q:x", quantity=5, now=utcnow())
    assert entry.delta == 6  # 2 points a unit, 3 units a day


# --- adjustments and revocations --------------------------------------------------------------


def test_committee_revokes_an_entry_once(client, scored):
    entry = db.session.scalar(select(PointLedger).where(PointLedger.idempotency_key == "att:a:old"))
    body = {"entry_id": entry.id, "reason": "重复签到，撤销"}
    assert (
        client.post(
            "/api/v1/points/adjustments", json=body, headers=scored.headers.secretary_a
        ).status_code
        == 403
    )
    r = client.post("/api/v1/points/adjustments", json=body, headers=scored.headers.committee)
    assert r.status_code == 201, r.json
    assert (
        r.json["delta"] == -2 and r.json["action"] == "revocation" and r.json["label"] == "积分撤销"
    )
    assert r.json["day"] == entry.day.isoformat()  # counted in the period it corrects
    again = client.post("/api/v1/points/adjustments", json=body, headers=scored.headers.committee)
    assert again.status_code == 409 and again.json["error"]["code"] == "points.already_revoked"
    revocation = db.session.get(PointLedger, r.json["id"])
    r = client.post(
        "/api/v1/points/adjustments",
        json={"entry_id": revocation.id, "reason": "撤销撤销"},
        headers=scored.headers.committee,
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "points.not_revocable"
    assert db.session.get(MemberPoints, scored.member_a.id).total == 5
    assert db.session.get(PointLedger, entry.id) is not None  # never deleted
    month = db.session.get(MemberPointPeriod, (scored.member_a.id, "month", "2030-04"))
    assert month.points == 0
    ledger = client.get(
        f"/api/v1/points/ledger?member_id={scored.member_a.id}", headers=scored.headers.committee
    ).json
    assert {i["id"]: i["revoked"] for i in ledger["items"]}[entry.id] is True
    logged = db.session.scalars(select(AuditLog).where(AuditLog.member_id == scored.member_a.id))
    assert [(a.action, a.reason) for a in logged] == [("points.revoke", "重复签到，撤销")]


def test_manual_adjustments_with_a_reason_and_a_request_id(client, scored):
    body = {
        "member_id": scored.member_b.id,
        "delta": 10,
        "reason": "优秀党员奖励",
        "request_id": "r-1",
    }
    first = client.post("/api/v1/points/adjustments", json=body, headers=scored.headers.committee)
    assert first.status_code == 201 and first.json["delta"] == 10
    retry = client.post("/api/v1/points/adjustments", json=body, headers=scored.headers.committee)
    assert retry.status_code == 201 and retry.json["id"] == first.json["id"]
    clash = client.post(
        "/api/v1/points/adjustments", json={**body, "delta": 5}, headers=scored.headers.committee
    )
    assert clash.status_code == 409
    assert db.session.get(MemberPoints, scored.member_b.id).total == 17


@pytest.mark.parametrize(
    "body",
    [
        {"member_id": 1, "reason": "缺分值"},
        {"member_id": 1, "delta": 0, "reason": "零"},
        {"member_id": 1, "delta": 5, "reason": "   "},
        {"member_id": 1, "delta": 5},
        {"delta": 5, "reason": "缺党员"},
        {"entry_id": 1, "delta": 5, "reason": "两者都有"},
        {"member_id": 1, "delta": 100_000, "reason": "太多"},
    ],
)
def test_bad_adjustments_are_400(client, park, body):
    r = client.post("/api/v1/points/adjustments", json=body, headers=park.headers.committee)
    assert r.status_code == 400, r.json


def test_totals_equal_the_ledger_after_everything(scored):
    ledger = dict(
        db.session.execute(
            select(PointLedger.member_id, func.sum(PointLedger.delta)).group_by(
                PointLedger.member_id
            )
        ).all()
    )
    totals = dict(db.session.execute(select(MemberPoints.member_id, MemberPoints.total)).all())
    alls = dict(
        db.session.execute(
            select(MemberPointPeriod.member_id, MemberPointPeriod.points).where(
                MemberPointPeriod.period_kind == "all"
            )
        ).all()
    )
    assert ledger == totals == alls
