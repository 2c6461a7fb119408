"""Issue 16: what an outside attack found, each pinned by the example it used."""

from __future__ import annotations

import json

import pytest


def _post(client, url, body, headers=None):
    return client.post(
        url, data=json.dumps(body), content_type="application/json", headers=headers or {}
    )


# --- item 4: bad input is a 400 envelope on both engines --------------------------------------


@pytest.mark.parametrize("username", ["a\x00b", "\ud800", "ok"])
@pytest.mark.parametrize("password", ["x\x00", "\udfff"])
def test_login_refuses_nul_and_lone_surrogates(client, park, username, password):
    """NUL bytes and lone surrogates in the public login are 400, never a database error."""
    response = _post(client, "/api/v1/auth/login", {"username": username, "password": password})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_error"
    assert "password" in response.json["error"]["details"]["fields"]


def test_deep_json_on_the_public_login_is_400(client):
    """A 1,000-deep body is refused before anything recurses through it."""
    response = client.post(
        "/api/v1/auth/login", data="[" * 1000 + "]" * 1000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "request.too_deep"
    nested = {"username": "admin", "password": "x", "extra": [[[[[[]]]]]]}
    ok_depth = _post(client, "/api/v1/auth/login", nested)
    assert ok_depth.json["error"]["code"] == "validation_error"  # the unknown field, not depth


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orgs?parent_id=99999999999",
        "/api/v1/orgs/{org}/members?q=%00",
        "/api/v1/reports/stars?year=2079",
    ],
)
def test_query_strings_beyond_the_database(client, park, url):
    """Ids beyond 32 bits, NUL in `q=`, far-future report years: 400 with the field named."""
    response = client.get(url.format(org=park.branch_a.id), headers=park.headers.admin)
    assert response.status_code == 400, response.text
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["details"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "新党员", "org_id": 99999999999},
        {"name": "新\x00党员", "org_id": "{branch}"},
        {"name": "\ud800", "org_id": "{branch}"},
    ],
)
def test_bodies_beyond_the_database(client, park, body):
    """Ids beyond 32 bits and bad text in a body: 400 and nothing stored."""
    from app.extensions import db
    from app.members.models import Member

    before = db.session.query(Member).count()
    body = {k: park.branch_a.id if v == "{branch}" else v for k, v in body.items()}
    response = _post(client, "/api/v1/members", body, park.headers.admin)
    assert response.status_code == 400, response.text
    assert db.session.query(Member).count() == before


def test_next_year_star_report_is_empty_not_an_error(client, park):
    """The year after this one is allowed and answers an empty board (it used to be bad SQL)."""
    from app.timeutil import to_local, utcnow

    year = to_local(utcnow()).year + 1
    response = client.get(f"/api/v1/reports/stars?year={year}", headers=park.headers.admin)
    assert response.status_code == 200, response.text
    assert response.json["year"] == year


def test_far_future_datetimes_in_bodies(client, park):
    """An activity in the year 9999 is a 400, not an overflow in zone arithmetic."""
    body = {
        "org_id": park.branch_a.id,
        "type": "theme_day",
        "title": "未来",
        "starts_at": "9999-12-31T23:00:00+08:00",
        "ends_at": "9999-12-31T23:30:00+08:00",
    }
    response = _post(client, "/api/v1/activities", body, park.headers.admin)
    assert response.status_code == 400
    assert set(response.json["error"]["details"]["fields"]) == {"starts_at", "ends_at"}


# --- item 3: inviting outside the caller's subtree waits for the other side -----------------


def _create(client, park, headers, **extra):
    from datetime import timedelta

    from app.timeutil import utcnow

    start = utcnow() + timedelta(minutes=10)
    body = {
        "org_id": park.branch_a.id,
        "type": "theme_day",
        "title": "联合主题党日",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "publish": True,
        **extra,
    }
    response = _post(client, "/api/v1/activities", body, headers)
    assert response.status_code == 201, response.text
    return response.json


def _sheet_ids(client, park, activity_id):
    sheet = client.get(
        f"/api/v1/activities/{activity_id}/attendance", headers=park.headers.secretary_a
    )
    assert sheet.status_code == 200, sheet.text
    return {row["member_id"] for row in sheet.json["items"]}


def test_pulling_the_whole_park_in_waits_for_its_acceptance(client, park):
    """A branch secretary inviting the park (or a member of another branch): pending; no
    sheet row, no mark, no visibility, no reminder for them until the park accepts."""
    from app.activities.models import Activity
    from app.activities.services import expected_members
    from app.extensions import db

    made = _create(
        client,
        park,
        park.headers.secretary_a,
        invited_org_ids=[park.park.id],
        invited_member_ids=[park.member_b.id],
    )
    assert made["invited_org_ids"] == [] and made["invited_member_ids"] == []
    assert made["pending_org_ids"] == [park.park.id]
    assert made["pending_member_ids"] == [park.member_b.id]
    activity_id = made["id"]
    shown = client.get(f"/api/v1/activities/{activity_id}", headers=park.headers.secretary_a)
    assert shown.json["pending_org_ids"] == [park.park.id]
    assert park.member_b.id not in _sheet_ids(client, park, activity_id)
    expected = {m.id for m in expected_members(db.session.get(Activity, activity_id))}
    assert park.member_b.id not in expected and park.member_a.id in expected  # no reminders
    mark = client.put(
        f"/api/v1/activities/{activity_id}/attendance/{park.member_b.id}",
        json={"status": "present", "reason": "现场补录"},
        headers=park.headers.secretary_a,
    )
    assert mark.status_code in (403, 404, 409), mark.text  # not expected: nothing written
    seen = client.get(f"/api/v1/activities/{activity_id}", headers=park.headers.member_b)
    assert seen.status_code in (403, 404)
    listed = client.get("/api/v1/activities", headers=park.headers.member_b).json["items"]
    assert activity_id not in {a["id"] for a in listed}

    # the branch secretary cannot accept on the park's behalf
    refused = _post(
        client,
        f"/api/v1/activities/{activity_id}/invitations/accept",
        {"org_id": park.park.id},
        park.headers.secretary_a,
    )
    assert refused.status_code == 404
    # the park's secretary sees both invitations and accepts them
    inbox = client.get("/api/v1/activities/invitations", headers=park.headers.committee).json
    assert {(i["kind"], i["org_id"] or i["member_id"]) for i in inbox} == {
        ("org", park.park.id),
        ("member", park.member_b.id),
    }
    for body in ({"org_id": park.park.id}, {"member_id": park.member_b.id}):
        answer = _post(
            client,
            f"/api/v1/activities/{activity_id}/invitations/accept",
            body,
            park.headers.committee,
        )
        assert answer.status_code == 200 and answer.json["status"] == "accepted", answer.text
    assert park.member_b.id in _sheet_ids(client, park, activity_id)
    seen = client.get(f"/api/v1/activities/{activity_id}", headers=park.headers.member_b)
    assert seen.status_code == 200
    assert client.get("/api/v1/activities/invitations", headers=park.headers.committee).json == []


def test_inviting_inside_the_own_subtree_is_immediate(client, park):
    """The park's secretary inviting branch B from a park activity needs no acceptance."""
    made = _create(client, park, park.headers.committee, invited_member_ids=[park.member_b.id])
    assert made["invited_member_ids"] == [park.member_b.id] and made["pending_member_ids"] == []


def test_a_declined_invitation_is_gone(client, park):
    """Declining removes the invitation; answering again is a 404."""
    made = _create(client, park, park.headers.secretary_a, invited_org_ids=[park.branch_b.id])
    url = f"/api/v1/activities/{made['id']}/invitations/decline"
    first = _post(client, url, {"org_id": park.branch_b.id}, park.headers.committee)
    assert first.status_code == 200 and first.json["status"] == "declined"
    again = _post(client, url, {"org_id": park.branch_b.id}, park.headers.committee)
    assert again.status_code == 404


# --- item 10: out-of-scope ids answer exactly like missing ones -------------------------------


def test_invited_ids_of_another_park_answer_like_missing_ones(client, park, make_org, make_member):
    """A member or org of another park is a 404 with the same body as an id never issued."""
    other_park = make_org("另一园区", "general_committee")
    stranger = make_member(make_org("外园支部", "branch", other_park))
    answers = {}
    for label, extra in {
        "member_elsewhere": {"invited_member_ids": [stranger.id]},
        "member_missing": {"invited_member_ids": [2_000_000]},
        "org_elsewhere": {"invited_org_ids": [other_park.id]},
        "org_missing": {"invited_org_ids": [2_000_000]},
    }.items():
        response = _post(
            client,
            "/api/v1/activities",
            {
                "org_id": park.branch_a.id,
                "type": "theme_day",
                "title": "t",
                "starts_at": "2030-01-01T10:00:00+08:00",
                "ends_at": "2030-01-01T11:00:00+08:00",
                **extra,
            },
            park.headers.secretary_a,
        )
        answers[label] = (response.status_code, response.json)
    assert answers["member_elsewhere"] == answers["member_missing"]
    assert answers["org_elsewhere"] == answers["org_missing"]
    assert answers["member_missing"][0] == 404


def test_role_grants_do_not_reveal_console_users_or_members(client, park, make_user):
    """A secretary granting a role to a console user or member outside their subtree gets the
    very answer a never-issued id gets (no username, no 403-vs-404)."""
    outsider = make_user("outsider", display_name="外园区管理员")
    url = f"/api/v1/orgs/{park.branch_a.id}/roles"
    answers = {}
    for label, body in {
        "committee_user": {"user_id": park.committee.id, "role": "discipline"},
        "admin_user": {"user_id": park.admin.id, "role": "discipline"},
        "lone_user": {"user_id": outsider.id, "role": "discipline"},
        "missing_user": {"user_id": 2_000_000, "role": "discipline"},
    }.items():
        response = _post(client, url, body, park.headers.secretary_a)
        answers[label] = (response.status_code, response.json)
    assert answers["missing_user"][0] == 404
    assert {v == answers["missing_user"] for v in answers.values()} == {True}
    assert "外园区" not in json.dumps(answers, ensure_ascii=False)
    member_b = _post(
        client, url, {"member_id": park.member_b.id, "role": "discipline"}, park.headers.secretary_a
    )
    missing = _post(
        client, url, {"member_id": 2_000_000, "role": "discipline"}, park.headers.secretary_a
    )
    assert (member_b.status_code, member_b.json) == (missing.status_code, missing.json)
    assert missing.status_code == 404
    # in scope still works: the admin grants the lone user; a member of the own branch
    ok = _post(client, url, {"user_id": outsider.id, "role": "discipline"}, park.headers.admin)
    assert ok.status_code == 201, ok.text
    own = _post(
        client, url, {"member_id": park.member_a.id, "role": "publicity"}, park.headers.secretary_a
    )
    assert own.status_code == 201, own.text


# --- item 1: phone uniqueness is no oracle outside the caller's scope -------------------------


def _import(client, headers, csv_text, org_id):
    import io

    form = {"file": (io.BytesIO(csv_text.encode("utf-8")), "m.csv"), "org_id": str(org_id)}
    return client.post(
        "/api/v1/members/import", data=form, headers=headers, content_type="multipart/form-data"
    )


def test_an_import_of_invalid_rows_reveals_no_phone(client, park):
    """Rows with an empty name and another branch's full phone: no word about the phone."""
    rows = "姓名,手机号\n" + "".join(f",{park.member_b.phone}\n" for _ in range(3))
    response = _import(client, park.headers.secretary_a, rows, park.branch_a.id)
    assert response.status_code == 400
    text = json.dumps(response.json, ensure_ascii=False)
    assert "已存在" not in text and "手机" not in text, text


def test_an_out_of_scope_duplicate_is_neutral_and_names_no_row(client, park):
    """Valid rows, one with another branch's phone: one neutral error without row numbers."""
    rows = f"姓名,手机号\n新甲,13700000001\n新乙,{park.member_b.phone}\n新丙,13700000003\n"
    response = _import(client, park.headers.secretary_a, rows, park.branch_a.id)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "import.phone_unavailable"
    assert "row" not in json.dumps(error) and park.member_b.phone not in json.dumps(error)


def test_an_in_scope_duplicate_is_named_by_row(client, park):
    """The caller's own branch: the duplicate is reported on its row, as before."""
    rows = f"姓名,手机号\n新甲,13700000001\n新乙,{park.member_a2.phone}\n"
    response = _import(client, park.headers.secretary_a, rows, park.branch_a.id)
    assert response.status_code == 400
    assert response.json["error"]["details"]["errors"] == [
        {"row": 3, "errors": {"phone": ["该手机号已存在"]}}
    ]


def test_members_cannot_search_by_phone(client, park):
    """A member reading their branch finds nobody by full phone; the secretary does."""
    url = f"/api/v1/orgs/{park.branch_a.id}/members?q={park.member_a2.phone}"
    as_member = client.get(url, headers=park.headers.member_a)
    assert as_member.status_code == 200 and as_member.json["items"] == []
    as_secretary = client.get(url, headers=park.headers.secretary_a)
    assert [m["id"] for m in as_secretary.json["items"]] == [park.member_a2.id]
    by_name = client.get(
        f"/api/v1/orgs/{park.branch_a.id}/members?q=李四", headers=park.headers.member_a
    )
    assert [m["id"] for m in by_name.json["items"]] == [park.member_a2.id]


# --- item 8: one wrong-code budget per member and activity, across routes -------------------


def test_wrong_codes_spend_one_budget_across_check_in_and_scan(client, park, make_activity):
    """Five wrong codes (check-in API and mini-program scan alike) pause that member at that
    activity — even the right code then waits; a colleague is not affected."""
    from app.activities import tokens
    from app.timeutil import utcnow

    meeting = make_activity(park.branch_a)
    right = tokens.activity_code(meeting.id, tokens.window_of(utcnow()))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for n in range(5):
        if n % 2:
            response = _post(client, "/api/mp/v1/scan", {"content": wrong}, park.headers.member_a)
        else:
            response = _post(client, "/api/v1/checkins", {"code": wrong}, park.headers.member_a)
        assert response.status_code == 400, response.text
    paused = _post(client, "/api/v1/checkins", {"code": right}, park.headers.member_a)
    assert paused.status_code == 429 and paused.json["error"]["code"] == "checkin.code_paused"
    scan = _post(client, "/api/mp/v1/scan", {"content": right}, park.headers.member_a)
    assert scan.status_code == 429
    colleague = _post(client, "/api/v1/checkins", {"code": right}, park.headers.secretary_a)
    assert colleague.status_code == 201, colleague.text


def test_the_previous_code_has_the_qr_grace_only(app, park, make_activity, principal_of):
    """The last window's code is accepted for QR_GRACE_SECONDS (5 s) into the next window,
    not for the whole window: a guess meets one live code, not two."""
    from datetime import timedelta

    from app.activities import checkins, tokens
    from app.errors import APIError
    from app.timeutil import utcnow

    meeting = make_activity(park.branch_a)
    window = tokens.window_of(utcnow())
    previous = tokens.activity_code(meeting.id, window - 1)
    start = tokens.window_start(window)
    member = principal_of(park.member_a)
    with pytest.raises(APIError) as refused:
        checkins.check_in(member, {"code": previous}, start + timedelta(seconds=8))
    assert refused.value.code == "checkin.code_invalid"
    attendance, created = checkins.check_in(
        member, {"code": previous}, start + timedelta(seconds=3)
    )
    assert created and attendance.activity_id == meeting.id


# --- item 11: smaller ones --------------------------------------------------------------------


def _chunked(client, url, body: bytes, content_type="application/json"):
    import io

    return client.post(
        url,
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", "Content-Type": content_type},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn and werkzeug set it
    )


def test_a_chunked_body_over_the_limit_is_413(client, app):
    """60 MiB sent chunked (no Content-Length): the documented 413, not a 400."""
    big = b'{"username": "' + b"a" * (60 * 1024 * 1024) + b'", "password": "x"}'
    response = _chunked(client, "/api/v1/auth/login", big)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request.too_large"
    small = _chunked(client, "/api/v1/auth/login", b'{"username": "nobody", "password": "x"}')
    assert small.status_code == 401  # a chunked body under the limit is read whole


def test_report_endpoints_document_their_json_default(client):
    """The 200 of every report lists the JSON report (the default) beside CSV and XLSX."""
    spec = client.get("/api/openapi.json").json
    reports = {p: i for p, i in spec["paths"].items() if p.startswith("/api/v1/reports/")}
    documented = {
        path: set(item["get"]["responses"]["200"]["content"])
        for path, item in reports.items()
        if "get" in item and "text/csv" in item["get"]["responses"]["200"].get("content", {})
    }
    assert len(documented) >= 5
    for path, media in documented.items():
        assert "application/json" in media, path
        schema = reports[path]["get"]["responses"]["200"]["content"]["application/json"]
        assert schema["schema"]["$ref"].startswith("#/components/schemas/"), path


class TestCodeBudgetWithoutRedis:
    @pytest.fixture
    def app_config(self):
        """A REDIS_URL nobody answers on (revocation and the budget fall back)."""
        return {"REDIS_URL": "redis://127.0.0.1:1/0"}

    def test_check_in_goes_on_when_the_budget_store_is_away(self, client, park, make_activity):
        """A wrong code is still a 400 and the right one still a 201 — not a 500."""
        from app.activities import tokens
        from app.timeutil import utcnow

        meeting = make_activity(park.branch_a)
        right = tokens.activity_code(meeting.id, tokens.window_of(utcnow()))
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        response = _post(client, "/api/v1/checkins", {"code": wrong}, park.headers.member_a)
        assert response.status_code == 400
        response = _post(client, "/api/v1/checkins", {"code": right}, park.headers.member_a)
        assert response.status_code == 201, response.text
