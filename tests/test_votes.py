"""Votes at the 党员大会: quorum, majority of the expected, written opinions, who may vote,
secrecy of the ballot, exactly one ballot per voter under concurrency, elections."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, inspect, select, text

from app.activities.models import Attendance
from app.extensions import db
from app.org.models import OrgRole
from app.timeutil import local_day, utcnow
from app.votes import rules
from app.votes.models import Ballot, PartyProbation, VoteMark

# --- the rules, by hand ----------------------------------------------------------------------


def test_quorum_is_more_than_half_of_the_expected():
    assert not rules.may_open(10, 5)  # exactly half is not enough
    assert rules.may_open(10, 6)
    assert rules.may_open(9, 5) and not rules.may_open(9, 4)
    assert not rules.may_open(0, 0)


def test_passing_needs_more_than_half_of_the_expected_not_of_the_present():
    assert not rules.passes(5, 10)  # 5 of 10 expected: not more than half
    assert rules.passes(6, 10)
    assert rules.passes(4, 7)  # 4 > 3.5
    assert not rules.passes(3, 7)


def test_election_quorum_is_four_fifths():
    assert rules.may_open_election(10, 8) and not rules.may_open_election(10, 7)
    assert rules.may_open_election(11, 9) and not rules.may_open_election(11, 8)  # 8.8


def test_election_outcome_by_rank_majority_of_present_and_ties():
    # 9 present: more than 4.5 votes needed; 3 seats
    out = rules.election_outcome({1: 9, 2: 7, 3: 5, 4: 4, 5: 6}, present=9, seats=3)
    assert out.elected == (1, 2, 5) and out.tied == ()
    # only two reach the majority: a seat stays empty
    out = rules.election_outcome({1: 9, 2: 5, 3: 4, 4: 3}, present=9, seats=3)
    assert out.elected == (1, 2)
    # a tie across the last seat elects neither of the tied
    out = rules.election_outcome({1: 9, 2: 6, 3: 6, 4: 2}, present=9, seats=2)
    assert out.elected == (1,) and set(out.tied) == {2, 3}


# --- a meeting with its electorate ------------------------------------------------------------


@pytest.fixture
def meeting(park, make_member, make_activity):
    """Branch A: 10 electors (3 of the park + 7 more full members), a probationary member, a
    full member under 留党察看 and an activist; a 党员大会 starting now."""
    a = park.branch_a
    extra = [make_member(a, name=f"党员{i}") for i in range(7)]
    prob = make_member(a, name="预备党员", status="probationary")
    barred = make_member(a, name="察看党员")
    make_member(a, name="积极分子", status="activist")
    db.session.add(PartyProbation(member_id=barred.id, from_on=date(2020, 1, 1), reason="处分"))
    db.session.commit()
    act = make_activity(a, type="general_meeting", title="支部党员大会")
    electors = [park.member_a, park.member_a2, park.secretary_a, *extra]
    return SimpleNamespace(activity=act, electors=electors, prob=prob, barred=barred)


def attend(activity, members):
    for m in members:
        db.session.add(
            Attendance(
                activity_id=activity.id,
                member_id=m.id,
                status="present",
                method="manual",
                checked_in_at=utcnow(),
            )
        )
    db.session.commit()


def create(client, park, activity, **body):
    body = {"activity_id": activity.id, "kind": "motion", "title": "表决事项", **body}
    r = client.post("/api/v1/votes", json=body, headers=park.headers.secretary_a)
    assert r.status_code == 201, r.json
    return r.json["id"]


def vote_as(client, auth_headers, member, vote_id, **body):
    return client.post(f"/api/v1/votes/{vote_id}/ballot", json=body, headers=auth_headers(member))


def test_quorum_with_written_opinions_and_majority_of_expected(client, park, meeting, auth_headers):
    """10 electors; 6 present (5 refused); 2 absent send written yes; 4 yes + 2 = 6 > 5."""
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(client, park, meeting.activity)
    # written opinions of two absent electors, before the vote opens
    for m in e[8:10]:
        r = client.post(
            f"/api/v1/votes/{vid}/written-opinions",
            json={"member_id": m.id, "choice": "yes"},
            headers=h,
        )
        assert r.status_code == 201, r.json
    attend(meeting.activity, [*e[:5], meeting.prob, meeting.barred])
    r = client.post(f"/api/v1/votes/{vid}/open", headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.no_quorum"
    assert r.json["error"]["details"] == {"expected": 10, "present": 5}
    attend(meeting.activity, [e[5]])
    r = client.post(f"/api/v1/votes/{vid}/open", headers=h)
    assert r.status_code == 200 and r.json["expected_voters"] == 10
    assert r.json["present_voters"] == 6
    # too late for written opinions; probationary and 留党察看 have no vote
    late = client.post(
        f"/api/v1/votes/{vid}/written-opinions",
        json={"member_id": e[7].id, "choice": "no"},
        headers=h,
    )
    assert late.status_code == 409
    for m in (meeting.prob, meeting.barred):
        r = vote_as(client, auth_headers, m, vid, choice="yes")
        assert r.status_code in (403, 404)
    absent = vote_as(client, auth_headers, e[6], vid, choice="yes")
    assert absent.status_code == 409 and absent.json["error"]["code"] == "vote.not_present"
    for m, choice in zip(e[:6], ["yes", "yes", "yes", "yes", "no", "abstain"], strict=True):
        r = vote_as(client, auth_headers, m, vid, choice=choice)
        assert r.status_code == 201, r.json
        assert r.json["result"] is None  # no result before the close
    again = vote_as(client, auth_headers, e[0], vid, choice="no")
    assert again.status_code == 409 and again.json["error"]["code"] == "vote.already_voted"
    r = client.post(f"/api/v1/votes/{vid}/close", headers=h)
    assert r.json["result"] == {"ballots_cast": 8, "yes": 6, "no": 1, "abstain": 1, "passed": True}


def test_exactly_half_of_the_expected_does_not_pass(client, park, meeting, auth_headers):
    """10 electors, 8 present: 3 yes in the hall + 2 written yes = 5, not more than 5."""
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(client, park, meeting.activity)
    for m in e[8:10]:
        client.post(
            f"/api/v1/votes/{vid}/written-opinions",
            json={"member_id": m.id, "choice": "yes"},
            headers=h,
        )
    attend(meeting.activity, e[:8])
    assert client.post(f"/api/v1/votes/{vid}/open", headers=h).status_code == 200
    for m, choice in zip(e[:8], ["yes"] * 3 + ["no"] * 5, strict=True):
        assert vote_as(client, auth_headers, m, vid, choice=choice).status_code == 201
    r = client.post(f"/api/v1/votes/{vid}/close", headers=h).json["result"]
    assert (r["yes"], r["no"], r["passed"]) == (5, 5, False)


def test_paper_ballots_and_export(client, park, meeting, auth_headers):
    """Tellers enter 7 paper ballots from 7 present electors: 6 yes passes (6 > 5)."""
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(
        client,
        park,
        meeting.activity,
        title="接收预备党员",
        kind="admission",
        subject_member_id=meeting.prob.id,
    )
    attend(meeting.activity, e[:7])
    client.post(f"/api/v1/votes/{vid}/open", headers=h)
    bad = client.post(
        f"/api/v1/votes/{vid}/paper",
        json={"member_ids": [m.id for m in e[:7]], "ballots": [{"choice": "yes"}] * 6},
        headers=h,
    )
    assert bad.status_code == 400 and bad.json["error"]["code"] == "vote.paper_count_mismatch"
    r = client.post(
        f"/api/v1/votes/{vid}/paper",
        json={
            "member_ids": [m.id for m in e[:7]],
            "ballots": [{"choice": "yes"}] * 6 + [{"choice": "no"}],
        },
        headers=h,
    )
    assert r.status_code == 201, r.json
    assert client.get(f"/api/v1/votes/{vid}/export?format=csv", headers=h).status_code == 409
    r = client.post(f"/api/v1/votes/{vid}/close", headers=h).json["result"]
    assert (r["ballots_cast"], r["yes"], r["no"], r["passed"]) == (7, 6, 1, True)
    csv = client.get(f"/api/v1/votes/{vid}/export?format=csv", headers=h)
    assert csv.status_code == 200
    body = csv.data.decode("utf-8-sig")
    assert "应到有表决权党员,10" in body and "赞成,6" in body and "结果,通过" in body
    electors = client.get(f"/api/v1/votes/{vid}/electors", headers=h).json
    assert len(electors) == 10 and sum(1 for x in electors if x["channel"] == "paper") == 7


def test_a_ballot_cannot_be_linked_to_its_voter(app, client, park, meeting, auth_headers, backend):
    """The ballot table holds no voter, no time, no sequence; every write re-keys and
    re-orders all ballots of the vote (one writing transaction for all of them)."""
    cols = {c["name"] for c in inspect(db.engine).get_columns("ballots")}
    assert cols == {"id", "vote_id", "choice", "candidate_id"}
    fks = {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("ballots")}
    assert fks == {"votes", "vote_candidates"}
    assert {c["name"] for c in inspect(db.engine).get_columns("vote_marks")} == {
        "vote_id",
        "member_id",
        "channel",
    }
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(client, park, meeting.activity)
    attend(meeting.activity, e)
    client.post(f"/api/v1/votes/{vid}/open", headers=h)
    seen: set[str] = set()
    for m, choice in zip(e, ["yes", "no"] * 5, strict=True):
        assert vote_as(client, auth_headers, m, vid, choice=choice).status_code == 201
        db.session.expire_all()
        ids = set(db.session.scalars(select(Ballot.id).where(Ballot.vote_id == vid)))
        assert not ids & seen  # earlier keys never survive a later vote
        seen |= ids
        if backend == "postgresql":
            xmins = db.session.scalars(
                text("SELECT DISTINCT xmin::text FROM ballots WHERE vote_id = :v"), {"v": vid}
            ).all()
            assert len(xmins) == 1  # all rows written by the last transaction
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 10
    assert db.session.scalar(select(func.count()).select_from(VoteMark)) == 10


def test_concurrent_double_votes_give_one_ballot(app, park, meeting, auth_headers, backend):
    """Six simultaneous ballots of one member: one 201, five 409, one ballot and one mark."""
    if backend != "postgresql":
        pytest.skip("row locks and concurrent writers: PostgreSQL")
    client = app.test_client()
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(client, park, meeting.activity)
    attend(meeting.activity, e)
    client.post(f"/api/v1/votes/{vid}/open", headers=h)
    headers = auth_headers(e[0])
    db.session.remove()
    n = 6
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def submit():
        c = app.test_client()
        barrier.wait()
        r = c.post(f"/api/v1/votes/{vid}/ballot", json={"choice": "yes"}, headers=headers)
        codes.append(r.status_code)

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [201] + [409] * (n - 1)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
    assert db.session.scalar(select(func.count()).select_from(VoteMark)) == 1


def test_election_four_fifths_majority_of_present_and_committee_term(
    client, park, meeting, auth_headers
):
    """10 electors; 7 present refused (< 8); 8 present: 3 seats, 4 candidates (差额);
    more than 4 votes needed; the elected become the committee from the term's start."""
    e, h = meeting.electors, park.headers.secretary_a
    cands = e[3:7]
    flat = client.post(
        "/api/v1/votes",
        json={
            "activity_id": meeting.activity.id,
            "kind": "election",
            "title": "换届选举",
            "seats": 3,
            "candidate_ids": [m.id for m in cands[:3]],
        },
        headers=h,
    )
    assert flat.status_code == 400 and flat.json["error"]["code"] == "vote.not_competitive"
    vid = create(
        client,
        park,
        meeting.activity,
        kind="election",
        title="换届选举",
        seats=3,
        candidate_ids=[m.id for m in cands],
    )
    attend(meeting.activity, e[:7])
    r = client.post(f"/api/v1/votes/{vid}/open", headers=h)
    assert r.status_code == 409 and r.json["error"]["details"] == {"expected": 10, "present": 7}
    attend(meeting.activity, [e[7]])
    assert client.post(f"/api/v1/votes/{vid}/open", headers=h).status_code == 200
    c = [m.id for m in cands]
    marks = [c[:3]] * 4 + [[c[0], c[1], c[3]]] * 3 + [[c[0]]]  # c0 8, c1 7, c2 4, c3 3
    over = vote_as(client, auth_headers, e[0], vid, candidate_ids=c)
    assert over.status_code == 400 and over.json["error"]["code"] == "vote.too_many_marks"
    for m, chosen in zip(e[:8], marks, strict=True):
        assert vote_as(client, auth_headers, m, vid, candidate_ids=chosen).status_code == 201
    r = client.post(f"/api/v1/votes/{vid}/close", headers=h).json
    votes = {x["member_id"]: (x["votes"], x["elected"]) for x in r["candidates"]}
    # 8 present: more than 4 needed, so c2 with exactly 4 is not elected; one seat stays empty
    assert votes == {c[0]: (8, True), c[1]: (7, True), c[2]: (4, False), c[3]: (3, False)}
    assert r["result"]["passed"] is False
    start = local_day(utcnow()) + timedelta(days=1)
    r = client.post(
        f"/api/v1/votes/{vid}/committee",
        json={
            "term_start": start.isoformat(),
            "term_years": 5,
            "roles": [
                {"member_id": c[0], "role": "secretary"},
                {"member_id": c[1], "role": "organizer"},
            ],
        },
        headers=h,
    )
    assert r.status_code == 200, r.json
    assert r.json["term_ends_on"] == start.replace(year=start.year + 5).isoformat()
    db.session.expire_all()
    old = db.session.scalars(
        select(OrgRole).where(OrgRole.member_id == park.secretary_a.id, OrgRole.role == "secretary")
    ).one()
    assert old.until == start  # the outgoing secretary's role ends, kept as history
    new = db.session.scalars(select(OrgRole).where(OrgRole.member_id == c[0])).one()
    assert (new.role, new.since, new.until) == ("secretary", start, None)
    not_elected = client.post(
        f"/api/v1/votes/{vid}/committee",
        json={"term_start": start.isoformat(), "roles": [{"member_id": c[2], "role": "publicity"}]},
        headers=h,
    )
    assert not_elected.status_code == 409  # seated once


def test_members_of_another_branch_see_nothing(client, park, meeting, auth_headers):
    vid = create(client, park, meeting.activity)
    r = client.get(f"/api/v1/votes/{vid}", headers=park.headers.member_b)
    assert r.status_code == 404
    r = client.get(f"/api/v1/votes/{vid}", headers=park.headers.member_a)
    assert r.status_code == 200 and r.json["result"] is None


def test_members_find_and_cast_on_the_mini_program_surface(client, park, meeting, auth_headers):
    """The open votes list shows a vote to its present electors only; casting works there."""
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(client, park, meeting.activity)
    attend(meeting.activity, e[:6])
    assert client.get("/api/mp/v1/votes/open", headers=auth_headers(e[0])).json == []
    client.post(f"/api/v1/votes/{vid}/open", headers=h)
    assert [
        v["id"] for v in client.get("/api/mp/v1/votes/open", headers=auth_headers(e[0])).json
    ] == [vid]
    assert client.get("/api/mp/v1/votes/open", headers=auth_headers(meeting.prob)).json == []
    assert client.get("/api/mp/v1/votes/open", headers=park.headers.member_b).json == []
    r = client.post(
        f"/api/mp/v1/votes/{vid}/ballot", json={"choice": "no"}, headers=auth_headers(e[0])
    )
    assert r.status_code == 201 and r.json["my_channel"] == "app"


def test_my_votes_list_open_then_result_for_thirty_days(client, park, meeting, auth_headers):
    """/api/mp/v1/votes: a draft is not listed; open without a result; closed with it; gone
    31 days after the close; never to a probationary member or another branch."""
    e, h = meeting.electors, park.headers.secretary_a
    vid = create(client, park, meeting.activity, title="通过年度计划")
    mine = client.get("/api/mp/v1/votes", headers=auth_headers(e[0]))
    assert mine.status_code == 200 and mine.json == []
    attend(meeting.activity, e[:6])
    client.post(f"/api/v1/votes/{vid}/open", headers=h)
    listed = client.get("/api/mp/v1/votes", headers=auth_headers(e[0])).json
    assert [(v["id"], v["status"], v["result"], v["my_channel"]) for v in listed] == [
        (vid, "open", None, None)
    ]
    for m in e[:6]:
        assert vote_as(client, auth_headers, m, vid, choice="yes").status_code == 201
    again = vote_as(client, auth_headers, e[0], vid, choice="no")
    assert again.status_code == 409 and again.json["error"]["code"] == "vote.already_voted"
    assert client.post(f"/api/v1/votes/{vid}/close", headers=h).status_code == 200
    (row,) = client.get("/api/mp/v1/votes", headers=auth_headers(e[0])).json
    # 10 expected, 6 yes: 6 > 5 passes
    assert row["my_channel"] == "app"
    assert row["result"] == {"ballots_cast": 6, "yes": 6, "no": 0, "abstain": 0, "passed": True}
    assert client.get("/api/mp/v1/votes", headers=auth_headers(meeting.prob)).json == []
    assert client.get("/api/mp/v1/votes", headers=park.headers.member_b).json == []
    from app.votes import results
    from app.votes.models import Vote

    member = db.session.get(type(e[0]), e[0].id)
    closed_at = db.session.get(Vote, vid).closed_at
    p = SimpleNamespace(member=member, member_id=member.id)
    assert [v["id"] for v in results.member_votes(p, closed_at + timedelta(days=30))] == [vid]
    assert results.member_votes(p, closed_at + timedelta(days=30, seconds=1)) == []
