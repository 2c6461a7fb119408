"""The member side without a browser: the scanned links /c/ and /i/, binding a browser with an
invite, scan tickets, devices (list, revoke, re-binding revokes the old ones), WeChat web
authorisation against the loopback fake, the personal code image, safe study HTML, dev-wechat."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.activities import scan_ticket, tokens
from app.extensions import db
from app.timeutil import utcnow

MIN = timedelta(minutes=1)


@pytest.fixture
def app_config(fake_wechat):
    """The Official Account is configured (web authorisation goes to the fake too)."""
    return {"WECHAT_OA_APPID": fake_wechat.oa_appid, "WECHAT_OA_SECRET": fake_wechat.oa_secret}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def invite_for(client, park, member) -> str:
    r = client.post(f"/api/v1/members/{member.id}/invite", headers=park.headers.secretary_a)
    assert r.status_code == 201, r.json
    return r.json["code"]


def bind_browser(client, code, label="安卓手机 · 浏览器"):
    return client.post("/api/mp/v1/web/bind", json={"invite_code": code, "device_label": label})


def current_token(activity, now=None) -> str:
    return tokens.checkin_token(activity.id, tokens.window_of(now or utcnow()))


@pytest.fixture
def meeting(park, make_activity, point_rules):
    """Branch A's meeting, started 2 minutes ago: check-in is open."""
    return make_activity(park.branch_a, starts_at=utcnow() - 2 * MIN, title="主题党日")


# --- the scan link ---------------------------------------------------------------------------


def test_scan_link_serves_a_page_with_a_ticket(client, meeting):
    token = current_token(meeting)
    r = client.get(f"/c/{token}")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "主题党日" in html and f'data-token="{token}"' in html
    assert 'data-ticket="' in html
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script
    assert r.headers["Permissions-Policy"].endswith("geolocation=()")  # no geofence here


def test_scan_link_asks_for_location_only_with_a_geofence(client, park, make_activity):
    fenced = make_activity(park.branch_a, starts_at=utcnow(), geofence_lat=31.2, geofence_lng=121.5)
    r = client.get(f"/c/{current_token(fenced)}")
    assert r.status_code == 200
    assert 'data-needs-location="yes"' in r.get_data(as_text=True)
    assert "geolocation=(self)" in r.headers["Permissions-Policy"]


def test_forged_and_expired_scan_links_get_a_clear_page(client, meeting):
    forged = client.get("/c/" + "A" * 26)
    assert forged.status_code == 400 and forged.mimetype == "text/html"
    assert "二维码无效" in forged.get_data(as_text=True)
    garbage = client.get("/c/%00%F0%9F%98%80")
    assert garbage.status_code == 400
    stale = current_token(meeting, utcnow() - MIN)
    expired = client.get(f"/c/{stale}")
    assert expired.status_code == 410
    assert "二维码已更新，请重新扫描" in expired.get_data(as_text=True)


def test_invite_link_prefills_the_login_page(client, park):
    code = invite_for(client, park, park.member_a)
    r = client.get(f"/i/{code.lower()}")
    assert r.status_code == 200
    assert f'value="{code}"' in r.get_data(as_text=True)
    bad = client.get("/i/not-a-code!")
    assert bad.status_code == 400 and "邀请码无效" in bad.get_data(as_text=True)


# --- binding a browser, devices, re-binding ---------------------------------------------------


def test_browser_binds_once_with_an_invite(client, park):
    code = invite_for(client, park, park.member_a)
    r = bind_browser(client, code.lower())
    assert r.status_code == 200, r.json
    me = client.get("/api/v1/me", headers=bearer(r.json["access_token"]))
    assert me.json["member"]["id"] == park.member_a.id
    again = bind_browser(client, code)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "bind.invite_used"
    wrong = bind_browser(client, "ZZZZZZZZ")
    assert wrong.status_code == 404 and wrong.json["error"]["message"]


def test_rebinding_in_the_mini_program_logs_the_old_phone_out(client, park, fake_wechat):
    """Issue 16 item 6: a new binding revokes every token of the previous one."""
    fake_wechat.add_code("old-phone", "openid-old")
    old_bind = client.post("/api/mp/v1/login", json={"code": "old-phone"}).json["bind_token"]
    old = client.post(
        "/api/mp/v1/bind",
        json={"bind_token": old_bind, "invite_code": invite_for(client, park, park.member_a)},
    ).json
    assert client.get("/api/v1/me", headers=bearer(old["access_token"])).status_code == 200

    fake_wechat.add_code("new-phone", "openid-new")
    new_bind = client.post("/api/mp/v1/login", json={"code": "new-phone"}).json["bind_token"]
    new = client.post(
        "/api/mp/v1/bind",
        json={"bind_token": new_bind, "invite_code": invite_for(client, park, park.member_a)},
    )
    assert new.status_code == 200

    stale_access = client.get("/api/v1/me", headers=bearer(old["access_token"]))
    assert stale_access.status_code == 401
    assert stale_access.json["error"]["code"] == "auth.token_revoked"
    stale_refresh = client.post("/api/v1/auth/refresh", headers=bearer(old["refresh_token"]))
    assert stale_refresh.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(new.json["access_token"])).status_code == 200


def test_rebinding_a_browser_revokes_refreshed_tokens_too(client, park):
    first = bind_browser(client, invite_for(client, park, park.member_a)).json
    renewed = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert renewed.status_code == 200
    second = bind_browser(client, invite_for(client, park, park.member_a)).json
    for token in (first["access_token"], renewed.json["access_token"]):
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert (
        client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"])).status_code
        == 401
    )
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 200


def test_devices_list_and_revoke(client, park, fake_wechat):
    browser = bind_browser(client, invite_for(client, park, park.member_a), "电脑 · 浏览器").json
    fake_wechat.add_code("wx", "openid-a")
    # the member also logs in through WeChat's web authorisation (no invite: no re-binding)
    db.session.get(type(park.member_a), park.member_a.id).unionid = "union-a"
    db.session.commit()
    fake_wechat.add_code("oa-code", "openid-a", "union-a")
    oa = client.post("/api/mp/v1/oa/login", json={"code": "oa-code"})
    assert oa.status_code == 200 and oa.json["needs_binding"] is False

    listed = client.get("/api/mp/v1/devices", headers=bearer(oa.json["access_token"]))
    assert listed.status_code == 200
    items = listed.json["items"]
    assert {d["kind"] for d in items} == {"browser", "oa"}
    assert [d["current"] for d in items if d["kind"] == "oa"] == [True]
    browser_id = next(d["id"] for d in items if d["kind"] == "browser")

    # another member cannot see or revoke it
    other = bind_browser(client, invite_for(client, park, park.member_a2)).json
    assert (
        client.delete(f"/api/mp/v1/devices/{browser_id}", headers=bearer(other["access_token"]))
    ).status_code == 404

    gone = client.delete(
        f"/api/mp/v1/devices/{browser_id}", headers=bearer(oa.json["access_token"])
    )
    assert gone.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(browser["access_token"])).status_code == 401
    assert (
        client.post("/api/v1/auth/refresh", headers=bearer(browser["refresh_token"])).status_code
        == 401
    )
    left = client.get("/api/mp/v1/devices", headers=bearer(oa.json["access_token"])).json["items"]
    assert [d["kind"] for d in left] == ["oa"]


def test_logout_removes_the_device(client, park):
    tokens_ = bind_browser(client, invite_for(client, park, park.member_a)).json
    other = bind_browser(client, invite_for(client, park, park.member_a2)).json
    r = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": tokens_["refresh_token"]},
        headers=bearer(tokens_["access_token"]),
    )
    assert r.status_code == 204
    assert (
        client.post("/api/v1/auth/refresh", headers=bearer(tokens_["refresh_token"])).status_code
        == 401
    )
    from app.accounts.devices import list_devices

    assert list_devices(park.member_a.id, None) == []
    assert len(list_devices(park.member_a2.id, None)) == 1
    assert client.get("/api/v1/me", headers=bearer(other["access_token"])).status_code == 200


# --- WeChat web authorisation ----------------------------------------------------------------


def test_oa_login_unknown_wechat_needs_binding(client, park, fake_wechat):
    fake_wechat.add_code("oa-x", "openid-x", "union-nobody")
    r = client.post("/api/mp/v1/oa/login", json={"code": "oa-x"})
    assert r.status_code == 200 and r.json == {"needs_binding": True}
    assert fake_wechat.calls("/sns/oauth2/access_token") == 1
    used = client.post("/api/mp/v1/oa/login", json={"code": "oa-x"})
    assert used.status_code == 400 and used.json["error"]["code"] == "wechat.invalid_code"


def test_oa_login_not_configured(client, park, app):
    app.config["WECHAT_OA_SECRET"] = ""
    r = client.post("/api/mp/v1/oa/login", json={"code": "x"})
    assert r.status_code == 503 and r.json["error"]["code"] == "wechat.not_configured"


# --- scan tickets: the check-in finishes after login ------------------------------------------


def test_ticket_lets_the_check_in_finish_after_the_token_expired(client, park, meeting):
    seen = utcnow() - MIN  # the page was opened a minute ago; login took that long
    token = current_token(meeting, seen)
    ticket = scan_ticket.make_ticket(token, seen)
    tokens_ = bind_browser(client, invite_for(client, park, park.member_a)).json
    without = client.post(
        "/api/mp/v1/scan", json={"content": token}, headers=bearer(tokens_["access_token"])
    )
    assert without.status_code == 410 and without.json["error"]["code"] == "checkin.token_expired"
    r = client.post(
        "/api/mp/v1/scan",
        json={"content": token, "ticket": ticket},
        headers=bearer(tokens_["access_token"]),
    )
    assert r.status_code == 201, r.json
    assert r.json["attendance"]["member_id"] == park.member_a.id


def test_ticket_of_another_token_forged_or_old_never_checks_in(
    app, client, park, meeting, make_activity
):
    other = make_activity(park.branch_a, starts_at=utcnow(), title="另一个活动")
    now = utcnow()
    mine, theirs = current_token(meeting, now - MIN), current_token(other, now)
    headers = bearer(
        bind_browser(client, invite_for(client, park, park.member_a)).json["access_token"]
    )
    cases = {
        "other activity": scan_ticket.make_ticket(theirs, now),
        "forged": "x" + scan_ticket.make_ticket(mine, now - MIN)[1:],
    }
    for name, ticket in cases.items():
        r = client.post(
            "/api/mp/v1/scan", json={"content": mine, "ticket": ticket}, headers=headers
        )
        assert r.status_code == 400, name
        assert r.json["error"]["code"] == "checkin.token_invalid", name

    class PastSigner(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 3600  # signed an hour ago: past SCAN_TICKET_SECONDS

    old = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=scan_ticket.SALT, signer=PastSigner
    ).dumps({"t": mine, "at": (now - MIN).timestamp()})
    r = client.post("/api/mp/v1/scan", json={"content": mine, "ticket": old}, headers=headers)
    assert r.status_code == 410 and r.json["error"]["message"] == "二维码已更新，请重新扫描"
    from app.activities.models import Attendance

    assert db.session.query(Attendance).count() == 0


def test_ticket_never_reopens_a_closed_window(client, park, make_activity):
    past = make_activity(park.branch_a, starts_at=utcnow() - 40 * MIN)  # closed 10 min ago
    seen = utcnow() - 15 * MIN
    token = current_token(past, seen)
    headers = bearer(
        bind_browser(client, invite_for(client, park, park.member_a)).json["access_token"]
    )
    r = client.post(
        "/api/mp/v1/scan",
        json={"content": token, "ticket": scan_ticket.make_ticket(token, seen)},
        headers=headers,
    )
    assert r.status_code == 410 and r.json["error"]["code"] == "checkin.window_closed"


# --- what the pages read -----------------------------------------------------------------------


def test_personal_code_image(client, park):
    r = client.get("/api/v1/me/code.svg", headers=park.headers.member_a)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.get_data(as_text=True).lstrip().startswith("<")
    assert client.get("/api/v1/me/code.svg", headers=park.headers.committee).status_code == 403


def test_study_body_html_is_sanitised(client, park, make_item):
    item = make_item(park.branch_a, body="# 学习\n\n**重点** [链接](https://example.org) <b>x</b>")
    r = client.get(f"/api/v1/study-items/{item.id}", headers=park.headers.member_a)
    assert r.status_code == 200, r.json
    html = r.json["body_html"]
    assert "<h1>学习</h1>" in html and "<strong>重点</strong>" in html
    assert 'href="https://example.org"' in html and "&lt;b&gt;" in html


def test_markdown_renderer_drops_scripts_and_javascript_links():
    from app.study.render import markdown_html

    html = markdown_html(
        '[x](javascript:alert(1)) <script>alert(1)</script> <a href="javascript:1">y</a>'
    )
    assert "<script" not in html and "<a " not in html  # shown as text, never as markup
    assert "&lt;script&gt;" in html


def test_member_pages_are_shells_for_everyone(client):
    for path in ("/m/", "/m/login", "/m/code", "/m/my-code", "/m/study/1", "/m/quiz", "/m/leave",
                 "/m/points", "/m/inbox", "/m/attendance", "/m/devices"):  # fmt: skip
        r = client.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["Content-Security-Policy"], path


def test_dev_wechat_refuses_production(app):
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["dev-wechat", "--port", "0"])
    assert result.exit_code != 0
    assert "ENV_NAME=production" in result.output


class TestSameLimitsAsTheApi:
    @pytest.fixture
    def app_config(self):
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_CHECKIN": "3 per minute",
            "RATELIMIT_LOGIN": "3 per minute",
        }

    def test_page_check_ins_count_against_the_check_in_limit(self, client, park, meeting):
        token = current_token(meeting)
        ticket = scan_ticket.make_ticket(token, utcnow())
        body = {"content": token, "ticket": ticket}
        answers = [
            client.post("/api/mp/v1/scan", json=body, headers=park.headers.member_b).status_code
            for _ in range(4)
        ]
        assert answers[:3] == [403, 403, 403]  # branch B is not expected at A's meeting
        assert answers[3] == 429

    def test_browser_binding_counts_against_the_login_limit(self, client, park):
        answers = [bind_browser(client, "ZZZZZZZZ").status_code for _ in range(4)]
        assert answers == [404, 404, 404, 429]


@pytest.mark.parametrize("bad", ["AB\x00CDEFG", "\ud892\udfabABCDEFGH", "ABCD\u00e9FGH"])
def test_hostile_invite_codes_get_a_clear_400(client, park, bad):
    # json.dumps escapes NUL and lone surrogates as \u sequences, as a hostile client would
    r = client.post(
        "/api/mp/v1/web/bind",
        data=json.dumps({"invite_code": bad}),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json["error"]["code"] == "validation_error"
    label = client.post(
        "/api/mp/v1/web/bind", json={"invite_code": "ABCDEFGH", "device_label": "a\x00"}
    )
    assert label.status_code == 400


def test_invite_code_of_the_wrong_shape_is_invalid_without_a_lookup(client, park):
    r = bind_browser(client, "01OIL!!!")  # 0, 1, O, I, L are not in the invite alphabet
    assert r.status_code == 404 and r.json["error"]["code"] == "bind.invite_invalid"
