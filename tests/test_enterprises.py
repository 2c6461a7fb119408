"""Park enterprises and 两个覆盖 (organisation coverage and work coverage) as figures.

Enterprises belong to a park org (`park_org_id`) and are a committee-level resource: they are
listed to whoever may read the park's subtree from the park or above. A branch secretary holds
a role below the park, so the list and the figures are empty for them (and members are refused),
even for the enterprise their branch covers.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.org.models import Enterprise

CREDIT_CODE = "91310000MA1FL8XQ30"

# --- helpers -------------------------------------------------------------------------------


def code(response) -> str:
    """The envelope's error code."""
    return response.json["error"]["code"]


def names(response) -> set[str]:
    return {item["name"] for item in response.json["items"]}


def post_enterprise(client, headers, park_org_id, /, **fields):
    body = {"name": "示例科技有限公司", "park_org_id": park_org_id} | fields
    return client.post("/api/v1/enterprises", json=body, headers=headers)


def enterprise_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Enterprise))


@pytest.fixture
def enterprises(park, make_org):
    """Four enterprises in the park (two with a branch, one with work only, one bare) and one
    in a second park."""
    park2 = make_org("二号园区综合党委", "general_committee", park.work)
    branch_far = make_org("远方党支部", "branch", park2)
    rows = [
        Enterprise(
            name="甲公司",
            staff_count=100,
            park_org_id=park.park.id,
            covering_org_id=park.branch_a.id,
        ),
        Enterprise(
            name="乙公司",
            staff_count=50,
            park_org_id=park.park.id,
            covering_org_id=park.branch_b.id,
        ),
        Enterprise(name="丙公司", staff_count=30, park_org_id=park.park.id, work_covered=True),
        Enterprise(name="丁公司", staff_count=20, park_org_id=park.park.id),
        Enterprise(
            name="远方公司", staff_count=7, park_org_id=park2.id, covering_org_id=branch_far.id
        ),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return park2


# --- create --------------------------------------------------------------------------------


def test_committee_creates_enterprise(client, park):
    r = post_enterprise(
        client,
        park.headers.committee,
        park.park.id,
        credit_code=CREDIT_CODE,
        industry="集成电路",
        staff_count=320,
        above_scale=True,
        high_tech=True,
        covering_org_id=park.branch_a.id,
    )
    assert r.status_code == 201, r.json
    assert r.json["credit_code"] == CREDIT_CODE and r.json["staff_count"] == 320
    assert r.json["covering_org_id"] == park.branch_a.id
    assert r.json["organisation_covered"] is True and r.json["work_covered"] is False
    assert r.json["created_at"].endswith("+08:00")
    stored = db.session.get(Enterprise, r.json["id"])
    assert (stored.name, stored.park_org_id, stored.above_scale) == (
        "示例科技有限公司",
        park.park.id,
        True,
    )


def test_enterprise_without_coverage(client, park):
    r = post_enterprise(client, park.headers.committee, park.park.id)
    assert r.status_code == 201
    assert r.json["organisation_covered"] is False and r.json["credit_code"] is None


@pytest.mark.parametrize(
    "bad",
    [
        "9131000MA1FL8XQ30",  # 17 characters
        "91310000MA1FL8XQ301",  # 19
        "91310000ma1fl8xq30",  # lower case
        "91310000MA1FL8XQ3O",  # the letter O is not used
        "91310000MA1FL8XQ3I",  # nor I
        "91310000MA1FL8XQ3Z",  # nor Z
        "91310000-A1FL8XQ30",
    ],
)
def test_credit_code_is_validated(client, park, bad):
    r = post_enterprise(client, park.headers.committee, park.park.id, credit_code=bad)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert r.json["error"]["details"]["fields"] == {"credit_code": ["统一社会信用代码应为18位"]}
    assert enterprise_count() == 0


def test_duplicate_credit_code_is_409(client, park):
    first = post_enterprise(client, park.headers.committee, park.park.id, credit_code=CREDIT_CODE)
    assert first.status_code == 201
    again = post_enterprise(
        client, park.headers.committee, park.park.id, name="另一家", credit_code=CREDIT_CODE
    )
    assert again.status_code == 409 and code(again) == "enterprise.credit_code_taken"
    assert enterprise_count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"staff_count": -1}, "staff_count"),
        ({"above_scale": "maybe"}, "above_scale"),
        ({"park_org_id": None}, "park_org_id"),
        ({"owner": "张三"}, "owner"),
    ],
)
def test_enterprise_fields_are_validated(client, park, fields, field):
    r = post_enterprise(client, park.headers.committee, park.park.id, **fields)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert list(r.json["error"]["details"]["fields"]) == [field]


def test_covering_org_outside_park_is_400(client, park, make_org):
    park2 = make_org("二号园区综合党委", "general_committee", park.work)
    far = make_org("远方党支部", "branch", park2)
    r = post_enterprise(client, park.headers.admin, park.park.id, covering_org_id=far.id)
    assert r.status_code == 400 and code(r) == "enterprise.covering_org_outside_park"
    assert enterprise_count() == 0


def test_unknown_park_is_404(client, park):
    r = post_enterprise(client, park.headers.admin, 999_999)
    assert r.status_code == 404 and code(r) == "not_found"


def test_branch_secretary_cannot_create_in_park(client, park):
    r = post_enterprise(client, park.headers.secretary_a, park.park.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert enterprise_count() == 0


def test_member_cannot_create(client, park):
    r = post_enterprise(client, park.headers.member_a, park.park.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_committee_cannot_create_in_other_park(client, park, make_org):
    park2 = make_org("二号园区综合党委", "general_committee", park.work)
    r = post_enterprise(client, park.headers.committee, park2.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


# --- list ----------------------------------------------------------------------------------


def test_committee_lists_own_park(client, park, enterprises):
    r = client.get("/api/v1/enterprises", headers=park.headers.committee)
    assert r.status_code == 200
    assert names(r) == {"甲公司", "乙公司", "丙公司", "丁公司"}
    assert r.json["total"] == 4
    by_name = {e["name"]: e for e in r.json["items"]}
    assert by_name["甲公司"]["organisation_covered"] is True
    assert by_name["丙公司"]["organisation_covered"] is False


def test_admin_lists_all_parks(client, park, enterprises):
    r = client.get("/api/v1/enterprises", headers=park.headers.admin)
    assert r.status_code == 200 and r.json["total"] == 5


def test_branch_secretary_sees_no_enterprises(client, park, enterprises):
    r = client.get("/api/v1/enterprises", headers=park.headers.secretary_a)
    assert r.status_code == 200
    assert r.json == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_member_cannot_list(client, park, enterprises):
    r = client.get("/api/v1/enterprises", headers=park.headers.member_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_list_filters_by_coverage(client, park, enterprises):
    covered = client.get("/api/v1/enterprises?covered=true", headers=park.headers.committee)
    assert names(covered) == {"甲公司", "乙公司"}
    bare = client.get("/api/v1/enterprises?covered=false", headers=park.headers.committee)
    assert names(bare) == {"丙公司", "丁公司"}


def test_list_filters_by_park(client, park, enterprises):
    r = client.get(f"/api/v1/enterprises?org_id={enterprises.id}", headers=park.headers.admin)
    assert r.status_code == 200 and names(r) == {"远方公司"}
    out = client.get(f"/api/v1/enterprises?org_id={enterprises.id}", headers=park.headers.committee)
    assert out.status_code == 403 and code(out) == "auth.forbidden"


def test_list_is_paginated(client, park, enterprises):
    r = client.get("/api/v1/enterprises?per_page=3&page=2", headers=park.headers.committee)
    assert r.status_code == 200
    assert (r.json["page"], r.json["per_page"], r.json["total"], len(r.json["items"])) == (
        2,
        3,
        4,
        1,
    )
    too_many = client.get("/api/v1/enterprises?per_page=1000", headers=park.headers.committee)
    assert too_many.status_code == 400 and "per_page" in too_many.json["error"]["details"]["fields"]


# --- coverage figures ----------------------------------------------------------------------


def test_park_coverage_figures(client, park, enterprises):
    r = client.get("/api/v1/enterprises/coverage", headers=park.headers.committee)
    assert r.status_code == 200
    # work coverage counts every enterprise with Party work: those with a branch, and 丙
    assert r.json == {
        "enterprises": 4,
        "staff": 200,
        "organisation_covered": 2,
        "work_covered": 3,
        "organisation_coverage_rate": 0.5,
        "work_coverage_rate": 0.75,
    }


def test_admin_coverage_of_all_and_of_one_park(client, park, enterprises):
    everything = client.get("/api/v1/enterprises/coverage", headers=park.headers.admin)
    assert everything.json["enterprises"] == 5 and everything.json["organisation_covered"] == 3
    assert everything.json["organisation_coverage_rate"] == 0.6
    one = client.get(
        f"/api/v1/enterprises/coverage?org_id={park.park.id}", headers=park.headers.admin
    )
    assert one.status_code == 200
    assert (one.json["enterprises"], one.json["staff"], one.json["work_covered"]) == (4, 200, 3)


def test_coverage_rates_round(client, park, make_org):
    db.session.add_all(
        Enterprise(
            name=f"企业{i}",
            park_org_id=park.park.id,
            covering_org_id=park.branch_a.id if i == 0 else None,
        )
        for i in range(3)
    )
    db.session.commit()
    r = client.get("/api/v1/enterprises/coverage", headers=park.headers.committee)
    assert r.json["organisation_coverage_rate"] == 0.3333


def test_coverage_without_enterprises_is_zero(client, park):
    r = client.get("/api/v1/enterprises/coverage", headers=park.headers.committee)
    assert r.status_code == 200
    assert r.json["enterprises"] == 0 and r.json["organisation_coverage_rate"] == 0.0


def test_branch_secretary_coverage_is_empty(client, park, enterprises):
    r = client.get("/api/v1/enterprises/coverage", headers=park.headers.secretary_a)
    assert r.status_code == 200 and r.json["enterprises"] == 0


def test_coverage_of_other_park_is_403(client, park, enterprises):
    r = client.get(
        f"/api/v1/enterprises/coverage?org_id={enterprises.id}", headers=park.headers.committee
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_coverage_of_unknown_org_is_404(client, park):
    r = client.get("/api/v1/enterprises/coverage?org_id=999999", headers=park.headers.admin)
    assert r.status_code == 404 and code(r) == "not_found"


def test_member_cannot_read_coverage(client, park):
    r = client.get("/api/v1/enterprises/coverage", headers=park.headers.member_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_dissolved_branch_no_longer_covers(client, park, make_org):
    small = make_org("小企业党支部", "branch", park.park)
    db.session.add(Enterprise(name="小公司", park_org_id=park.park.id, covering_org_id=small.id))
    db.session.commit()
    before = client.get("/api/v1/enterprises/coverage", headers=park.headers.committee)
    assert before.json["organisation_covered"] == 1
    assert (
        client.delete(f"/api/v1/orgs/{small.id}", headers=park.headers.committee).status_code == 204
    )
    after = client.get("/api/v1/enterprises/coverage", headers=park.headers.committee)
    assert (after.json["organisation_covered"], after.json["work_covered"]) == (0, 0)
    listed = client.get("/api/v1/enterprises?covered=false", headers=park.headers.committee)
    assert names(listed) == {"小公司"}
    assert listed.json["items"][0]["organisation_covered"] is False
