"""民主评议 in the reports (issue 20): the star board's 民主评议 item is met only when the
meeting was held *and* the year's review is completed; the board shows the shares of 优秀
and 不合格; each member's grade of the year joins the members report and their own report.
Expectations computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.activities.models import Attendance
from app.extensions import db
from app.reports import stars
from app.reports.members import member_rows

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 2025 is over: its yearly items are closed


@pytest.fixture
def review_year(park, make_member, make_activity):
    """Branch A in 2025: four full members; a 民主评议党员 meeting held in November (one
    member present), nothing else held all year."""
    qian = make_member(park.branch_a, name="钱五")
    meeting = make_activity(
        park.branch_a,
        type="democratic_review",
        title="2025年度民主评议党员大会",
        starts_at=datetime(2025, 11, 20, 1, 0, tzinfo=UTC),
    )
    db.session.add(
        Attendance(
            activity_id=meeting.id,
            member_id=park.member_a.id,
            status="present",
            method="manual",
            checked_in_at=datetime(2025, 11, 20, 1, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    return qian


def _row(board, branch):
    return next(r for r in board["rows"] if r["org_id"] == branch.id)


def _grade(client, park, rid, member, grade):
    r = client.put(
        f"/api/v1/reviews/{rid}/decisions/{member.id}",
        json={"grade": grade, "on": "2025-11-20"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200, r.json


def test_the_review_item_counts_only_once_the_review_is_completed(client, park, review_year):
    """2025 for branch A (no committee, no groups): 4 general meetings (quarters) + 4 党课 +
    12 主题党日 + 1 组织生活会 + 1 民主评议 + 1 谈心谈话 = 23 closed items. Only the 民主评议
    meeting was held: 0/23 while the review is missing, open or incomplete; 1/23 = 0.0435
    once it is closed with all four members graded."""
    h = park.headers.secretary_a
    a = _row(stars.star_board(park.park, 2025, NOW), park.branch_a)
    assert (a["compliance"], a["review_status"], a["review_completed"]) == (0.0, "none", False)
    assert a["review_excellent_share"] is None and a["review_failing_share"] is None
    rid = client.post("/api/v1/reviews", json={"org_id": park.branch_a.id, "year": 2025}, headers=h)
    rid = rid.json["id"]
    # three of four graded: 优秀, 优秀, 不合格
    _grade(client, park, rid, park.member_a, "优秀")
    _grade(client, park, rid, park.member_a2, "优秀")
    _grade(client, park, rid, review_year, "不合格")
    a = _row(stars.star_board(park.park, 2025, NOW), park.branch_a)
    assert (a["compliance"], a["review_status"], a["review_completed"]) == (0.0, "open", False)
    assert (a["review_excellent_share"], a["review_failing_share"]) == (round(2 / 3, 4), 0.3333)
    # closed with one member still ungraded: not completed, the item stays missed
    assert client.post(f"/api/v1/reviews/{rid}/close", headers=h).status_code == 200
    a = _row(stars.star_board(park.park, 2025, NOW), park.branch_a)
    assert (a["compliance"], a["review_status"], a["review_completed"]) == (0.0, "closed", False)
    b = _row(stars.star_board(park.park, 2025, NOW), park.branch_b)
    assert (b["compliance"], b["review_status"]) == (0.0, "none")


def test_a_completed_review_meets_the_item_and_shows_the_shares(client, park, review_year):
    h = park.headers.secretary_a
    rid = client.post(
        "/api/v1/reviews", json={"org_id": park.branch_a.id, "year": 2025}, headers=h
    ).json["id"]
    for member, grade in (
        (park.member_a, "优秀"),
        (park.member_a2, "优秀"),
        (park.secretary_a, "合格"),
        (review_year, "不合格"),
    ):
        _grade(client, park, rid, member, grade)
    assert client.post(f"/api/v1/reviews/{rid}/close", headers=h).status_code == 200
    board = stars.star_board(park.park, 2025, NOW)
    a = _row(board, park.branch_a)
    # 1 of 23 closed items met; 2 of 4 优秀, 1 of 4 不合格
    assert a["compliance"] == round(1 / 23, 4) == 0.0435
    assert (a["review_status"], a["review_completed"]) == ("closed", True)
    assert (a["review_excellent_share"], a["review_failing_share"]) == (0.5, 0.25)
    w = board["weights"]
    assert a["score"] == round(
        10 * (w["compliance"] / 23 + w["attendance"] * a["attendance"] + w["study"] * a["study"]),
        2,
    )
    # the same through the API and its spreadsheet
    r = client.get("/api/v1/reports/stars?year=2025", headers=park.headers.committee)
    api_row = next(x for x in r.json["rows"] if x["org_id"] == park.branch_a.id)
    assert (api_row["review_completed"], api_row["review_failing_share"]) == (True, 0.25)
    csv = client.get("/api/v1/reports/stars?year=2025&format=csv", headers=park.headers.committee)
    text = csv.get_data(as_text=True)
    assert "民主评议" in text and "已完成" in text and "未开展" in text  # branch B: none


def test_the_members_grade_of_the_year_in_their_reports(client, park, review_year):
    h = park.headers.secretary_a
    rid = client.post(
        "/api/v1/reviews", json={"org_id": park.branch_a.id, "year": 2025}, headers=h
    ).json["id"]
    _grade(client, park, rid, park.member_a, "优秀")
    _grade(client, park, rid, review_year, "不合格")
    r = client.put(
        f"/api/v1/reviews/{rid}/decisions/{review_year.id}/follow-up",
        json={"correction_deadline": "2026-05-20"},
        headers=h,
    )
    assert r.status_code == 200, r.json
    rows = {r["member_id"]: r for r in member_rows(park.branch_a, NOW, 2025)}
    assert rows[park.member_a.id]["review_grade"] == "优秀"
    assert rows[review_year.id]["review_grade"] == "不合格"
    assert rows[review_year.id]["review_correction_deadline"].isoformat() == "2026-05-20"
    assert rows[park.member_a2.id]["review_grade"] is None  # not graded
    assert all(r["review_grade"] is None for r in member_rows(park.branch_a, NOW, 2026))
    mine = client.get(
        f"/api/v1/reports/members/{park.member_a.id}?year=2025", headers=park.headers.member_a
    )
    assert mine.status_code == 200 and mine.json["review_grade"] == "优秀"
    this_year = client.get(
        f"/api/v1/reports/members/{park.member_a.id}", headers=park.headers.member_a
    )
    assert this_year.json["review_grade"] is None
    listing = client.get(
        f"/api/v1/reports/members?org_id={park.branch_a.id}&year=2025",
        headers=park.headers.committee,
    )
    got = {r["member_id"]: r["review_grade"] for r in listing.json["rows"]}
    assert got[review_year.id] == "不合格"
