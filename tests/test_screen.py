"""The check-in screen without a browser: the link, the token, the state, the QR, the headers.

Services are called with an explicit `now`; HTTP tests use activities placed around the real
current time. The real-browser half is tests/test_web_screen_browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.activities import checkins, qrcodes, screen, tokens
from app.errors import APIError
from app.extensions import db
from app.timeutil import utcnow
from app.web.common import CONTENT_SECURITY_POLICY

WEB_DIR = Path(__file__).resolve().parent.parent / "app" / "web"
T = datetime(2030, 5, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
MIN = timedelta(minutes=1)


@pytest.fixture
def meeting(park, make_activity, point_rules):
    """A published 主题党日 of branch A starting in ten minutes (its window is open now)."""
    return make_activity(
        park.branch_a,
        starts_at=utcnow() + 10 * MIN,
        title="五月主题党日",
        location="党员活动室",
    )


def link_for(client, park, activity, headers=None):
    r = client.get(
        f"/api/v1/activities/{activity.id}/screen-link",
        headers=headers or park.headers.secretary_a,
    )
    assert r.status_code == 200, r.json
    return r.json


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def refused(fn, *args) -> APIError:
    with pytest.raises(APIError) as info:
        fn(*args)
    db.session.rollback()
    return info.value


# --- the link ----------------------------------------------------------------------------------


def test_secretary_gets_a_link_valid_until_the_window_closes(client, park, meeting):
    body = link_for(client, park, meeting)
    assert body["url"].startswith(f"https://party.example.test/screen/{meeting.id}?t=")
    closes = meeting.checkin_closes_at
    assert datetime.fromisoformat(body["expires_at"]) == closes + screen.SCREEN_LINK_MARGIN
    assert body["expires_at"].endswith("+08:00")
    assert datetime.fromisoformat(body["closes_at"]) == closes
    page = client.get(path_of(body["url"]))
    assert page.status_code == 200


def test_who_may_get_a_screen_link(
    client, park, meeting, make_activity, make_member, grant, auth_headers
):
    url = f"/api/v1/activities/{meeting.id}/screen-link"
    assert client.get(url).status_code == 401
    r = client.get(url, headers=park.headers.member_a)
    assert r.status_code == 403  # a member, not staff
    secretary_b = make_member(park.branch_b, name="钱书记")
    grant(park.branch_b, "secretary", member=secretary_b)
    r = client.get(url, headers=auth_headers(secretary_b))
    assert r.status_code == 403 and r.json["error"]["code"] == "auth.forbidden"
    assert client.get(url, headers=park.headers.committee).status_code == 200
    assert client.get(url, headers=park.headers.admin).status_code == 200
    # the secretary of an invited org runs check-in too
    joint = make_activity(park.branch_a, invited_orgs=[park.branch_b])
    r = client.get(f"/api/v1/activities/{joint.id}/screen-link", headers=auth_headers(secretary_b))
    assert r.status_code == 200


def test_no_link_for_drafts_cancelled_closed_or_missing_activities(client, park, make_activity):
    h = park.headers.secretary_a
    draft = make_activity(park.branch_a, status="draft")
    cancelled = make_activity(park.branch_a, status="cancelled")
    closed = make_activity(park.branch_a, starts_at=utcnow() - 31 * MIN)
    cases = [
        (draft.id, 409, "checkin.activity_not_published"),
        (cancelled.id, 410, "checkin.activity_cancelled"),
        (closed.id, 410, "checkin.window_closed"),
        (999_999, 404, "not_found"),
    ]
    for activity_id, status, code in cases:
        r = client.get(f"/api/v1/activities/{activity_id}/screen-link", headers=h)
        assert (r.status_code, r.json["error"]["code"]) == (status, code)


def test_a_link_can_be_had_before_the_window_opens(client, park, make_activity):
    later = make_activity(park.branch_a, starts_at=utcnow() + timedelta(days=2))
    body = link_for(client, park, later)
    assert datetime.fromisoformat(body["expires_at"]) > utcnow() + timedelta(days=2)


def test_the_link_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    op = spec["paths"]["/api/v1/activities/{activity_id}/screen-link"]["get"]
    assert "200" in op["responses"]


# --- the token -------------------------------------------------------------------------------


def test_token_opens_its_own_activity_until_it_expires(app, park, make_activity):
    meeting = make_activity(park.branch_a, starts_at=T)
    other = make_activity(park.branch_a, starts_at=T)
    expiry = screen.link_expiry(meeting)
    assert expiry == T + 30 * MIN + screen.SCREEN_LINK_MARGIN
    token = screen.make_token(meeting.id, expiry)
    assert screen.read_token(token, meeting.id, expiry - timedelta(seconds=1)) is meeting
    err = refused(screen.read_token, token, meeting.id, expiry)
    assert (err.status, err.code) == (410, "screen.link_expired")
    assert "过期" in err.message
    err = refused(screen.read_token, token, other.id, T)
    assert (err.status, err.code) == (403, "screen.link_invalid")


@pytest.mark.parametrize(
    "forge",
    [
        lambda tok: "",
        lambda tok: tok[:-2] + ("AA" if not tok.endswith("AA") else "BB"),
        lambda tok: tok.split(".")[0] + ".",
        lambda tok: "x" * 40,
        lambda tok: tokens.checkin_token(1, 1),
    ],
    ids=["missing", "bad-signature", "no-signature", "garbage", "qr-token"],
)
def test_forged_tokens_are_invalid(app, park, make_activity, forge):
    meeting = make_activity(park.branch_a, starts_at=T)
    token = screen.make_token(meeting.id, screen.link_expiry(meeting))
    err = refused(screen.read_token, forge(token), meeting.id, T)
    assert (err.status, err.code) == (403, "screen.link_invalid")


def test_a_token_signed_for_another_purpose_or_key_is_invalid(app, park, make_activity):
    from itsdangerous import URLSafeSerializer

    meeting = make_activity(park.branch_a, starts_at=T)
    payload = [meeting.id, int((T + timedelta(hours=1)).timestamp())]
    other_salt = URLSafeSerializer(app.config["SECRET_KEY"], salt="something-else").dumps(payload)
    other_key = URLSafeSerializer("another-secret-key", salt=screen.SALT).dumps(payload)
    wrong_shape = URLSafeSerializer(app.config["SECRET_KEY"], salt=screen.SALT).dumps(
        {"a": meeting.id}
    )
    for token in (other_salt, other_key, wrong_shape):
        err = refused(screen.read_token, token, meeting.id, T)
        assert err.code == "screen.link_invalid"


def test_bad_and_expired_tokens_get_a_chinese_html_page(client, park, meeting):
    forged = client.get(f"/screen/{meeting.id}?t=forged")
    assert forged.status_code == 403
    assert forged.mimetype == "text/html"
    html = forged.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<title>链接无效" in html
    assert "大屏链接无效" in html and "Traceback" not in html
    assert forged.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY

    expired = screen.make_token(meeting.id, utcnow() - timedelta(seconds=1))
    r = client.get(f"/screen/{meeting.id}?t={expired}")
    assert r.status_code == 410 and "大屏链接已过期" in r.get_data(as_text=True)
    assert client.get(f"/screen/{meeting.id}").status_code == 403

    gone = screen.make_token(999_999, utcnow() + timedelta(hours=1))
    r = client.get(f"/screen/999999?t={gone}")
    assert r.status_code == 404 and "活动不存在" in r.get_data(as_text=True)


def test_the_state_and_image_refuse_bad_tokens_with_the_envelope(client, park, meeting):
    expired = screen.make_token(meeting.id, utcnow() - timedelta(seconds=1))
    for path in ("state", "qr.svg?w=1"):
        sep = "&" if "?" in path else "?"
        r = client.get(f"/screen/{meeting.id}/{path}{sep}t=forged")
        assert r.status_code == 403 and r.json["error"]["code"] == "screen.link_invalid"
        r = client.get(f"/screen/{meeting.id}/{path}{sep}t={expired}")
        assert r.status_code == 410 and r.json["error"]["code"] == "screen.link_expired"


def test_the_screen_token_grants_nothing_else(client, park, meeting):
    token = token_of(link_for(client, park, meeting)["url"])
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("live", "attendance", "checkin-code", "screen-link"):
        r = client.get(f"/api/v1/activities/{meeting.id}/{path}", headers=bearer)
        assert r.status_code == 401, path
        r = client.get(f"/api/v1/activities/{meeting.id}/{path}?t={token}")
        assert r.status_code == 401, path
    r = client.post("/api/v1/checkins", json={"token": token}, headers=park.headers.member_a)
    assert r.status_code == 400 and r.json["error"]["code"] == "checkin.token_invalid"
    r = client.get(f"/api/v1/members/{park.member_a.id}", headers=bearer)
    assert r.status_code == 401


# --- what the screen shows ---------------------------------------------------------------------


def test_phases_follow_the_window_and_the_status(app, park, make_activity):
    meeting = make_activity(park.branch_a, starts_at=T)
    assert screen.screen_phase(meeting, T - 31 * MIN) == "before"
    assert screen.screen_phase(meeting, T - 30 * MIN) == "open"
    assert screen.screen_phase(meeting, T + 29 * MIN) == "open"
    assert screen.screen_phase(meeting, T + 30 * MIN) == "closed"
    meeting.status = "cancelled"
    assert screen.screen_phase(meeting, T) == "cancelled"
    meeting.status = "draft"
    assert screen.screen_phase(meeting, T) == "unpublished"
    db.session.rollback()


def test_the_code_shows_only_while_the_window_is_open(app, park, make_activity):
    meeting = make_activity(park.branch_a, starts_at=T, ends_at=T + 90 * MIN)
    before = screen.screen_state(meeting, T - 31 * MIN, with_pending_names=False)
    assert before["phase"] == "before" and before["code"] is None
    assert before["opens_in"] == 60.0
    opened = screen.screen_state(meeting, T, with_pending_names=False)
    window = tokens.window_of(T)
    assert opened["code"]["code"] == tokens.activity_code(meeting.id, window)
    assert opened["code"]["window"] == window and opened["code"]["refresh_in"] == 15.0
    closed = screen.screen_state(meeting, T + 30 * MIN, with_pending_names=False)
    assert closed["phase"] == "closed" and closed["code"] is None
    assert opened["activity"]["when"] == "5月15日（周三）09:00–10:30"


def test_state_counts_arrivals_and_who_has_not_come(client, park, meeting):
    path = path_of(link_for(client, park, meeting)["url"])
    state_url = path.replace("?", "/state?")
    body = client.get(state_url).json
    assert body["phase"] == "open" and body["activity"]["title"] == "五月主题党日"
    assert body["activity"]["location"] == "党员活动室"
    assert body["counts"]["expected"] == 3 and body["counts"]["checked_in"] == 0
    assert body["pending"] == {"total": 3, "names": None}
    assert re.fullmatch(r"\d{6}", body["code"]["code"])

    r = client.post(
        "/api/v1/checkins", json={"code": body["code"]["code"]}, headers=park.headers.member_a
    )
    assert r.status_code == 201
    body = client.get(state_url + "&pending=1").json
    assert body["counts"]["checked_in"] == 1 and body["counts"]["present"] == 1
    assert [a["name"] for a in body["latest"]] == ["张三"]
    assert set(body["latest"][0]) == {"name", "status", "status_label", "checked_in_at"}
    assert body["pending"] == {"total": 2, "names": ["李四", "赵书记"]}


def test_state_never_carries_phones_or_ids(client, park, meeting):
    path = path_of(link_for(client, park, meeting)["url"])
    client.post(
        "/api/v1/checkins",
        json={"token": tokens.checkin_token(meeting.id, tokens.window_of(utcnow()))},
        headers=park.headers.member_a,
    )
    text = client.get(path.replace("?", "/state?") + "&pending=1").get_data(as_text=True)
    for member in (park.member_a, park.member_a2, park.secretary_a):
        assert member.phone not in text
    assert "member_id" not in text and "phone" not in text


def test_leave_is_not_pending(client, park, meeting, auth_headers):
    r = client.post(
        f"/api/v1/activities/{meeting.id}/leave",
        json={"reason": "出差在外"},
        headers=auth_headers(park.member_a2),
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/leave-requests/{r.json['id']}/decision",
        json={"approve": True},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200
    path = path_of(link_for(client, park, meeting)["url"])
    body = client.get(path.replace("?", "/state?") + "&pending=1").json
    assert body["counts"]["leave"] == 1
    assert body["pending"] == {"total": 2, "names": ["张三", "赵书记"]}


def test_cancelled_state_has_no_code_and_no_names(client, park, meeting):
    path = path_of(link_for(client, park, meeting)["url"])
    r = client.post(
        f"/api/v1/activities/{meeting.id}/cancel",
        json={"reason": "台风停工"},
        headers=park.headers.secretary_a,
    )
    assert r.status_code == 200
    body = client.get(path.replace("?", "/state?") + "&pending=1").json
    assert body["phase"] == "cancelled" and body["code"] is None and body["pending"] is None
    assert body["activity"]["cancel_reason"] == "台风停工"
    page = client.get(path)
    assert page.status_code == 200 and 'data-phase="cancelled"' in page.get_data(as_text=True)


# --- the QR image ------------------------------------------------------------------------------


def test_qr_image_is_the_current_windows_scan_url(client, park, meeting):
    path = path_of(link_for(client, park, meeting)["url"])
    code = client.get(path.replace("?", "/state?")).json["code"]
    r = client.get(code["image_url"])
    if r.status_code == 410:  # the window turned between the two requests
        code = client.get(path.replace("?", "/state?")).json["code"]
        r = client.get(code["image_url"])
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    url = checkins.scan_url(tokens.checkin_token(meeting.id, code["window"]))
    assert r.get_data(as_text=True) == qrcodes.render_svg(url)
    cache = r.headers["Cache-Control"]
    assert cache.startswith("private, max-age=") and int(cache.rsplit("=", 1)[1]) <= 15
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_qr_image_of_another_window_or_outside_the_window_is_refused(
    client, park, meeting, make_activity
):
    token = token_of(link_for(client, park, meeting)["url"])
    base = f"/screen/{meeting.id}/qr.svg?t={token}"
    window = tokens.window_of(utcnow())
    r = client.get(f"{base}&w={window + 1}")
    assert r.status_code == 410 and r.json["error"]["code"] == "checkin.token_expired"
    assert client.get(f"{base}&w={window - 5}").status_code == 410
    for bad in ("", "abc", "-1", "9" * 11):
        r = client.get(f"{base}&w={bad}")
        assert r.status_code == 400 and r.json["error"]["code"] == "validation_error"

    later = make_activity(park.branch_a, starts_at=utcnow() + timedelta(hours=2))
    later_token = token_of(link_for(client, park, later)["url"])
    r = client.get(f"/screen/{later.id}/qr.svg?t={later_token}&w={window}")
    assert r.status_code == 409 and r.json["error"]["code"] == "checkin.window_not_open"


def test_qr_image_service_accepts_the_previous_window_only_within_grace(app, park, make_activity):
    meeting = make_activity(park.branch_a, starts_at=T)
    window = tokens.window_of(T)
    svg, ends = screen.qr_image(meeting, window - 1, T + timedelta(seconds=4))
    assert svg.startswith("<svg") and ends == tokens.window_end(window - 1)
    err = refused(screen.qr_image, meeting, window - 1, T + timedelta(seconds=5))
    assert err.code == "checkin.token_expired"


# --- the page and its headers ------------------------------------------------------------------


def test_page_carries_the_security_headers_and_no_inline_script(client, park, meeting):
    r = client.get(path_of(link_for(client, park, meeting)["url"]))
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<title>签到大屏 · 五月主题党日" in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/web/assets/' in attrs and not body for attrs, body in scripts)
    assert not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"https?://", html)


def test_state_and_assets_carry_the_headers_too(client, park, meeting):
    path = path_of(link_for(client, park, meeting)["url"])
    r = client.get(path.replace("?", "/state?"))
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["Cache-Control"] == "no-store"
    html = client.get(path).get_data(as_text=True)
    for asset in re.findall(r'(?:src|href)="(/web/assets/[^"]+)"', html):
        a = client.get(asset)
        assert a.status_code == 200 and "immutable" in a.headers["Cache-Control"]
        assert a.headers["X-Content-Type-Options"] == "nosniff"
        assert a.mimetype in ("text/css", "text/javascript", "application/javascript")
        a.close()


def test_assets_outside_the_static_folder_are_not_served(client):
    for path in ("../screen.py", "..%2Fscreen.py", "css/../../common.py", "nope.js"):
        r = client.get(f"/web/assets/{path}")
        assert r.status_code == 404, path


def test_no_template_or_asset_references_another_site():
    """Everything the pages load is served from here (no CDN, no web fonts)."""
    offenders = []
    for file in sorted(WEB_DIR.rglob("*")):
        if file.suffix not in (".html", ".js", ".css", ".py") or not file.is_file():
            continue
        for match in re.finditer(r"https?://[^\s\"'<>)]+", file.read_text(encoding="utf-8")):
            offenders.append(f"{file.relative_to(WEB_DIR)}: {match.group(0)}")
    assert offenders == []


class TestCountsSharedThroughRedis:
    """With REDIS_URL the screen's counts are counted once per SCREEN_CACHE_SECONDS for every
    worker: a worker with an empty cache of its own answers from Redis."""

    @pytest.fixture
    def app_config(self):
        import uuid

        return {
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "CACHE_KEY_PREFIX": f"t{uuid.uuid4().hex}:",
            "SCREEN_CACHE_SECONDS": 60,
        }

    def test_another_worker_reads_the_shared_counts(self, app, client, park, meeting, auth_headers):
        state_url = path_of(link_for(client, park, meeting)["url"]).replace("?", "/state?")
        code = client.get(state_url).json["code"]["code"]
        r = client.post("/api/v1/checkins", json={"code": code}, headers=park.headers.member_a)
        assert r.status_code == 201
        local = app.extensions["party_screen_counts"]
        local.clear()
        app.extensions["party_redis"].delete(self._key(app, meeting))
        first = client.get(state_url).json  # counted now, with the arrival, and shared
        assert first["counts"]["checked_in"] == 1
        r = client.post(
            "/api/v1/checkins", json={"code": code}, headers=auth_headers(park.member_a2)
        )
        assert r.status_code == 201
        local.clear()  # "another worker": nothing of its own, the shared copy within 60 s
        second = client.get(state_url).json
        assert second["counts"] == first["counts"] and second["latest"] == first["latest"]
        assert second["latest"][0]["checked_in_at"] == first["latest"][0]["checked_in_at"]
        app.extensions["party_redis"].delete(self._key(app, meeting))
        local.clear()  # the shared copy gone (expired): counted again, both arrivals
        assert client.get(state_url).json["counts"]["checked_in"] == 2

    @staticmethod
    def _key(app, meeting):
        return app.config["CACHE_KEY_PREFIX"] + f"screen:{meeting.id}:0:1"
