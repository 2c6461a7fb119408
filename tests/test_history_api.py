"""Issue 15 through the HTTP API: 转正, a transfer, a late excusal, a founding day and an
election day — the attendance sheet and the compliance report of the past do not change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.activities.expected import fix_due_attendees
from app.audit.models import AuditLog
from app.extensions import db
from app.org.models import OrgRole
from app.timeutil import utcnow
from tests.test_reports import activity, at, mark


def march_general(client, headers, org_id):
    r = client.get(f"/api/v1/reports/compliance?year=2026&org_id={org_id}", headers=headers)
    assert r.status_code == 200, r.json
    [branch] = [b for b in r.json["branches"] if b["org_id"] == org_id]
    march = next(m for m in branch["months"] if m["month"] == 3)
    return next(i for i in march["items"] if i["type"] == "general_meeting")


def quorum(client, headers, activity_id):
    r = client.get(f"/api/v1/activities/{activity_id}/attendance", headers=headers)
    assert r.status_code == 200, r.json
    return r.json["expected"], r.json["quorum"]


@pytest.fixture
def branch_a_meeting(park, make_member):
    """Branch A grows to 9 full and 2 probationary; a March 党员大会 with 5 full present."""
    full = [park.member_a, park.member_a2, park.secretary_a]
    full += [make_member(park.branch_a, name=f"正式{i}") for i in range(6)]
    probation = [
        make_member(park.branch_a, name=f"预备{i}", status="probationary") for i in range(2)
    ]
    meeting = activity(park.branch_a, at(3, 10), type="general_meeting")
    for m in full[:5]:
        mark(meeting, m)
    return full, probation, meeting


def test_conversion_through_the_api(client, park, branch_a_meeting):
    _, probation, meeting = branch_a_meeting
    h = park.headers.secretary_a
    before = quorum(client, h, meeting.id), march_general(client, h, park.branch_a.id)
    assert before[0][1]["expected_voters"] == 9 and before[0][1]["quorate"] is True
    assert before[1]["status"] == "met"
    for m in probation:
        r = client.patch(
            f"/api/v1/members/{m.id}",
            json={"status": "full", "effective_on": "2026-11-01", "reason": "支部大会通过转正"},
            headers=h,
        )
        assert r.status_code == 200 and r.json["status"] == "full"
    assert (quorum(client, h, meeting.id), march_general(client, h, park.branch_a.id)) == before


def test_transfer_through_the_api(client, park, branch_a_meeting, make_member):
    _, _, meeting = branch_a_meeting
    h = park.headers.committee
    movers = [make_member(park.branch_b, name=f"转入{i}") for i in range(3)]
    before = quorum(client, h, meeting.id), march_general(client, h, park.branch_a.id)
    for m in movers:
        r = client.patch(
            f"/api/v1/members/{m.id}",
            json={
                "org_id": park.branch_a.id,
                "effective_on": "2026-06-01",
                "reason": "组织关系转接",
            },
            headers=h,
        )
        assert r.status_code == 200 and r.json["org_id"] == park.branch_a.id
    assert (quorum(client, h, meeting.id), march_general(client, h, park.branch_a.id)) == before
    bad = client.patch(
        f"/api/v1/members/{movers[0].id}",
        json={"status": "probationary", "effective_on": "2026-05-01"},
        headers=h,
    )
    assert (
        bad.status_code == 400
        and bad.json["error"]["code"] == "member.effective_before_last_change"
    )


def test_late_excusal_through_the_api(client, park, branch_a_meeting):
    full, _, meeting = branch_a_meeting
    h = park.headers.committee
    fix_due_attendees(utcnow())  # what the scheduler does once the window has closed
    db.session.commit()
    before = quorum(client, h, meeting.id), march_general(client, h, park.branch_a.id)
    absentee = full[7]
    own = client.patch(
        f"/api/v1/members/{absentee.id}", json={"excused": True}, headers=park.headers.secretary_a
    )
    assert own.status_code == 403
    assert own.json["error"]["code"] == "member.excusal_needs_level_above"
    r = client.post(
        f"/api/v1/members/{absentee.id}/excusals",
        json={"from_on": "2026-01-01", "to_on": "2026-12-31", "reason": "驻外工作"},
        headers=h,
    )
    assert r.status_code == 201 and r.json["decided_by_org_id"] == park.park.id
    assert (quorum(client, h, meeting.id), march_general(client, h, park.branch_a.id)) == before
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "member.excusal"))
    assert (log.member_id, log.reason, log.new_value) == (
        absentee.id,
        "驻外工作",
        "2026-01-01–2026-12-31",
    )
    listed = client.get(f"/api/v1/members/{absentee.id}/excusals", headers=park.headers.secretary_a)
    assert [(e["from_on"], e["to_on"]) for e in listed.json] == [("2026-01-01", "2026-12-31")]
    bad = client.post(
        f"/api/v1/members/{absentee.id}/excusals",
        json={"from_on": "2026-05-01", "to_on": "2026-04-01", "reason": "x"},
        headers=h,
    )
    assert bad.status_code == 400


def test_founding_day_through_the_api(client, park):
    h = park.headers.committee
    r = client.post(
        "/api/v1/orgs",
        json={
            "name": "七月新建支部",
            "type": "branch",
            "parent_id": park.park.id,
            "founded_on": "2026-07-01",
        },
        headers=h,
    )
    assert r.status_code == 201 and r.json["founded_on"] == "2026-07-01"
    branch_id = r.json["id"]
    report = client.get(f"/api/v1/reports/compliance?year=2026&org_id={branch_id}", headers=h).json
    [row] = report["branches"]
    assert row["founded_on"] == "2026-07-01"
    assert [m["items"] for m in row["months"][:6]] == [[]] * 6
    assert "7月：主题党日" in row["gaps"]
    assert not [g for g in row["gaps"] if g.split("月")[0] in {"1", "2", "3", "4", "5", "6"}]
    default = client.post(
        "/api/v1/orgs",
        json={"name": "今天建", "type": "branch", "parent_id": park.park.id},
        headers=h,
    )
    assert default.json["founded_on"] == utcnow().astimezone(at(1, 1).tzinfo).date().isoformat()
    moved = client.patch(f"/api/v1/orgs/{branch_id}", json={"founded_on": "2026-08-01"}, headers=h)
    assert moved.status_code == 200 and moved.json["founded_on"] == "2026-08-01"
    assert (
        db.session.scalar(select(AuditLog.new_value).where(AuditLog.action == "org.founded_on"))
        == "2026-08-01"
    )


def test_election_day_through_the_api(client, park, make_member):
    h = park.headers.committee
    people = [park.member_a, park.member_a2, make_member(park.branch_a)]
    role_ids = []
    for m, role in zip(people, ("deputy_secretary", "organizer", "publicity"), strict=True):
        r = client.post(
            f"/api/v1/orgs/{park.branch_a.id}/roles",
            json={"member_id": m.id, "role": role, "since": "2026-09-01"},
            headers=h,
        )
        assert r.status_code == 201, r.json
        assert (r.json["since"], r.json["term_ends_on"]) == ("2026-09-01", "2029-09-01")
        role_ids.append(r.json["id"])
    # the secretary's own grant (since: before any record) makes a fourth seat from January
    db.session.execute(
        OrgRole.__table__.update()
        .where(OrgRole.member_id == park.secretary_a.id)
        .values(since=date(2026, 9, 1))
    )
    db.session.commit()
    report = client.get(
        f"/api/v1/reports/compliance?year=2026&org_id={park.branch_a.id}", headers=h
    )
    [row] = report.json["branches"]
    months = [
        m["month"]
        for m in row["months"]
        if any(i["type"] == "committee_meeting" for i in m["items"])
    ]
    assert months == [9, 10, 11, 12]
    committee_gaps = [g for g in row["gaps"] if "支委会" in g]
    # (November and on depend on the real clock: only what is past for certain is pinned)
    assert committee_gaps[:2] == ["9月：支委会", "10月：支委会"]
    assert not [g for g in committee_gaps if int(g.split("月")[0]) < 9]
    # the organizer steps down on 1 November: the roster shows the current holders only, the
    # term stays in the history, and the past months do not move
    ended = client.delete(
        f"/api/v1/orgs/{park.branch_a.id}/roles/{role_ids[1]}?effective_on=2026-11-01", headers=h
    )
    assert ended.status_code == 204
    listed = client.get(f"/api/v1/orgs/{park.branch_a.id}/roles", headers=h).json
    assert role_ids[1] not in [x["id"] for x in listed]
    assert db.session.get(OrgRole, role_ids[1]).until == date(2026, 11, 1)
    again = client.get(f"/api/v1/reports/compliance?year=2026&org_id={park.branch_a.id}", headers=h)
    [after] = again.json["branches"]
    assert [m for m in after["months"] if m["month"] <= 10] == [
        m for m in row["months"] if m["month"] <= 10
    ]
