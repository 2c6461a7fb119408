"""WeChatClient against FakeWeChat over real HTTP on loopback: no mocks, no database, no app."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.errors import APIError
from app.wechat import (
    MemoryTokenCache,
    WeChatClient,
    WeChatSendError,
    WxSession,
    client_from_config,
    name,
    number,
    phrase,
    thing,
    time_value,
)
from tests.fake_wechat import PNG_BYTES, FakeWeChat

SHANGHAI = ZoneInfo("Asia/Shanghai")
SESSION = "/sns/jscode2session"
TOKEN = "/cgi-bin/stable_token"
SEND = "/cgi-bin/message/subscribe/send"
WXACODE = "/wxa/getwxacodeunlimit"


@pytest.fixture
def make_client(fake_wechat: FakeWeChat) -> Iterator:
    """Build clients pointed at the fake; all closed after the test."""
    clients: list[WeChatClient] = []

    def make(**overrides) -> WeChatClient:
        options = {
            "base_url": fake_wechat.base_url,
            "appid": fake_wechat.appid,
            "secret": fake_wechat.secret,
            "timeout": 2.0,
        } | overrides
        client = WeChatClient(**options)
        client.busy_retry_delay = 0.01
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> WeChatClient:
    return make_client()


@contextmanager
def raises_api(code: str, status: int) -> Iterator[pytest.ExceptionInfo[APIError]]:
    """Like pytest.raises(APIError), also checking the code, the status and a message."""
    with pytest.raises(APIError) as info:
        yield info
    assert info.value.code == code, info.value.details
    assert info.value.status == status
    assert info.value.message  # a Chinese message for the user


# ---------------------------------------------------------------- jscode2session


def test_code_to_session_success(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.add_code("code-a", "openid-a", unionid="union-a")
    fake_wechat.add_code("code-b", "openid-b")

    assert client.code_to_session("code-a") == WxSession("openid-a", "sk-openid-a", "union-a")
    session = client.code_to_session("code-b")
    assert (session.openid, session.unionid) == ("openid-b", None)
    assert "sk-openid-b" not in repr(session)
    entry = fake_wechat.requests_log[0]
    assert entry["method"] == "GET"
    assert entry["query"] == {
        "appid": fake_wechat.appid,
        "secret": fake_wechat.secret,
        "js_code": "code-a",
        "grant_type": "authorization_code",
    }


def test_code_works_once(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.add_code("once", "openid-a")
    client.code_to_session("once")
    with raises_api("wechat.code_used", 400):
        client.code_to_session("once")


def test_unknown_code(client: WeChatClient) -> None:
    with raises_api("wechat.invalid_code", 400) as info:
        client.code_to_session("nope")
    assert info.value.message == "登录凭证无效，请重新登录"


def test_busy_then_retry_succeeds(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.add_code("c", "openid-a")
    fake_wechat.fail("busy", times=1)
    assert client.code_to_session("c").openid == "openid-a"
    assert fake_wechat.calls(SESSION) == 2


def test_busy_twice_gives_up(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.mode = "busy"
    with raises_api("wechat.busy", 503):
        client.code_to_session("c")
    assert fake_wechat.calls(SESSION) == 2


@pytest.mark.parametrize("mode", ["http500", "not_json"])
def test_bad_answers_are_unavailable(
    fake_wechat: FakeWeChat,
    client: WeChatClient,
    mode: str,
) -> None:
    fake_wechat.mode = mode
    with raises_api("wechat.unavailable", 503):
        client.code_to_session("c")
    assert fake_wechat.calls(SESSION) == 1


def test_timeout_is_unavailable(fake_wechat: FakeWeChat, make_client) -> None:
    fake_wechat.mode = "timeout"
    fake_wechat.delay_seconds = 1.0
    client = make_client(timeout=0.3)
    started = time.monotonic()
    with raises_api("wechat.unavailable", 503) as info:
        client.code_to_session("c")
    assert time.monotonic() - started < 0.9
    assert info.value.details == {"reason": "timeout"}


def test_connection_refused_leaks_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeWeChat().start()
    base = fake.base_url
    fake.stop()  # nothing listens on that port any more
    caplog.set_level(logging.DEBUG)
    client = WeChatClient(base, "wx-appid", "very-secret-value", timeout=0.5)
    with client, raises_api("wechat.unavailable", 503) as info:
        client.code_to_session("c")
    assert "very-secret-value" not in str(info.value.details)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "very-secret-value" not in caplog.text


def test_urllib3_debug_log_is_redacted(
    fake_wechat: FakeWeChat,
    client: WeChatClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_wechat.add_code("c", "openid-a")
    client.code_to_session("c")
    client.send_subscribe_message("openid-a", "tpl", {"thing1": "x"})
    assert SESSION in caplog.text  # urllib3 did log the request line …
    assert fake_wechat.secret not in caplog.text  # … without the secret
    assert "tok-1" not in caplog.text
    assert "sk-openid-a" not in caplog.text


def test_rate_limited(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.mode = "rate_limited"
    with raises_api("wechat.rate_limited", 429):
        client.code_to_session("c")


def test_not_configured_makes_no_request(fake_wechat: FakeWeChat, make_client) -> None:
    client = make_client(secret="")
    assert not client.configured
    with raises_api("wechat.not_configured", 503):
        client.code_to_session("c")
    with raises_api("wechat.not_configured", 503):
        client.access_token()
    with pytest.raises(WeChatSendError) as info:
        client.send_subscribe_message("o", "t", {"thing1": "x"})
    assert info.value.code == "wechat.not_configured" and not info.value.retryable
    with raises_api("wechat.not_configured", 503):
        client.get_unlimited_wxacode("a=1")
    assert fake_wechat.requests_log == []


def test_wrong_secret(fake_wechat: FakeWeChat, make_client) -> None:
    client = make_client(secret="wrong")
    assert client.configured
    with raises_api("wechat.error", 502) as info:
        client.code_to_session("c")
    assert info.value.details["errcode"] == 40125
    with raises_api("wechat.error", 502) as info:
        client.access_token()
    assert info.value.details["errcode"] == 40125


def test_wrong_appid(make_client) -> None:
    with raises_api("wechat.error", 502) as info:
        make_client(appid="wx-other").code_to_session("c")
    assert info.value.details["errcode"] == 40013


# ---------------------------------------------------------------- access token


def test_token_is_cached(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    assert client.access_token() == "tok-1"
    assert client.access_token() == "tok-1"
    assert fake_wechat.calls(TOKEN) == 1
    assert fake_wechat.requests_log[0]["json"] == {
        "grant_type": "client_credential",
        "appid": fake_wechat.appid,
        "secret": fake_wechat.secret,
        "force_refresh": False,
    }
    token, expires_at = client.token_cache.get()
    assert token == "tok-1"
    assert abs(expires_at - (time.time() + 7200)) < 5


def test_token_renewed_within_margin(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    now = 1_000_000.0
    client.access_token(now=now)
    client.access_token(now=now + 7200 - 301)  # still outside the 300 s margin
    assert fake_wechat.calls(TOKEN) == 1
    client.access_token(now=now + 7200 - 299)  # inside the margin: ask again
    assert fake_wechat.calls(TOKEN) == 2
    assert client.token_cache.get()[1] == pytest.approx(now + 7200 - 299 + 7200, abs=5)


def test_token_force_refresh(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    assert client.access_token() == "tok-1"
    assert client.access_token(force_refresh=True) == "tok-2"
    assert fake_wechat.requests_log[-1]["json"]["force_refresh"] is True
    assert client.access_token() == "tok-2"
    assert fake_wechat.calls(TOKEN) == 2


def test_token_cache_shared_between_clients(fake_wechat: FakeWeChat, make_client) -> None:
    cache = MemoryTokenCache()
    assert make_client(token_cache=cache).access_token() == "tok-1"
    assert make_client(token_cache=cache).access_token() == "tok-1"
    assert fake_wechat.calls(TOKEN) == 1


def test_concurrent_callers_fetch_one_token(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.latency_seconds = 0.1
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.access_token())) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["tok-1"] * 8
    assert fake_wechat.calls(TOKEN) == 1


def test_token_busy_and_outage(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.fail("busy", times=1)
    assert client.access_token() == "tok-1"
    fake_wechat.mode = "http500"
    with raises_api("wechat.unavailable", 503):
        client.access_token(force_refresh=True)


# ---------------------------------------------------------------- subscribe messages


def test_send_subscribe_message(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    client.send_subscribe_message(
        "openid-a",
        "tpl-activity",
        {"thing1": "主题党日", "time2": "2024-07-01 09:30"},
        page="pages/activity/detail?id=7",
    )
    assert fake_wechat.sent == [
        {
            "touser": "openid-a",
            "template_id": "tpl-activity",
            "page": "pages/activity/detail?id=7",
            "data": {"thing1": {"value": "主题党日"}, "time2": {"value": "2024-07-01 09:30"}},
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        }
    ]
    assert fake_wechat.requests_log[-1]["query"] == {"access_token": "tok-1"}


def test_send_without_credit(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.no_credit_openids.add("openid-a")
    with pytest.raises(WeChatSendError) as info:
        client.send_subscribe_message("openid-a", "tpl", {"thing1": "x"})
    exc = info.value
    assert isinstance(exc, APIError)
    assert (exc.status, exc.code, exc.errcode, exc.retryable) == (
        409,
        "wechat.no_subscription",
        43101,
        False,
    )
    assert fake_wechat.sent == []


@pytest.mark.parametrize("spoil", [FakeWeChat.expire_token, FakeWeChat.revoke_token])
def test_send_renews_rejected_token(fake_wechat: FakeWeChat, client: WeChatClient, spoil) -> None:
    assert client.access_token() == "tok-1"
    spoil(fake_wechat)
    client.send_subscribe_message("openid-a", "tpl", {"thing1": "x"})
    assert [
        e["query"].get("access_token") for e in fake_wechat.requests_log if e["path"] == SEND
    ] == [
        "tok-1",
        "tok-2",
    ]
    assert len(fake_wechat.sent) == 1
    assert client.access_token() == "tok-2"


def test_send_bad_template_data(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    with pytest.raises(WeChatSendError) as info:
        client.send_subscribe_message("openid-a", "tpl", {"thing1": "很长" * 11})
    assert (info.value.status, info.value.code, info.value.errcode) == (
        400,
        "wechat.bad_template_data",
        47003,
    )
    assert not info.value.retryable
    # the helper keeps the same text within the limit
    client.send_subscribe_message("openid-a", "tpl", {"thing1": thing("很长" * 11)})
    assert fake_wechat.sent[0]["data"]["thing1"]["value"] == "很长" * 9 + "很…"


@pytest.mark.parametrize(
    ("mode", "code", "errcode"),
    [("busy", "wechat.busy", -1), ("http500", "wechat.unavailable", None)],
)
def test_send_transient_failures_are_retryable(
    fake_wechat: FakeWeChat,
    client: WeChatClient,
    mode: str,
    code: str,
    errcode: int | None,
) -> None:
    client.access_token()
    fake_wechat.mode = mode
    with pytest.raises(WeChatSendError) as info:
        client.send_subscribe_message("openid-a", "tpl", {"thing1": "x"})
    assert (info.value.code, info.value.errcode, info.value.retryable) == (code, errcode, True)
    assert fake_wechat.calls(SEND) == 1  # no inline resend: it could deliver twice


def test_send_timeout_is_retryable(fake_wechat: FakeWeChat, make_client) -> None:
    client = make_client(timeout=0.3)
    client.access_token()
    fake_wechat.mode = "timeout"
    with pytest.raises(WeChatSendError) as info:
        client.send_subscribe_message("openid-a", "tpl", {"thing1": "x"})
    assert info.value.retryable and info.value.errcode is None


def test_send_other_errcode_not_retryable(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    fake_wechat.known_templates = {"tpl-known"}
    with pytest.raises(WeChatSendError) as info:
        client.send_subscribe_message("openid-a", "tpl-unknown", {"thing1": "x"})
    exc = info.value
    assert (exc.status, exc.code, exc.errcode, exc.retryable) == (502, "wechat.error", 40037, False)
    assert exc.details["errcode"] == 40037 and exc.details["errmsg"]


# ---------------------------------------------------------------- mini-program codes


def test_wxacode_returns_png(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    image = client.get_unlimited_wxacode("a=12&t=ck", page="pages/scan/index", width=280)
    assert image == PNG_BYTES and image.startswith(b"\x89PNG")
    entry = fake_wechat.requests_log[-1]
    assert entry["path"] == WXACODE
    assert entry["json"]["scene"] == "a=12&t=ck"
    assert entry["json"]["page"] == "pages/scan/index"
    assert entry["json"]["width"] == 280


@pytest.mark.parametrize("scene", ["", "x" * 33, "活动=1", "a b", "a%20b", "a\tb"])
def test_wxacode_bad_scene(fake_wechat: FakeWeChat, client: WeChatClient, scene: str) -> None:
    with raises_api("wechat.bad_scene", 400):
        client.get_unlimited_wxacode(scene)
    assert fake_wechat.requests_log == []


def test_wxacode_scene_of_32(client: WeChatClient) -> None:
    assert client.get_unlimited_wxacode("x" * 32) == PNG_BYTES


def test_wxacode_json_errors(fake_wechat: FakeWeChat, client: WeChatClient) -> None:
    client.access_token()
    fake_wechat.revoke_token()
    assert client.get_unlimited_wxacode("a=1") == PNG_BYTES  # renewed and retried
    fake_wechat.fail("busy", times=1)
    assert client.get_unlimited_wxacode("a=1") == PNG_BYTES
    fake_wechat.mode = "busy"
    with raises_api("wechat.busy", 503):
        client.get_unlimited_wxacode("a=1")


def test_wxacode_bad_width(client: WeChatClient) -> None:
    with pytest.raises(ValueError, match="width"):
        client.get_unlimited_wxacode("a=1", width=100)


# ---------------------------------------------------------------- configuration


def test_client_from_config(fake_wechat: FakeWeChat) -> None:
    config = {
        "WECHAT_APPID": fake_wechat.appid,
        "WECHAT_SECRET": fake_wechat.secret,
        "WECHAT_API_BASE": fake_wechat.base_url + "/",
        "WECHAT_TIMEOUT_SECONDS": 1.5,
        "WECHAT_ACCESS_TOKEN_MARGIN_SECONDS": 120,
    }
    with client_from_config(config) as first, client_from_config(config) as second:
        assert (first.base_url, first.timeout, first.margin_seconds) == (
            fake_wechat.base_url,
            1.5,
            120,
        )
        assert first.configured
        assert fake_wechat.secret not in repr(first)
        # clients built per request share the process's token
        assert first.access_token() == second.access_token() == "tok-1"
        assert fake_wechat.calls(TOKEN) == 1


def test_client_from_config_defaults() -> None:
    with client_from_config({"WECHAT_APPID": "", "WECHAT_SECRET": ""}) as client:
        assert client.base_url == "https://api.weixin.qq.com"
        assert (client.timeout, client.margin_seconds) == (5.0, 300)
        assert not client.configured


# ---------------------------------------------------------------- template field helpers


def test_thing() -> None:
    assert thing("主题党日") == "主题党日"
    assert thing("一" * 20) == "一" * 20
    cut = thing("一二三四五六七八九十" * 3)
    assert len(cut) == 20 and cut.endswith("…")
    assert cut == "一二三四五六七八九十一二三四五六七八九…"
    assert thing("  多行\n标题   ") == "多行 标题"
    assert thing(42) == "42"


def test_phrase_and_name() -> None:
    assert phrase("已签到") == "已签到"
    assert phrase("活动即将开始了") == "活动即将开"
    assert len(phrase("x" * 9)) == 5
    assert name("张三") == "张三"
    assert name("欧阳" * 6) == "欧阳" * 5
    assert len(name("y" * 30)) == 10


def test_number() -> None:
    assert number(12) == "12"
    assert number(Decimal("2.50")) == "2.5"
    assert number(0.5) == "0.5"
    assert number("-3") == "-3"
    assert number(Decimal("1E+3")) == "1000"
    for bad in ("abc", True, float("nan"), "9" * 33):
        with pytest.raises(ValueError):
            number(bad)


def test_time_value() -> None:
    utc = datetime(2024, 6, 30, 17, 5, tzinfo=UTC)
    assert time_value(utc.astimezone(SHANGHAI)) == "2024-07-01 01:05"
    assert time_value(datetime(2024, 7, 1, 9, 30, tzinfo=SHANGHAI)) == "2024-07-01 09:30"
    assert time_value(utc) == "2024-06-30 17:05"  # its own zone, not converted
    with pytest.raises(ValueError, match="aware"):
        time_value(datetime(2024, 7, 1, 9, 30))
