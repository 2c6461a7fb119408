"""流动党员 (issue 21, part 1): registrations, the host's entries in the six-month rule, the
fixed-place flag (应转接组织关系) and 失联 (no contact for six months) apart from absence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.errors import APIError
from app.extensions import db
from app.reports import members as report_members
from app.transfers import mobile
from app.transfers.reports import mobile_report
from tests.test_reports import NOW, activity, at, mark

JAN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def away(park, make_member):
    """Members of branch A in the system since January 2026, never at a meeting."""
    return [
        make_member(park.branch_a, name=n, created_at=JAN) for n in ("外出甲", "外出乙", "外出丙")
    ]


def _rows(park):
    return {r["member_id"]: r for r in report_members.member_rows(park.park, NOW, 2026)}


def test_a_host_entry_outside_counts_for_the_six_month_rule(park, principal_of, away):
    """Away at an outside organisation from March; the home secretary records the host's
    参加活动 on 10 September: 21 Nov is 2 whole months later, no flag; without it, 10 months."""
    secretary = principal_of(park.secretary_a)
    first, second, _ = away
    reg = mobile.register(
        secretary,
        {
            "member_id": first.id,
            "host_name": "深圳某科技公司党支部",
            "place": "深圳",
            "from_on": date(2026, 3, 1),
        },
        NOW,
    )
    mobile.participate(secretary, reg.id, {"held_on": date(2026, 9, 10), "title": "主题党日"}, NOW)
    db.session.commit()
    rows = _rows(park)
    assert (rows[first.id]["months_without_attendance"], rows[first.id]["absence_flag"]) == (
        2,
        None,
    )
    assert (rows[second.id]["months_without_attendance"], rows[second.id]["absence_flag"]) == (
        10,
        6,
    )
    # at an outside host since 1 March: 8 whole months at one place → 应转接
    assert rows[first.id]["away_at"] == "深圳某科技公司党支部"
    assert rows[first.id]["transfer_due"] is True
    assert rows[second.id]["transfer_due"] is False
    # an entry outside the registered period, or in the future, is refused
    with pytest.raises(APIError) as outside:
        mobile.participate(secretary, reg.id, {"held_on": date(2026, 2, 1)}, NOW)
    assert outside.value.code == "mobile.outside_period"
    with pytest.raises(APIError) as twice:
        mobile.participate(secretary, reg.id, {"held_on": date(2026, 9, 10)}, NOW)
    assert twice.value.code == "mobile.participation_exists"


def test_attendance_at_a_host_branch_counts(park, principal_of, away):
    """Registered at branch B (in the system) and present at B's October meeting: 1 month."""
    first = away[0]
    mobile.register(
        principal_of(first), {"host_org_id": park.branch_b.id, "from_on": date(2026, 8, 1)}, NOW
    )
    db.session.commit()
    october = activity(park.branch_b, at(10, 15))
    mark(october, first)
    row = _rows(park)[first.id]
    assert (row["months_without_attendance"], row["absence_flag"]) == (1, None)
    # three whole months at B so far: not yet due for a formal transfer
    assert (row["away_at"], row["transfer_due"]) == ("B企业党支部", False)


def test_fixed_place_flag_needs_six_whole_months_and_a_current_registration(
    park, principal_of, away
):
    secretary = principal_of(park.secretary_a)
    first, second, third = away
    for member, start, end in (
        (first, date(2026, 5, 21), None),  # 21 May → 21 Nov: exactly 6 months
        (second, date(2026, 5, 22), None),  # one day short
        (third, date(2026, 1, 1), date(2026, 10, 31)),  # back home since November
    ):
        mobile.register(
            secretary,
            {"member_id": member.id, "host_name": "外地", "from_on": start, "to_on": end},
            NOW,
        )
    db.session.commit()
    rows = _rows(park)
    assert [rows[m.id]["transfer_due"] for m in away] == [True, False, False]
    assert rows[third.id]["away_at"] is None


def test_lost_contact_is_a_separate_flag_from_absence(park, principal_of, away):
    """No attendance anywhere since January for all three; the secretary phoned the first in
    October: absent (flag 6) but not lost; the second is both; a contact in the future or by
    someone else's secretary is refused."""
    secretary = principal_of(park.secretary_a)
    first, second, _ = away
    mobile.record_contact(
        secretary,
        {
            "member_id": first.id,
            "contacted_on": date(2026, 10, 8),
            "method": "phone",
            "note": "在深圳，下月回",
        },
        NOW,
    )
    db.session.commit()
    rows = _rows(park)
    assert (rows[first.id]["absence_flag"], rows[first.id]["lost_contact"]) == (6, False)
    assert rows[first.id]["last_contact"] == date(2026, 10, 8)
    assert (rows[second.id]["absence_flag"], rows[second.id]["lost_contact"]) == (6, True)
    with pytest.raises(APIError) as future:
        mobile.record_contact(
            secretary, {"member_id": first.id, "contacted_on": date(2026, 11, 22)}, NOW
        )
    assert future.value.code == "mobile.date_in_future"
    with pytest.raises(APIError) as elsewhere:
        mobile.record_contact(
            secretary, {"member_id": park.member_b.id, "contacted_on": date(2026, 11, 1)}, NOW
        )
    assert elsewhere.value.status == 403


def test_registration_rules(park, principal_of, away):
    member = principal_of(away[0])
    with pytest.raises(APIError) as both:
        mobile.register(
            member,
            {"host_org_id": park.branch_b.id, "host_name": "x", "from_on": date(2026, 3, 1)},
            NOW,
        )
    assert both.value.code == "mobile.host_required"
    with pytest.raises(APIError) as home:
        mobile.register(member, {"host_org_id": park.branch_a.id, "from_on": date(2026, 3, 1)}, NOW)
    assert home.value.code == "mobile.bad_host"
    mobile.register(
        member, {"host_name": "外地", "from_on": date(2026, 3, 1), "to_on": date(2026, 6, 30)}, NOW
    )
    with pytest.raises(APIError) as overlap:
        mobile.register(member, {"host_name": "别处", "from_on": date(2026, 6, 1)}, NOW)
    assert overlap.value.code == "mobile.overlap"
    later = mobile.register(member, {"host_name": "别处", "from_on": date(2026, 7, 1)}, NOW)
    assert later.current is True
    with pytest.raises(APIError) as other:
        mobile.register(
            principal_of(park.member_b),
            {"member_id": away[1].id, "host_name": "x", "from_on": date(2026, 3, 1)},
            NOW,
        )
    assert other.value.status == 403


def test_mobile_report_lists_where_they_are(park, principal_of, away):
    secretary = principal_of(park.secretary_a)
    mobile.register(
        secretary,
        {
            "member_id": away[0].id,
            "host_name": "深圳某党支部",
            "place": "深圳",
            "from_on": date(2026, 2, 1),
        },
        NOW,
    )
    mobile.register(
        secretary,
        {"member_id": away[1].id, "host_org_id": park.branch_b.id, "from_on": date(2026, 10, 1)},
        NOW,
    )
    db.session.commit()
    report = mobile_report(principal_of(park.committee), {}, NOW)
    lines = {r["member_name"]: r for r in report["rows"]}
    assert set(lines) == {"外出甲", "外出乙"}
    assert (
        lines["外出甲"]["host_label"],
        lines["外出甲"]["months_away"],
        lines["外出甲"]["flags"],
    ) == (
        "深圳某党支部",
        9,
        "应转接组织关系、失联",
    )
    assert (
        lines["外出乙"]["host_label"],
        lines["外出乙"]["outside"],
        lines["外出乙"]["flags"],
    ) == (
        "B企业党支部",
        False,
        "失联",
    )


def test_the_api_exports_and_the_members_report_shows_flags(client, park, away):
    h = park.headers.secretary_a
    made = client.post(
        "/api/v1/mobile-memberships",
        json={"member_id": away[0].id, "host_name": "深圳某党支部", "from_on": "2026-01-15"},
        headers=h,
    )
    assert made.status_code == 201 and made.json["transfer_due"] is True
    contact = client.post(
        "/api/v1/mobile-memberships/contacts",
        json={"member_id": away[0].id, "contacted_on": "2026-11-01"},
        headers=h,
    )
    assert contact.status_code == 201 and contact.json["method_label"] == "电话"
    log = client.get(f"/api/v1/mobile-memberships/contacts?member_id={away[0].id}", headers=h).json
    assert [c["contacted_on"] for c in log["items"]] == ["2026-11-01"]
    csv = client.get("/api/v1/mobile-memberships/report?format=csv", headers=park.headers.committee)
    text = csv.get_data(as_text=True)
    assert csv.status_code == 200 and "深圳某党支部" in text and "应转接组织关系" in text
    xlsx = client.get(
        "/api/v1/mobile-memberships/report?format=xlsx", headers=park.headers.committee
    )
    assert xlsx.data[:2] == b"PK"
    members = client.get("/api/v1/reports/members", headers=park.headers.committee).json
    row = next(r for r in members["rows"] if r["member_id"] == away[0].id)
    assert (row["away_at"], row["transfer_due"], row["lost_contact"]) == (
        "深圳某党支部",
        True,
        False,
    )
    members_csv = client.get("/api/v1/reports/members?format=csv", headers=park.headers.committee)
    assert "流动在深圳某党支部、应转接组织关系" in members_csv.get_data(as_text=True)
