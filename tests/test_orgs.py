"""The org tree: creation rules, scoped reads, moves, soft delete, branch warnings, roles."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.org.models import COMMITTEE_ROLES, Enterprise, Organization, OrgRole

# --- helpers -------------------------------------------------------------------------------


def code(response) -> str:
    """The envelope's error code."""
    return response.json["error"]["code"]


def item_ids(response) -> set[int]:
    """Ids of the items of a page envelope."""
    return {item["id"] for item in response.json["items"]}


def warning_codes(org_json: dict) -> set[str]:
    """Codes of the branch-rule warnings shown on an org."""
    return {w["code"] for w in org_json["warnings"]}


def fresh(model, pk):
    """The row as the database has it now (not the session's cached copy)."""
    db.session.expire_all()
    return db.session.get(model, pk)


def post_org(client, headers, **fields):
    return client.post("/api/v1/orgs", json=fields, headers=headers)


def get_org(client, headers, org_id):
    return client.get(f"/api/v1/orgs/{org_id}", headers=headers)


@pytest.fixture
def park_with_tree(park, make_org, make_user, grant, auth_headers):
    """The park plus a general branch with a branch and a group, and a second park."""
    general_branch = make_org("园区党总支", "general_branch", park.park)
    branch_c = make_org("C企业党支部", "branch", general_branch)
    group_c = make_org("C第一党小组", "group", branch_c)
    park2 = make_org("二号园区综合党委", "general_committee", park.work)
    park2_secretary = make_user("park2")
    grant(park2, "secretary", user=park2_secretary)
    return park, general_branch, branch_c, group_c, park2, auth_headers(park2_secretary)


# --- creation and hierarchy ----------------------------------------------------------------


def test_admin_creates_root_and_tree(client, park):
    h = park.headers.admin
    root = post_org(client, h, name="新区党工委", type="work_committee")
    assert root.status_code == 201, root.json
    assert root.json["parent_id"] is None and root.json["depth"] == 0
    assert root.json["type_label"] == "党工委"
    general = post_org(
        client, h, name="新区综合党委", type="general_committee", parent_id=root.json["id"]
    )
    assert general.status_code == 201 and general.json["depth"] == 1
    branch = post_org(client, h, name="新企业党支部", type="branch", parent_id=general.json["id"])
    assert branch.status_code == 201
    assert branch.json["depth"] == 2 and branch.json["build_mode"] == "standalone"
    group = post_org(client, h, name="第一党小组", type="group", parent_id=branch.json["id"])
    assert group.status_code == 201 and group.json["depth"] == 3
    stored = fresh(Organization, group.json["id"])
    assert (
        stored.path == f"/{root.json['id']}/{general.json['id']}/{branch.json['id']}/{stored.id}/"
    )


def test_group_only_under_branch(client, park):
    r = post_org(client, park.headers.admin, name="小组", type="group", parent_id=park.park.id)
    assert r.status_code == 400 and code(r) == "org.bad_hierarchy"


def test_group_under_general_branch_refused(client, park, make_org):
    general_branch = make_org("党总支", "general_branch", park.park)
    r = post_org(client, park.headers.admin, name="小组", type="group", parent_id=general_branch.id)
    assert r.status_code == 400 and code(r) == "org.bad_hierarchy"


def test_branch_cannot_hold_general_committee(client, park):
    r = post_org(
        client,
        park.headers.admin,
        name="综合党委",
        type="general_committee",
        parent_id=park.branch_a.id,
    )
    assert r.status_code == 400 and code(r) == "org.bad_hierarchy"


def test_branch_cannot_hold_branch(client, park):
    r = post_org(
        client, park.headers.admin, name="子支部", type="branch", parent_id=park.branch_a.id
    )
    assert r.status_code == 400 and code(r) == "org.bad_hierarchy"


@pytest.mark.parametrize("org_type", ["general_branch", "branch", "group"])
def test_root_must_be_a_committee(client, park, org_type):
    r = post_org(client, park.headers.admin, name="顶级", type=org_type)
    assert r.status_code == 400 and code(r) == "org.parent_required"


def test_blank_name_is_a_field_error(client, park):
    r = post_org(client, park.headers.admin, name="   ", type="branch", parent_id=park.park.id)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert "name" in r.json["error"]["details"]["fields"]


def test_unknown_type_is_a_field_error(client, park):
    r = post_org(client, park.headers.admin, name="x", type="cell", parent_id=park.park.id)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert "type" in r.json["error"]["details"]["fields"]


def test_unknown_parent_is_404(client, park):
    r = post_org(client, park.headers.admin, name="x", type="branch", parent_id=999_999)
    assert r.status_code == 404 and code(r) == "not_found"


def test_secretary_cannot_create_root(client, park):
    r = post_org(client, park.headers.committee, name="自立党工委", type="work_committee")
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_secretary_creates_group_in_own_branch(client, park):
    r = post_org(
        client, park.headers.secretary_a, name="A一组", type="group", parent_id=park.branch_a.id
    )
    assert r.status_code == 201 and r.json["parent_id"] == park.branch_a.id


def test_secretary_cannot_create_outside_subtree(client, park):
    r = post_org(
        client, park.headers.secretary_a, name="B一组", type="group", parent_id=park.branch_b.id
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_committee_creates_branch_in_park(client, park):
    r = post_org(
        client, park.headers.committee, name="D企业党支部", type="branch", parent_id=park.park.id
    )
    assert r.status_code == 201 and r.json["depth"] == park.park.depth + 1


def test_plain_member_cannot_create(client, park):
    r = post_org(
        client, park.headers.member_a, name="A二组", type="group", parent_id=park.branch_a.id
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_anonymous_cannot_list(client, park):
    r = client.get("/api/v1/orgs")
    assert r.status_code == 401 and code(r) == "auth.required"


# --- scoped reads and pagination -----------------------------------------------------------


def test_secretary_lists_own_branch_and_its_groups(client, park, make_org):
    group = make_org("A一组", "group", park.branch_a)
    r = client.get("/api/v1/orgs", headers=park.headers.secretary_a)
    assert r.status_code == 200
    assert item_ids(r) == {park.branch_a.id, group.id}


def test_committee_lists_park_subtree(client, park):
    r = client.get("/api/v1/orgs", headers=park.headers.committee)
    assert r.status_code == 200
    assert item_ids(r) == {park.park.id, park.branch_a.id, park.branch_b.id}


def test_admin_lists_all(client, park):
    r = client.get("/api/v1/orgs", headers=park.headers.admin)
    assert r.status_code == 200
    assert item_ids(r) == {park.work.id, park.park.id, park.branch_a.id, park.branch_b.id}
    assert r.json["total"] == 4


def test_member_lists_only_own_branch(client, park):
    r = client.get("/api/v1/orgs", headers=park.headers.member_a)
    assert r.status_code == 200, r.json
    assert item_ids(r) == {park.branch_a.id}


def test_list_is_paginated(client, park):
    r = client.get("/api/v1/orgs?page=2&per_page=3", headers=park.headers.admin)
    assert r.status_code == 200
    assert set(r.json) == {"items", "page", "per_page", "total"}
    assert (r.json["page"], r.json["per_page"], r.json["total"]) == (2, 3, 4)
    assert len(r.json["items"]) == 1
    first = client.get("/api/v1/orgs?page=1&per_page=3", headers=park.headers.admin)
    assert item_ids(first).isdisjoint(item_ids(r))


def test_list_filters_by_type(client, park):
    r = client.get("/api/v1/orgs?type=branch", headers=park.headers.admin)
    assert r.status_code == 200 and item_ids(r) == {park.branch_a.id, park.branch_b.id}


@pytest.mark.parametrize("query", ["per_page=1000", "per_page=0", "page=0", "page=abc"])
def test_list_rejects_bad_paging(client, park, query):
    r = client.get(f"/api/v1/orgs?{query}", headers=park.headers.admin)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert r.json["error"]["details"]["fields"]


def test_member_cannot_get_other_branch(client, park):
    r = get_org(client, park.headers.member_a, park.branch_b.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_secretary_cannot_get_other_branch(client, park):
    r = get_org(client, park.headers.secretary_a, park.branch_b.id)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_member_gets_own_branch_with_counts(client, park):
    r = get_org(client, park.headers.member_a, park.branch_a.id)
    assert r.status_code == 200
    assert r.json["member_count"] == 3 and r.json["full_member_count"] == 3


def test_committee_sees_subtree_counts(client, park):
    r = get_org(client, park.headers.committee, park.park.id)
    assert r.status_code == 200 and r.json["member_count"] == 4


def test_unknown_org_is_404_envelope(client, park):
    r = get_org(client, park.headers.admin, 999_999)
    assert r.status_code == 404
    assert r.json == {"error": {"code": "not_found", "message": "组织不存在", "details": {}}}


# --- changes -------------------------------------------------------------------------------


def test_patch_name(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}",
        json={"name": " A公司党支部 "},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200 and r.json["name"] == "A公司党支部"
    assert fresh(Organization, park.branch_a.id).name == "A公司党支部"


def test_patch_outside_scope_is_403(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.branch_b.id}", json={"name": "改名"}, headers=park.headers.secretary_a
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(Organization, park.branch_b.id).name == "B企业党支部"


def test_patch_unknown_field_is_400(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}", json={"path": "/1/"}, headers=park.headers.admin
    )
    assert r.status_code == 400 and code(r) == "validation_error"
    assert "path" in r.json["error"]["details"]["fields"]


def test_move_updates_descendant_paths_and_depth(client, park_with_tree):
    park, general_branch, branch_c, group_c, park2, _ = park_with_tree
    r = client.patch(
        f"/api/v1/orgs/{general_branch.id}",
        json={"parent_id": park2.id},
        headers=park.headers.admin,
    )
    assert r.status_code == 200, r.json
    assert r.json["parent_id"] == park2.id and r.json["depth"] == park2.depth + 1
    moved_group = fresh(Organization, group_c.id)
    assert moved_group.path == f"{park2.path}{general_branch.id}/{branch_c.id}/{group_c.id}/"
    assert moved_group.depth == park2.depth + 3
    assert (
        fresh(Organization, branch_c.id).path == f"{park2.path}{general_branch.id}/{branch_c.id}/"
    )


def test_moved_grandchild_follows_new_scope(client, park_with_tree):
    park, general_branch, branch_c, group_c, park2, park2_headers = park_with_tree
    assert get_org(client, park2_headers, group_c.id).status_code == 403
    assert get_org(client, park.headers.committee, group_c.id).status_code == 200
    r = client.patch(
        f"/api/v1/orgs/{general_branch.id}",
        json={"parent_id": park2.id},
        headers=park.headers.admin,
    )
    assert r.status_code == 200
    now_there = get_org(client, park2_headers, group_c.id)
    assert now_there.status_code == 200 and now_there.json["depth"] == park2.depth + 3
    gone = get_org(client, park.headers.committee, group_c.id)
    assert gone.status_code == 403 and code(gone) == "auth.forbidden"
    listed = client.get("/api/v1/orgs", headers=park2_headers)
    assert {general_branch.id, branch_c.id, group_c.id} <= item_ids(listed)


def test_move_needs_rights_on_the_new_parent(client, park_with_tree):
    park, general_branch, _, _, park2, _ = park_with_tree
    r = client.patch(
        f"/api/v1/orgs/{general_branch.id}",
        json={"parent_id": park2.id},
        headers=park.headers.committee,
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(Organization, general_branch.id).parent_id == park.park.id


def test_move_under_own_descendant_is_a_cycle(client, park_with_tree):
    park, _, branch_c, _, _, _ = park_with_tree
    r = client.patch(
        f"/api/v1/orgs/{park.park.id}", json={"parent_id": branch_c.id}, headers=park.headers.admin
    )
    assert r.status_code == 400 and code(r) == "org.cycle"
    assert fresh(Organization, park.park.id).parent_id == park.work.id


def test_move_under_itself_is_a_cycle(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.park.id}", json={"parent_id": park.park.id}, headers=park.headers.admin
    )
    assert r.status_code == 400 and code(r) == "org.cycle"


def test_move_to_top_level_needs_a_committee_type(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}", json={"parent_id": None}, headers=park.headers.admin
    )
    assert r.status_code == 400 and code(r) == "org.parent_required"
    assert fresh(Organization, park.branch_a.id).parent_id == park.park.id


def test_only_admin_moves_to_top_level(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.park.id}", json={"parent_id": None}, headers=park.headers.committee
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_admin_moves_committee_to_top_level(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.park.id}", json={"parent_id": None}, headers=park.headers.admin
    )
    assert r.status_code == 200 and (r.json["parent_id"], r.json["depth"]) == (None, 0)
    assert fresh(Organization, park.branch_a.id).path == f"/{park.park.id}/{park.branch_a.id}/"
    assert fresh(Organization, park.branch_a.id).depth == 1


def test_move_breaking_hierarchy_is_refused(client, park_with_tree):
    park, _, branch_c, _, _, _ = park_with_tree
    r = client.patch(
        f"/api/v1/orgs/{branch_c.id}",
        json={"parent_id": park.branch_a.id},
        headers=park.headers.admin,
    )
    assert r.status_code == 400 and code(r) == "org.bad_hierarchy"


def test_type_change_must_fit_children(client, park, make_org):
    make_org("A一组", "group", park.branch_a)
    r = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}",
        json={"type": "general_branch"},
        headers=park.headers.admin,
    )
    assert r.status_code == 400 and code(r) == "org.bad_hierarchy"
    assert fresh(Organization, park.branch_a.id).type == "branch"


def test_type_change_must_keep_members_in_a_branch(client, park):
    r = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}",
        json={"type": "general_branch"},
        headers=park.headers.admin,
    )
    assert r.status_code == 409 and code(r) == "org.has_members"
    assert fresh(Organization, park.branch_a.id).type == "branch"


# --- soft delete ---------------------------------------------------------------------------


def test_delete_org_with_members_is_409(client, park):
    r = client.delete(f"/api/v1/orgs/{park.branch_a.id}", headers=park.headers.committee)
    assert r.status_code == 409 and code(r) == "org.not_empty"
    assert r.json["error"]["details"]["members"] == 3


def test_delete_org_with_sub_orgs_is_409(client, park, make_org):
    general_branch = make_org("空党总支", "general_branch", park.park)
    make_org("空支部", "branch", general_branch)
    r = client.delete(f"/api/v1/orgs/{general_branch.id}", headers=park.headers.committee)
    assert r.status_code == 409 and code(r) == "org.not_empty"
    assert r.json["error"]["details"]["children"] == 1


def test_delete_empty_org_is_soft(client, park, make_org):
    empty = make_org("空支部", "branch", park.park)
    r = client.delete(f"/api/v1/orgs/{empty.id}", headers=park.headers.committee)
    assert r.status_code == 204 and r.data == b""
    listed = client.get("/api/v1/orgs?per_page=100", headers=park.headers.admin)
    assert empty.id not in item_ids(listed) and park.branch_a.id in item_ids(listed)
    assert get_org(client, park.headers.admin, empty.id).status_code == 404
    row = fresh(Organization, empty.id)
    assert row is not None and row.is_active is False


def test_secretary_deletes_empty_group_in_own_branch(client, park, make_org):
    empty = make_org("A空组", "group", park.branch_a)
    r = client.delete(f"/api/v1/orgs/{empty.id}", headers=park.headers.secretary_a)
    assert r.status_code == 204
    assert fresh(Organization, empty.id).is_active is False


def test_secretary_cannot_dissolve_own_branch(client, park):
    # dissolving an org needs rights on its parent
    r = client.delete(f"/api/v1/orgs/{park.branch_a.id}", headers=park.headers.secretary_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(Organization, park.branch_a.id).is_active is True


# --- branch-rule warnings ------------------------------------------------------------------


def test_standalone_branch_with_too_few_full_members(client, park, make_org, make_member):
    branch = make_org("小支部", "branch", park.park)
    make_member(branch, status="full")
    make_member(branch, status="full")
    make_member(branch, status="probationary")
    r = get_org(client, park.headers.committee, branch.id)
    assert r.status_code == 200
    assert r.json["full_member_count"] == 2 and r.json["member_count"] == 3
    assert "branch.too_few_full_members" in warning_codes(r.json)


def test_three_full_members_are_enough(client, park):
    r = get_org(client, park.headers.committee, park.branch_a.id)
    assert r.status_code == 200 and r.json["warnings"] == []


def test_joint_branch_may_have_few_members(client, park, make_org, make_member):
    branch = make_org("联合支部", "branch", park.park, build_mode="joint")
    make_member(branch)
    r = get_org(client, park.headers.committee, branch.id)
    assert r.status_code == 200 and r.json["warnings"] == []


def test_branch_with_too_many_members(client, park, make_org, make_member):
    branch = make_org("大支部", "branch", park.park)
    for _ in range(51):
        make_member(branch, status="probationary")
    r = get_org(client, park.headers.committee, branch.id)
    assert r.status_code == 200 and r.json["member_count"] == 51
    assert "branch.too_many_members" in warning_codes(r.json)


def test_fifty_members_are_allowed(client, park, make_org, make_member):
    branch = make_org("五十人支部", "branch", park.park, build_mode="joint")
    for _ in range(50):
        make_member(branch, status="probationary")
    r = get_org(client, park.headers.committee, branch.id)
    assert r.status_code == 200 and r.json["warnings"] == []


def test_seven_full_members_need_a_committee(client, park, make_org, make_member):
    branch = make_org("七人支部", "branch", park.park)
    members = [make_member(branch) for _ in range(7)]
    r = get_org(client, park.headers.committee, branch.id)
    assert "branch.needs_committee" in warning_codes(r.json)
    for member, role in zip(members, ["secretary", "organizer", "publicity"], strict=False):
        granted = client.post(
            f"/api/v1/orgs/{branch.id}/roles",
            json={"member_id": member.id, "role": role},
            headers=park.headers.committee,
        )
        assert granted.status_code == 201
    r = get_org(client, park.headers.committee, branch.id)
    assert r.status_code == 200 and r.json["warnings"] == []


def test_probationary_members_do_not_count_for_committee(client, park, make_org, make_member):
    branch = make_org("十人支部", "branch", park.park)
    for _ in range(6):
        make_member(branch, status="full")
    for _ in range(4):
        make_member(branch, status="probationary")
    r = get_org(client, park.headers.committee, branch.id)
    assert r.json["full_member_count"] == 6 and r.json["member_count"] == 10
    assert "branch.needs_committee" not in warning_codes(r.json)
    make_member(branch, status="full")
    r = get_org(client, park.headers.committee, branch.id)
    assert "branch.needs_committee" in warning_codes(r.json)


def test_inactive_members_do_not_count(client, park, make_org, make_member):
    branch = make_org("三人支部", "branch", park.park)
    make_member(branch)
    make_member(branch)
    make_member(branch, is_active=False)
    r = get_org(client, park.headers.committee, branch.id)
    assert r.json["member_count"] == 2
    assert "branch.too_few_full_members" in warning_codes(r.json)


def test_committee_of_more_than_seven_is_flagged(client, park, make_org, make_member, grant):
    branch = make_org("大委员会支部", "branch", park.park)
    members = [make_member(branch) for _ in range(8)]
    for member, role in zip(
        members, [*sorted(COMMITTEE_ROLES), *sorted(COMMITTEE_ROLES)][:8], strict=True
    ):
        grant(branch, role, member=member)
    r = get_org(client, park.headers.committee, branch.id)
    assert warning_codes(r.json) == {"branch.committee_too_large"}


def test_joint_branch_covering_more_than_five_units(client, park, make_org, make_member):
    joint = make_org("联合党支部", "branch", park.park, build_mode="joint")
    make_member(joint)
    db.session.add_all(
        Enterprise(name=f"企业{i}", park_org_id=park.park.id, covering_org_id=joint.id)
        for i in range(6)
    )
    db.session.commit()
    r = get_org(client, park.headers.committee, joint.id)
    assert warning_codes(r.json) == {"branch.joint_too_many_units"}


def test_warnings_show_in_list(client, park, make_org, make_member):
    branch = make_org("小支部", "branch", park.park)
    make_member(branch)
    r = client.get("/api/v1/orgs?type=branch", headers=park.headers.committee)
    by_id = {o["id"]: o for o in r.json["items"]}
    assert warning_codes(by_id[branch.id]) == {"branch.too_few_full_members"}
    assert by_id[park.branch_a.id]["warnings"] == []


# --- roles ---------------------------------------------------------------------------------


def grant_role(client, headers, org_id, **fields):
    return client.post(f"/api/v1/orgs/{org_id}/roles", json=fields, headers=headers)


def test_secretary_grants_role_in_own_branch(client, park):
    r = grant_role(
        client,
        park.headers.secretary_a,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="organizer",
    )
    assert r.status_code == 201, r.json
    assert r.json["role"] == "organizer" and r.json["role_label"] == "组织委员"
    assert r.json["holder_name"] == "张三" and r.json["org_id"] == park.branch_a.id


def test_committee_grants_role_to_user(client, park, make_user):
    instructor = make_user("instructor", display_name="党建指导员甲")
    r = grant_role(
        client, park.headers.committee, park.branch_b.id, user_id=instructor.id, role="instructor"
    )
    assert r.status_code == 201 and r.json["holder_name"] == "党建指导员甲"
    assert r.json["user_id"] == instructor.id and r.json["member_id"] is None


def test_duplicate_grant_is_409(client, park):
    first = grant_role(
        client,
        park.headers.secretary_a,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="publicity",
    )
    assert first.status_code == 201
    again = grant_role(
        client,
        park.headers.secretary_a,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="publicity",
    )
    assert again.status_code == 409 and code(again) == "org.role_exists"


@pytest.mark.parametrize("holder", ["both", "neither"])
def test_grant_needs_exactly_one_holder(client, park, holder):
    fields = {"role": "organizer"}
    if holder == "both":
        fields |= {"member_id": park.member_a.id, "user_id": park.committee.id}
    r = grant_role(client, park.headers.committee, park.branch_a.id, **fields)
    assert r.status_code == 400 and code(r) == "validation_error"
    assert "member_id" in r.json["error"]["details"]["fields"]


def test_grant_unknown_role_is_400(client, park):
    r = grant_role(
        client, park.headers.committee, park.branch_a.id, member_id=park.member_a.id, role="king"
    )
    assert r.status_code == 400 and "role" in r.json["error"]["details"]["fields"]


def test_grant_out_of_scope_is_403(client, park):
    r = grant_role(
        client,
        park.headers.secretary_a,
        park.branch_b.id,
        member_id=park.member_b.id,
        role="organizer",
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_grant_to_member_of_other_branch_is_404_like_a_missing_one(client, park):
    r = grant_role(
        client,
        park.headers.secretary_a,
        park.branch_a.id,
        member_id=park.member_b.id,
        role="organizer",
    )
    # out of scope answers exactly like a missing member (issue 16: no id oracle)
    assert r.status_code == 404 and code(r) == "not_found"


def test_member_cannot_grant(client, park):
    r = grant_role(
        client,
        park.headers.member_a,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="secretary",
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_list_roles(client, park):
    r = client.get(f"/api/v1/orgs/{park.branch_a.id}/roles", headers=park.headers.member_a)
    assert r.status_code == 200
    assert [(x["member_id"], x["role"]) for x in r.json] == [(park.secretary_a.id, "secretary")]
    assert r.json[0]["holder_name"] == "赵书记"


def test_list_roles_out_of_scope_is_403(client, park):
    r = client.get(f"/api/v1/orgs/{park.branch_b.id}/roles", headers=park.headers.member_a)
    assert r.status_code == 403 and code(r) == "auth.forbidden"


def test_revoke_role(client, park):
    granted = grant_role(
        client,
        park.headers.secretary_a,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="organizer",
    )
    role_id = granted.json["id"]
    r = client.delete(
        f"/api/v1/orgs/{park.branch_a.id}/roles/{role_id}", headers=park.headers.secretary_a
    )
    assert r.status_code == 204
    assert fresh(OrgRole, role_id) is None
    again = client.delete(
        f"/api/v1/orgs/{park.branch_a.id}/roles/{role_id}", headers=park.headers.secretary_a
    )
    assert again.status_code == 404 and code(again) == "not_found"


def test_revoke_role_out_of_scope_is_403(client, park, grant):
    role = grant(park.branch_b, "organizer", member=park.member_b)
    r = client.delete(
        f"/api/v1/orgs/{park.branch_b.id}/roles/{role.id}", headers=park.headers.secretary_a
    )
    assert r.status_code == 403 and code(r) == "auth.forbidden"
    assert fresh(OrgRole, role.id) is not None


def test_revoke_role_through_wrong_org_is_404(client, park, grant):
    role = grant(park.branch_b, "organizer", member=park.member_b)
    r = client.delete(
        f"/api/v1/orgs/{park.branch_a.id}/roles/{role.id}", headers=park.headers.secretary_a
    )
    assert r.status_code == 404 and code(r) == "not_found"


def test_granted_member_sees_role_and_can_manage(client, park):
    before = client.post(
        "/api/v1/orgs",
        json={"name": "A一组", "type": "group", "parent_id": park.branch_a.id},
        headers=park.headers.member_a,
    )
    assert before.status_code == 403
    r = grant_role(
        client,
        park.headers.committee,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="deputy_secretary",
    )
    assert r.status_code == 201
    me = client.get("/api/v1/me", headers=park.headers.member_a)
    assert me.status_code == 200
    assert {
        "org_id": park.branch_a.id,
        "org_name": "A企业党支部",
        "role": "deputy_secretary",
        "manages": True,
    } in me.json["roles"]
    assert me.json["manage_org_ids"] == [park.branch_a.id]
    after = client.post(
        "/api/v1/orgs",
        json={"name": "A一组", "type": "group", "parent_id": park.branch_a.id},
        headers=park.headers.member_a,
    )
    assert after.status_code == 201


def test_revoked_role_stops_managing(client, park):
    r = grant_role(
        client,
        park.headers.committee,
        park.branch_a.id,
        member_id=park.member_a.id,
        role="organizer",
    )
    client.delete(
        f"/api/v1/orgs/{park.branch_a.id}/roles/{r.json['id']}", headers=park.headers.committee
    )
    after = client.patch(
        f"/api/v1/orgs/{park.branch_a.id}", json={"name": "改名"}, headers=park.headers.member_a
    )
    assert after.status_code == 403 and code(after) == "auth.forbidden"
