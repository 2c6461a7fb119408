"""Mini-program login against the loopback fake WeChat, and binding with an invite code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts import services
from app.errors import APIError
from app.extensions import db
from app.members.models import InviteCode
from app.members.services import issue_invite
from app.timeutil import utcnow


def wx_login(client, code):
    return client.post("/api/mp/v1/login", json={"code": code})


def invite_for(client, park, member):
    r = client.post(f"/api/v1/members/{member.id}/invite", headers=park.headers.secretary_a)
    assert r.status_code == 201
    return r.json["code"]


def test_unbound_openid_needs_binding_then_binds(client, park, fake_wechat):
    fake_wechat.add_code("code-1", "openid-zhang")
    r = wx_login(client, "code-1")
    assert r.status_code == 200
    assert r.json["needs_binding"] is True
    code = invite_for(client, park, park.member_a)

    bound = client.post(
        "/api/mp/v1/bind", json={"bind_token": r.json["bind_token"], "invite_code": code.lower()}
    )
    assert bound.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bound.json['access_token']}"})
    assert me.json["member"]["id"] == park.member_a.id
    assert me.json["member"]["bound"] is True

    # next time the same WeChat account logs straight in
    fake_wechat.add_code("code-2", "openid-zhang")
    again = wx_login(client, "code-2")
    assert again.json["needs_binding"] is False
    assert again.json["access_token"]
    # the jscode2session call really went over HTTP to the fake
    assert fake_wechat.calls("/sns/jscode2session") == 2


def test_used_code_is_refused(client, park, fake_wechat):
    fake_wechat.add_code("once", "openid-x")
    assert wx_login(client, "once").status_code == 200
    r = wx_login(client, "once")
    assert r.status_code == 400
    assert r.json["error"]["code"] == "wechat.code_used"


def test_unknown_code_is_refused(client, park, fake_wechat):
    r = wx_login(client, "never-issued")
    assert r.status_code == 400
    assert r.json["error"]["code"] == "wechat.invalid_code"


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("http500", 503, "wechat.unavailable"),
        ("timeout", 503, "wechat.unavailable"),
        ("busy", 503, "wechat.busy"),
        ("rate_limited", 429, "wechat.rate_limited"),
    ],
)
def test_wechat_outage_is_a_clear_error(client, park, fake_wechat, mode, status, code):
    fake_wechat.add_code("c", "openid-y")
    fake_wechat.mode = mode
    fake_wechat.delay_seconds = 1.5  # longer than the app's 1 s WeChat timeout
    r = wx_login(client, "c")
    assert r.status_code == status
    assert r.json["error"]["code"] == code


def test_empty_code_is_a_validation_error(client, park):
    r = wx_login(client, "")
    assert r.status_code == 400
    assert "code" in r.json["error"]["details"]["fields"]


def _bind_token(client, fake_wechat, openid):
    code = f"code-for-{openid}"
    fake_wechat.add_code(code, openid)
    return wx_login(client, code).json["bind_token"]


def test_invite_works_once(client, park, fake_wechat):
    code = invite_for(client, park, park.member_a)
    token = _bind_token(client, fake_wechat, "openid-1")
    assert (
        client.post("/api/mp/v1/bind", json={"bind_token": token, "invite_code": code}).status_code
        == 200
    )
    other = _bind_token(client, fake_wechat, "openid-2")
    r = client.post("/api/mp/v1/bind", json={"bind_token": other, "invite_code": code})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "bind.invite_used"


def test_wrong_invite_code(client, park, fake_wechat):
    token = _bind_token(client, fake_wechat, "openid-1")
    r = client.post("/api/mp/v1/bind", json={"bind_token": token, "invite_code": "ZZZZZZZZ"})
    assert r.status_code == 404
    assert r.json["error"]["code"] == "bind.invite_invalid"


def test_superseded_invite_is_invalid(client, park, fake_wechat):
    first = invite_for(client, park, park.member_a)
    invite_for(client, park, park.member_a)
    token = _bind_token(client, fake_wechat, "openid-1")
    r = client.post("/api/mp/v1/bind", json={"bind_token": token, "invite_code": first})
    assert r.status_code == 404


def test_forged_bind_token(client, park):
    r = client.post("/api/mp/v1/bind", json={"bind_token": "abc.def", "invite_code": "ABCDEFGH"})
    assert r.status_code == 400
    assert r.json["error"]["code"] == "bind.token_invalid"


def test_expired_invite_and_expired_bind_token(app, park, fake_wechat, client):
    principal_headers = park.headers.secretary_a
    code = client.post(
        f"/api/v1/members/{park.member_a.id}/invite", headers=principal_headers
    ).json["code"]
    token = _bind_token(client, fake_wechat, "openid-late")
    later = utcnow() + timedelta(days=app.config["INVITE_CODE_DAYS"], seconds=1)
    with pytest.raises(APIError) as exc:
        services.bind_member(token, code, later)
    assert exc.value.code == "bind.invite_expired"

    app.config["BIND_TOKEN_SECONDS"] = -1
    r = client.post("/api/mp/v1/bind", json={"bind_token": token, "invite_code": code})
    assert r.status_code == 410
    assert r.json["error"]["code"] == "bind.token_expired"


def test_one_openid_cannot_hold_two_members(client, park, fake_wechat):
    token = _bind_token(client, fake_wechat, "openid-shared")
    code_a = invite_for(client, park, park.member_a)
    assert (
        client.post(
            "/api/mp/v1/bind", json={"bind_token": token, "invite_code": code_a}
        ).status_code
        == 200
    )
    code_a2 = invite_for(client, park, park.member_a2)
    r = client.post("/api/mp/v1/bind", json={"bind_token": token, "invite_code": code_a2})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "bind.openid_in_use"


def test_rebinding_needs_a_new_invite_and_moves_the_openid(client, park, fake_wechat):
    old = _bind_token(client, fake_wechat, "old-phone")
    client.post(
        "/api/mp/v1/bind",
        json={"bind_token": old, "invite_code": invite_for(client, park, park.member_a)},
    )
    new = _bind_token(client, fake_wechat, "new-phone")
    r = client.post(
        "/api/mp/v1/bind",
        json={"bind_token": new, "invite_code": invite_for(client, park, park.member_a)},
    )
    assert r.status_code == 200
    db.session.refresh(park.member_a)
    assert park.member_a.openid == "new-phone"
    fake_wechat.add_code("old-again", "old-phone")
    assert wx_login(client, "old-again").json["needs_binding"] is True


def test_deactivated_member_cannot_log_in(client, park, fake_wechat):
    token = _bind_token(client, fake_wechat, "openid-gone")
    client.post(
        "/api/mp/v1/bind",
        json={"bind_token": token, "invite_code": invite_for(client, park, park.member_a)},
    )
    park.member_a.is_active = False
    db.session.commit()
    fake_wechat.add_code("c2", "openid-gone")
    r = wx_login(client, "c2")
    assert r.status_code == 403
    assert r.json["error"]["code"] == "auth.account_inactive"


def test_wechat_not_configured(client, park, app):
    app.extensions["wechat"].appid = ""
    r = wx_login(client, "anything")
    assert r.status_code == 503
    assert r.json["error"]["code"] == "wechat.not_configured"


def test_invite_rows_record_use(app, park, fake_wechat, client):
    from app.identities import principal_for

    result = issue_invite(principal_for(f"m:{park.secretary_a.id}"), park.member_a.id, utcnow())
    db.session.commit()
    token = _bind_token(client, fake_wechat, "openid-z")
    client.post("/api/mp/v1/bind", json={"bind_token": token, "invite_code": result["code"]})
    row = db.session.query(InviteCode).filter_by(code=result["code"]).one()
    assert row.used_at is not None
