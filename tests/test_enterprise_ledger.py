"""五清 enterprise ledger, coverage modes by hand, instructors and visits (issue 19)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.extensions import db
from app.fiveclears.services import coverage_mode
from app.notify.models import Notification
from app.org.models import Enterprise
from app.timeutil import local_tz


@pytest.mark.parametrize(
    ("full", "own", "covered", "instructor", "expected"),
    [
        (5, True, True, False, ("standalone", True)),  # has its own branch
        (3, False, False, False, ("should_standalone", False)),  # exactly 3 → 应单建
        (3, False, True, True, ("should_standalone", False)),  # a joint branch does not do
        (2, False, False, False, ("joint_or_affiliated", False)),  # 2 → 联建/挂靠, not yet
        (1, False, True, False, ("joint_or_affiliated", True)),  # 1, attached → met
        (0, False, False, False, ("dispatched", False)),  # none → an instructor is due
        (0, False, False, True, ("dispatched", True)),
    ],
)
def test_coverage_modes_by_hand(full, own, covered, instructor, expected):
    assert coverage_mode(full, own, covered, instructor) == expected


@pytest.fixture
def ents(park, make_org):
    """规上 甲 with its own branch; 高新 乙 with 3 full members; 丙 with 2; 丁 with none."""
    own = make_org("甲公司党支部", "branch", park.park, build_mode="standalone")
    rows = {
        "甲": Enterprise(
            name="甲公司", park_org_id=park.park.id, above_scale=True, covering_org_id=own.id
        ),
        "乙": Enterprise(name="乙公司", park_org_id=park.park.id, high_tech=True, above_scale=True),
        "丙": Enterprise(name="丙公司", park_org_id=park.park.id, high_tech=True),
        "丁": Enterprise(name="丁公司", park_org_id=park.park.id),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return rows


def _patch(client, park, ent, headers=None, **body):
    return client.patch(
        f"/api/v1/enterprises/{ent.id}", json=body, headers=headers or park.headers.committee
    )


def test_patch_five_clears_keeps_history(client, park, ents):
    r = _patch(
        client,
        park,
        ents["乙"],
        party_members=4,
        full_members=3,
        investor_name="钱总",
        investor_is_member=True,
        operating_status="normal",
        entered_on="2024-03-01",
        last_checked_on="2026-11-01",
        reason="年度核查",
    )
    assert r.status_code == 200, r.json
    assert r.json["profile"]["full_members"] == 3
    assert (r.json["coverage_mode"], r.json["coverage_mode_label"]) == (
        "should_standalone",
        "应单建",
    )
    assert r.json["coverage_met"] is False
    again = _patch(client, park, ents["乙"], full_members=3, staff_count=120)
    assert again.status_code == 200
    history = client.get(
        f"/api/v1/enterprises/{ents['乙'].id}/history", headers=park.headers.committee
    ).json
    fields = [h["field"] for h in history]
    assert (
        fields[0] == "staff_count"
        and "full_members" in fields
        and fields.count("full_members") == 1
    )
    investor = next(h for h in history if h["field"] == "investor_is_member")
    assert (investor["old_value"], investor["new_value"], investor["reason"]) == (
        "否",
        "是",
        "年度核查",
    )
    bad = _patch(client, park, ents["乙"], full_members=9)
    assert bad.status_code == 400  # more full members than members
    assert _patch(
        client, park, ents["乙"], headers=park.headers.secretary_a, staff_count=1
    ).status_code in (403, 404)
    got = client.get(f"/api/v1/enterprises/{ents['乙'].id}", headers=park.headers.member_a)
    assert got.status_code == 404


def test_coverage_report_counts_by_mode_and_for_above_scale_and_high_tech(
    client, park, ents, make_org
):
    joint = make_org("联合党支部", "branch", park.park, build_mode="joint")
    _patch(client, park, ents["乙"], party_members=3, full_members=3)
    _patch(client, park, ents["丙"], party_members=2, full_members=2, covering_org_id=joint.id)
    r = client.get("/api/v1/enterprises/coverage-modes", headers=park.headers.committee)
    assert r.status_code == 200
    by = {m["mode"]: (m["count"], m["met"]) for m in r.json["all"]["by_mode"]}
    assert by == {
        "standalone": (1, 1),
        "should_standalone": (1, 0),
        "joint_or_affiliated": (1, 1),
        "dispatched": (1, 0),
    }
    assert r.json["all"]["gaps"] == 2
    scale = {m["mode"]: m["count"] for m in r.json["above_scale"]["by_mode"]}
    assert scale == {
        "standalone": 1,
        "should_standalone": 1,
        "joint_or_affiliated": 0,
        "dispatched": 0,
    }
    tech = {m["mode"]: m["count"] for m in r.json["high_tech"]["by_mode"]}
    assert tech == {
        "standalone": 0,
        "should_standalone": 1,
        "joint_or_affiliated": 1,
        "dispatched": 0,
    }
    csv = client.get(
        "/api/v1/enterprises/coverage-modes?format=csv", headers=park.headers.committee
    ).get_data(as_text=True)
    assert "应单建" in csv and "丁公司" in csv


def test_assignment_meets_dispatch_and_contact_limit(client, park, ents, make_member):
    cadre = make_member(park.park, name="指导员小刘")
    r = client.post(
        "/api/v1/instructor-assignments",
        json={"enterprise_id": ents["丁"].id, "member_id": cadre.id},
        headers=park.headers.committee,
    )
    assert r.status_code == 201, r.json
    dup = client.post(
        "/api/v1/instructor-assignments",
        json={"enterprise_id": ents["丁"].id, "member_id": cadre.id},
        headers=park.headers.committee,
    )
    assert dup.status_code == 409
    got = client.get(f"/api/v1/enterprises/{ents['丁'].id}", headers=park.headers.committee).json
    assert (got["coverage_mode"], got["coverage_met"]) == ("dispatched", True)
    leader = make_member(park.park, name="园区领导")
    for key in ("甲", "乙"):
        ok = client.post(
            "/api/v1/instructor-assignments",
            json={"enterprise_id": ents[key].id, "member_id": leader.id, "kind": "contact"},
            headers=park.headers.committee,
        )
        assert ok.status_code == 201
    third = client.post(
        "/api/v1/instructor-assignments",
        json={"enterprise_id": ents["丙"].id, "member_id": leader.id, "kind": "contact"},
        headers=park.headers.committee,
    )
    assert third.status_code == 409 and third.json["error"]["code"] == "visits.contact_limit"
    # the instructor may read their enterprise's ledger and keep it
    from flask_jwt_extended import create_access_token

    h = {"Authorization": f"Bearer {create_access_token(identity=f'm:{cadre.id}')}"}
    assert client.get(f"/api/v1/enterprises/{ents['丁'].id}", headers=h).status_code == 200
    assert client.get(f"/api/v1/enterprises/{ents['甲'].id}", headers=h).status_code == 404


def test_visits_reports_and_overdue_reminder_once(app, client, park, ents, make_member):
    from flask_jwt_extended import create_access_token

    from app.notify.reminders import run_due
    from app.visits.models import Assignment

    cadre = make_member(park.park, name="指导员小王")
    db.session.add_all(
        [
            Assignment(
                enterprise_id=ents[k].id,
                member_id=cadre.id,
                kind="instructor",
                since=date(2026, 1, 1),
            )
            for k in ("丙", "丁")
        ]
    )
    db.session.commit()
    h = {"Authorization": f"Bearer {create_access_token(identity=f'm:{cadre.id}')}"}
    for day in ("2026-03-02", "2026-03-20", "2026-05-06"):
        r = client.post(
            "/api/v1/visits",
            json={
                "enterprise_id": ents["丙"].id,
                "visited_on": day,
                "people_met": "人事经理",
                "topics": "发展党员",
                "problems": "无活动场地",
                "follow_up": "协调党群服务中心",
            },
            headers=h,
        )
        assert r.status_code == 201, r.json
    not_mine = client.post(
        "/api/v1/visits",
        json={"enterprise_id": ents["甲"].id, "visited_on": "2026-03-02"},
        headers=h,
    )
    assert not_mine.status_code in (403, 404)
    future = client.post(
        "/api/v1/visits",
        json={"enterprise_id": ents["丙"].id, "visited_on": "2099-01-01"},
        headers=h,
    )
    assert future.status_code == 400
    report = client.get("/api/v1/visits/report?year=2026", headers=park.headers.committee).json
    row = next(r for r in report["rows"] if r["member_id"] == cadre.id)
    assert row["months"][2] == 2 and row["months"][4] == 1 and row["total"] == 3
    assert row["enterprises"] == 2
    mine = client.get("/api/v1/visits", headers=h).json
    assert mine["total"] == 3
    # with a ten-year window only the never-visited enterprises are overdue
    overdue = client.get(
        "/api/v1/visits/overdue", query_string={"days": 3650}, headers=park.headers.committee
    ).json
    assert [r["name"] for r in overdue["rows"]] == ["甲公司", "乙公司", "丁公司"]
    assert all(r["last_visited_on"] is None for r in overdue["rows"])
    # the reminder, at a fixed time: 丙 last visited 6 May → due 5 June; 丁 never → due 31 Jan
    at = datetime(2026, 6, 10, 10, tzinfo=local_tz())
    for extra in (0, 1):
        run_due(at + timedelta(hours=extra))
        db.session.commit()
    rows = (
        db.session.query(Notification)
        .filter_by(kind="visit_overdue")
        .order_by(Notification.id)
        .all()
    )
    assert sorted(r.body.split("已")[0] for r in rows) == ["丁公司", "丙公司"]
    assert all(r.member_id == cadre.id for r in rows)
    assert len(rows) == 2  # once per overdue spell, whatever the re-runs
