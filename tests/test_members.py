"""Members: create, validate, scoped reads with phone masking, change, soft delete, invites."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.members.models import InviteCode, Member

MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")

# --- helpers -------------------------------------------------------------------------------


def code(response) -> str:
    """The envelope's error code."""
    return response.json["error"]["code"]


def field_errors(response) -> dict:
    """Per-field errors of a validation envelope."""
    assert code(response) == "validation_error", response.json
    return response.json["error"]["details"]["fields"]


def fresh(model, pk):
    """The row as the database has it now."""
    db.session.expire_all()
    return db.session.get(model, pk)


def phones_by_id(response) -> dict[int, str]:
    return {m["id"]: m["phone"] for m in response.json["items"]}


def new_member(org_id, /, **fields):
    return {"name": "钱六", "phone": "13712345678", "status": "full", "org_id": org_id} | fields


def post_member(client, headers, body):
    return client.post("/api/v1/members", json=body, headers=headers)


# --- create --------------------------------------------------------------------------------


def test_secretary_creates_member_in_own_branch(client, park):
    body = new_member(
        park.branch_a.id, joined_on="2019-07-01", gender="female", status="probationary"
    )
    r = post_member(client, park.headers.secretary_a, body)
    assert r.status_code == 201, r.json
    assert r.json["phone"] == "13712345678"
    assert r.json["status"] == "probationary" and r.json["status_label"] == "预备党员"
    assert r.json["joined_on"] == "2019-07-01" and r.json["gender"] == "female"
    assert r.json["org_name"] == "A企业党支部" and r.json["bound"] is False
    assert r.json["created_at"].endswith("+08:00")
    stored = fresh(Member, r.json["id"])
    assert (stored.name, stored.org_id, stored.is_active) == ("钱六", park.branch_a.id, True)


def test_create_in_group_of_own_branch(client, park, make_org):
    group = make_org("A一组", "group", park.branch_a)
    r = post_member(client, park.headers.secretary_a, new_member(group.id))
    assert r.status_code == 201 and r.json["org_id"] == group.id


def test_create_without_phone(client, park):
    body = new_member(park.branch_a.id)
    del body["phone"]
    r = post_member(client, park.headers.secretary_a, body)
    assert r.status_code == 201 and r.json["phone"] is None


def test_secretary_cannot_create_in_other_branch(client, park):
    r = post_member(client, park.headers.secretary_a, new_member(park.branch_b.id))
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert db.session.scalar(select(Member).where(Member.phone == "13712345678")) is None


def test_member_cannot_create(client, park):
    r = post_member(client, park.headers.member_a, new_member(park.branch_a.id))
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_create_in_committee_org_is_400(client, park):
    r = post_member(client, park.headers.committee, new_member(park.park.id))
    assert r.status_code == 400 and code(r) == "member.org_not_branch"


def test_create_in_unknown_org_is_404(client, park):
    r = post_member(client, park.headers.admin, new_member(999_999))
    assert r.status_code == 404 and code(r) == "not_found"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "23812345678"),
        ("phone", "1381234567x"),
        ("status", "member"),
        ("joined_on", "2019/07/01"),
        ("joined_on", "2019-13-01"),
        ("gender", "m"),
        ("name", ""),
        ("org_id", "A"),
    ],
)
def test_create_rejects_bad_field(client, park, field, value):
    r = post_member(
        client, park.headers.secretary_a, new_member(park.branch_a.id, **{field: value})
    )
    assert r.status_code == 400
    assert list(field_errors(r)) == [field]


def test_create_rejects_blank_name(client, park):
    r = post_member(client, park.headers.secretary_a, new_member(park.branch_a.id, name="   "))
    assert r.status_code == 400 and "name" in field_errors(r)


def test_create_trims_name(client, park):
    r = post_member(client, park.headers.secretary_a, new_member(park.branch_a.id, name=" 钱六 "))
    assert r.status_code == 201 and r.json["name"] == "钱六"


def test_create_rejects_unknown_fields(client, park):
    body = new_member(park.branch_a.id, id_card="110101199001011234")
    r = post_member(client, park.headers.secretary_a, body)
    assert r.status_code == 400
    assert field_errors(r) == {"id_card": ["未知字段"]}


def test_create_requires_name_and_org(client, park):
    r = post_member(client, park.headers.secretary_a, {"phone": "13712345678"})
    assert r.status_code == 400
    assert field_errors(r) == {"name": ["必填项"], "org_id": ["必填项"]}


def test_duplicate_phone_is_409(client, park):
    taken = park.member_b.phone
    r = post_member(client, park.headers.secretary_a, new_member(park.branch_a.id, phone=taken))
    assert r.status_code == 409 and code(r) == "member.phone_taken"
    assert "phone" in r.json["error"]["details"]


# --- lists and phone masking ---------------------------------------------------------------


def list_members(client, headers, org_id, query=""):
    return client.get(f"/api/v1/orgs/{org_id}/members{query}", headers=headers)


def test_member_sees_own_phone_and_others_masked(client, park):
    r = list_members(client, park.headers.member_a, park.branch_a.id)
    assert r.status_code == 200
    phones = phones_by_id(r)
    assert set(phones) == {park.member_a.id, park.member_a2.id, park.secretary_a.id}
    assert phones[park.member_a.id] == park.member_a.phone
    for other in (park.member_a2, park.secretary_a):
        assert MASKED.match(phones[other.id])
        assert phones[other.id] == other.phone[:3] + "****" + other.phone[-4:]


def test_secretary_sees_all_phones_of_own_branch(client, park):
    r = list_members(client, park.headers.secretary_a, park.branch_a.id)
    assert r.status_code == 200
    assert phones_by_id(r) == {
        m.id: m.phone for m in (park.member_a, park.member_a2, park.secretary_a)
    }


def test_secretary_sees_full_phones_in_groups_of_own_branch(client, park, make_org, make_member):
    group = make_org("A一组", "group", park.branch_a)
    in_group = make_member(group, name="组员")
    r = list_members(client, park.headers.secretary_a, park.branch_a.id)
    assert phones_by_id(r)[in_group.id] == in_group.phone


def test_park_committee_sees_masked_phones(client, park):
    r = list_members(client, park.headers.committee, park.park.id)
    assert r.status_code == 200
    phones = phones_by_id(r)
    assert set(phones) == {
        park.member_a.id,
        park.member_a2.id,
        park.secretary_a.id,
        park.member_b.id,
    }
    assert all(MASKED.match(p) for p in phones.values())


def test_member_cannot_list_other_branch(client, park):
    r = list_members(client, park.headers.member_a, park.branch_b.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_secretary_cannot_list_other_branch(client, park):
    r = list_members(client, park.headers.secretary_a, park.branch_b.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_member_list_is_paginated_and_filtered(client, park, make_member):
    make_member(park.branch_a, name="预备甲", status="probationary")
    r = list_members(client, park.headers.secretary_a, park.branch_a.id, "?per_page=2&page=2")
    assert r.status_code == 200
    assert (r.json["page"], r.json["per_page"], r.json["total"], len(r.json["items"])) == (
        2,
        2,
        4,
        2,
    )
    only = list_members(client, park.headers.secretary_a, park.branch_a.id, "?status=probationary")
    assert [m["name"] for m in only.json["items"]] == ["预备甲"]
    too_many = list_members(client, park.headers.secretary_a, park.branch_a.id, "?per_page=1000")
    assert too_many.status_code == 400 and "per_page" in field_errors(too_many)


def test_member_list_search_by_name(client, park):
    r = list_members(client, park.headers.committee, park.park.id, "?q=王")
    assert r.status_code == 200 and [m["id"] for m in r.json["items"]] == [park.member_b.id]


# --- one member ----------------------------------------------------------------------------


def test_member_gets_themselves(client, park):
    r = client.get(f"/api/v1/members/{park.member_a.id}", headers=park.headers.member_a)
    assert r.status_code == 200
    assert r.json["name"] == "张三" and r.json["phone"] == park.member_a.phone


def test_member_cannot_get_another_member(client, park):
    r = client.get(f"/api/v1/members/{park.member_a2.id}", headers=park.headers.member_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_secretary_cannot_get_member_of_other_branch(client, park):
    r = client.get(f"/api/v1/members/{park.member_b.id}", headers=park.headers.secretary_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_secretary_gets_member_with_full_phone(client, park):
    r = client.get(f"/api/v1/members/{park.member_a.id}", headers=park.headers.secretary_a)
    assert r.status_code == 200 and r.json["phone"] == park.member_a.phone


def test_park_committee_gets_member_with_masked_phone(client, park):
    # reading members one by one must not unmask what the list masks
    r = client.get(f"/api/v1/members/{park.member_a.id}", headers=park.headers.committee)
    assert r.status_code == 200 and r.json["name"] == "张三"
    assert MASKED.match(r.json["phone"]) and r.json["phone"] != park.member_a.phone


def test_unknown_member_is_404(client, park):
    r = client.get("/api/v1/members/999999", headers=park.headers.admin)
    assert r.status_code == 404 and code(r) == "not_found"


# --- change and soft delete ----------------------------------------------------------------


def patch_member(client, headers, member_id, body):
    return client.patch(f"/api/v1/members/{member_id}", json=body, headers=headers)


def test_secretary_patches_member(client, park):
    r = patch_member(
        client,
        park.headers.secretary_a,
        park.member_a.id,
        {
            "name": "张三丰",
            "status": "probationary",
            "joined_on": "2024-07-01",
            "phone": "13600000001",
        },
    )
    assert r.status_code == 200, r.json
    assert (r.json["name"], r.json["status"], r.json["joined_on"], r.json["phone"]) == (
        "张三丰",
        "probationary",
        "2024-07-01",
        "13600000001",
    )
    stored = fresh(Member, park.member_a.id)
    assert (stored.name, stored.status, stored.phone) == ("张三丰", "probationary", "13600000001")


def test_empty_patch_does_not_unmask_phone(client, park):
    r = patch_member(client, park.headers.committee, park.member_a.id, {})
    assert r.status_code == 200 and MASKED.match(r.json["phone"])


def test_patch_rejects_blank_name(client, park):
    r = patch_member(client, park.headers.secretary_a, park.member_a.id, {"name": "  "})
    assert r.status_code == 400 and "name" in field_errors(r)
    assert fresh(Member, park.member_a.id).name == "张三"


def test_patch_to_taken_phone_is_409(client, park):
    r = patch_member(
        client, park.headers.secretary_a, park.member_a.id, {"phone": park.member_a2.phone}
    )
    assert r.status_code == 409 and code(r) == "member.phone_taken"


def test_patch_with_own_phone_is_fine(client, park):
    r = patch_member(
        client, park.headers.secretary_a, park.member_a.id, {"phone": park.member_a.phone}
    )
    assert r.status_code == 200


def test_patch_bad_status_is_400(client, park):
    r = patch_member(client, park.headers.secretary_a, park.member_a.id, {"status": "leader"})
    assert r.status_code == 400 and "status" in field_errors(r)


def test_patch_out_of_scope_is_403(client, park):
    r = patch_member(client, park.headers.secretary_a, park.member_b.id, {"name": "改名"})
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(Member, park.member_b.id).name == "王五"


def test_move_member_needs_rights_on_target(client, park):
    r = patch_member(
        client, park.headers.secretary_a, park.member_a.id, {"org_id": park.branch_b.id}
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(Member, park.member_a.id).org_id == park.branch_a.id


def test_committee_moves_member_between_branches(client, park):
    r = patch_member(client, park.headers.committee, park.member_a.id, {"org_id": park.branch_b.id})
    assert r.status_code == 200 and r.json["org_id"] == park.branch_b.id
    assert r.json["org_name"] == "B企业党支部"


def test_move_member_to_committee_org_is_400(client, park):
    r = patch_member(client, park.headers.committee, park.member_a.id, {"org_id": park.park.id})
    assert r.status_code == 400 and code(r) == "member.org_not_branch"


def test_delete_is_soft_and_locks_the_member_out(client, park):
    assert client.get("/api/v1/me", headers=park.headers.member_a).status_code == 200
    r = client.delete(f"/api/v1/members/{park.member_a.id}", headers=park.headers.secretary_a)
    assert r.status_code == 204
    stored = fresh(Member, park.member_a.id)
    assert stored is not None and stored.is_active is False and stored.deactivated_at is not None
    listed = list_members(client, park.headers.secretary_a, park.branch_a.id)
    assert park.member_a.id not in phones_by_id(listed)
    assert listed.json["total"] == 2
    me = client.get("/api/v1/me", headers=park.headers.member_a)
    assert me.status_code == 401 and code(me) == "auth.account_inactive"


def test_deleted_member_listed_on_request(client, park):
    client.delete(f"/api/v1/members/{park.member_a.id}", headers=park.headers.secretary_a)
    r = list_members(client, park.headers.secretary_a, park.branch_a.id, "?include_inactive=true")
    by_id = {m["id"]: m for m in r.json["items"]}
    assert by_id[park.member_a.id]["is_active"] is False


def test_member_cannot_list_inactive(client, park):
    client.delete(f"/api/v1/members/{park.member_a2.id}", headers=park.headers.secretary_a)
    r = list_members(client, park.headers.member_a, park.branch_a.id, "?include_inactive=true")
    assert r.status_code == 200 and park.member_a2.id not in phones_by_id(r)


def test_delete_out_of_scope_is_403(client, park):
    r = client.delete(f"/api/v1/members/{park.member_b.id}", headers=park.headers.secretary_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(Member, park.member_b.id).is_active is True


def test_member_cannot_delete(client, park):
    r = client.delete(f"/api/v1/members/{park.member_a2.id}", headers=park.headers.member_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


# --- invites -------------------------------------------------------------------------------


def invite(client, headers, member_id):
    return client.post(f"/api/v1/members/{member_id}/invite", headers=headers)


def test_invite_returns_code_and_qr(client, park):
    before = datetime.now(UTC)
    r = invite(client, park.headers.secretary_a, park.member_a.id)
    assert r.status_code == 201, r.json
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", r.json["code"])
    assert r.json["member_id"] == park.member_a.id
    assert r.json["expires_at"].endswith("+08:00")
    expires = datetime.fromisoformat(r.json["expires_at"])
    assert timedelta(days=6, hours=23) < expires - before <= timedelta(days=7, minutes=1)
    assert r.json["scan_url"] == f"https://party.example.test/i/{r.json['code']}"
    assert r.json["qr_svg"].lstrip().startswith("<svg")


def test_second_invite_revokes_the_first(client, park):
    first = invite(client, park.headers.secretary_a, park.member_a.id).json["code"]
    second = invite(client, park.headers.secretary_a, park.member_a.id)
    assert second.status_code == 201 and second.json["code"] != first
    db.session.expire_all()
    rows = {row.code: row for row in db.session.scalars(select(InviteCode))}
    assert rows[first].revoked_at is not None
    assert rows[second.json["code"]].revoked_at is None
    assert rows[first].created_by_member_id == park.secretary_a.id


def test_committee_invites_member_in_park(client, park):
    r = invite(client, park.headers.committee, park.member_b.id)
    assert r.status_code == 201
    row = db.session.scalar(select(InviteCode).where(InviteCode.code == r.json["code"]))
    assert (row.member_id, row.created_by_user_id) == (park.member_b.id, park.committee.id)


def test_invite_out_of_scope_is_403(client, park):
    r = invite(client, park.headers.secretary_a, park.member_b.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert db.session.scalars(select(InviteCode)).all() == []


def test_member_cannot_invite(client, park):
    r = invite(client, park.headers.member_a, park.member_a2.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_invite_for_inactive_member_is_404(client, park):
    client.delete(f"/api/v1/members/{park.member_a.id}", headers=park.headers.secretary_a)
    r = invite(client, park.headers.secretary_a, park.member_a.id)
    assert r.status_code == 404 and code(r) == "not_found"
