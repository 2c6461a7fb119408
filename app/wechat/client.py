"""The WeChat server-API client: login, access token, subscribe messages, mini-program codes.

Every call goes over HTTP(S) to a configurable base URL, so tests point it at a fake on
loopback. Failures become `APIError`s with stable codes (`wechat.*`) and Chinese messages.
The app secret, access tokens, login codes and session keys are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from flask import current_app

from app.errors import APIError
from app.wechat.errors import (
    BAD_TEMPLATE_DATA,
    BUSY,
    CODE_USED,
    INVALID_APPID,
    INVALID_CODE,
    INVALID_SECRET,
    NO_SUBSCRIPTION,
    QUOTA_REACHED,
    RATE_LIMITED,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    USER_BLOCKED,
    WeChatSendError,
    WxSession,
    _busy,
    _not_configured,
    _rate_limited,
    _unavailable,
    _wechat_error,
)
from app.wechat.tokens import MemoryTokenCache, TokenCache, _process_cache

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"

_TOKEN_REJECTED = frozenset({TOKEN_INVALID, TOKEN_EXPIRED})
_RETRYABLE_CODES = frozenset({"wechat.unavailable", "wechat.busy", "wechat.rate_limited"})
# WeChat's documented alphabet for `scene`; anything else it rejects or mangles
_SCENE_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
_SENSITIVE_QUERY_RE = re.compile(r"((?:secret|access_token|js_code)=)[^&\s\"']+")

T = TypeVar("T")


class _RedactQuery(logging.Filter):
    """Masks credentials in urllib3's request lines (it logs full URLs at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record when its message carries a credential."""
        message = record.getMessage()
        redacted = _SENSITIVE_QUERY_RE.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


# WeChat takes the secret and tokens in the query string, so debug logging would leak them
logging.getLogger("urllib3.connectionpool").addFilter(_RedactQuery())


# ---------------------------------------------------------------- the client


class _Transport(Exception):
    """No usable answer: network failure, timeout, HTTP error status or a body that is not JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WeChatClient:
    """Calls WeChat's server APIs for one mini-program (appid + secret)."""

    busy_retry_delay = 0.2

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        timeout: float = 5.0,
        token_cache: TokenCache | None = None,
        margin_seconds: int = 300,
    ) -> None:
        self.base_url = (base_url or DEFAULT_API_BASE).rstrip("/")
        self.appid = appid or ""
        self._secret = secret or ""
        self.timeout = timeout
        self.margin_seconds = margin_seconds
        self.token_cache: TokenCache = (
            token_cache if token_cache is not None else MemoryTokenCache()
        )
        self._token_lock = threading.Lock()
        self._http = requests.Session()
        self._http.headers["User-Agent"] = "cloud-party-branch/1.0"

    def __repr__(self) -> str:
        """Base URL and appid only: never the secret."""
        return f"WeChatClient(base_url={self.base_url!r}, appid={self.appid!r})"

    def __enter__(self) -> WeChatClient:
        """Use the client in a with-block that closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the client."""
        self.close()

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._http.close()

    @property
    def configured(self) -> bool:
        """True when both the appid and the secret are set."""
        return bool(self.appid and self._secret)

    # ------------------------------------------------------------ login

    def code_to_session(self, code: str) -> WxSession:
        """Exchange a `wx.login` code for the user's openid and session key (jscode2session)."""
        self._require_configured()
        if not code or not isinstance(code, str):
            raise APIError(400, "wechat.invalid_code", "登录凭证无效，请重新登录")
        params = {
            "appid": self.appid,
            "secret": self._secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        body = self._retry_if_busy(lambda: self._get_json("/sns/jscode2session", params))
        errcode = _errcode(body)
        if errcode == 0:
            openid, session_key = body.get("openid"), body.get("session_key")
            if isinstance(openid, str) and openid and isinstance(session_key, str):
                unionid = body.get("unionid")
                return WxSession(openid, session_key, unionid if unionid else None)
            log.warning("jscode2session answered without openid/session_key")
            raise _wechat_error(0, "missing openid")
        if errcode == INVALID_CODE:
            raise APIError(400, "wechat.invalid_code", "登录凭证无效，请重新登录")
        if errcode == CODE_USED:
            raise APIError(400, "wechat.code_used", "登录凭证已使用，请重新登录")
        if errcode == USER_BLOCKED:
            raise APIError(403, "wechat.user_blocked", "该微信账号存在风险，已被限制登录")
        raise self._mapped_error("jscode2session", body)

    # ------------------------------------------------------------ access token

    def access_token(self, now: float | None = None, force_refresh: bool = False) -> str:
        """The access token, from the cache while it has more than the margin left."""
        self._require_configured()
        now = time.time() if now is None else now
        if not force_refresh and (token := self._fresh_cached(now)):
            return token
        with self._token_lock:
            # another thread may have renewed it while we waited for the lock
            if not force_refresh and (token := self._fresh_cached(now)):
                return token
            return self._fetch_token(now, force_refresh)

    def _fresh_cached(self, now: float) -> str | None:
        cached = self.token_cache.get()
        if cached and now < cached[1] - self.margin_seconds:
            return cached[0]
        return None

    def _fetch_token(self, now: float, force_refresh: bool) -> str:
        payload = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        body = self._retry_if_busy(lambda: self._post_json("/cgi-bin/stable_token", payload))
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if _errcode(body) != 0 or not isinstance(token, str) or not token:
            raise self._mapped_error("stable_token", body)
        if not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = 7200  # WeChat's documented lifetime when the field is missing
        self.token_cache.set(token, now + float(expires_in))
        return token

    def _renew_rejected(self, rejected: str) -> str:
        """A token WeChat refused (40001/42001): replace it, unless another thread already did."""
        with self._token_lock:
            now = time.time()
            cached = self.token_cache.get()
            if cached and cached[0] != rejected and now < cached[1] - self.margin_seconds:
                return cached[0]
            # normal mode first: it hands out the current token without killing other workers'
            token = self._fetch_token(now, force_refresh=False)
            if token == rejected:
                token = self._fetch_token(now, force_refresh=True)
            return token

    def _with_token(self, call: Callable[[str], T]) -> T:
        """Run `call(token)`; when WeChat rejects the token, renew it and run it once more."""
        token = self.access_token()
        result = call(token)
        if isinstance(result, dict) and _errcode(result) in _TOKEN_REJECTED:
            log.info("access token rejected (errcode %s); renewing", _errcode(result))
            result = call(self._renew_rejected(token))
        return result

    # ------------------------------------------------------------ subscribe messages

    def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: dict[str, str],
        page: str | None = None,
        state: str = "formal",
    ) -> None:
        """Send a one-time subscribe message; raises WeChatSendError when it was not delivered."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": str(value)} for key, value in data.items()},
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        if page:
            payload["page"] = page
        try:
            self._require_configured()
            # no quick retry on -1: a resend could deliver twice; the caller decides
            body = self._with_token(
                lambda token: self._post_json(
                    "/cgi-bin/message/subscribe/send", payload, token=token
                )
            )
        except APIError as exc:
            raise WeChatSendError(
                exc.status,
                exc.code,
                exc.message,
                exc.details,
                errcode=exc.details.get("errcode"),
                retryable=exc.code in _RETRYABLE_CODES,
            ) from None
        errcode = _errcode(body)
        if errcode == 0:
            return
        errmsg = str(body.get("errmsg", ""))
        details = {"errcode": errcode, "errmsg": errmsg}
        if errcode == NO_SUBSCRIPTION:
            raise WeChatSendError(
                409,
                "wechat.no_subscription",
                "用户未订阅该消息或订阅次数已用完",
                details,
                errcode=errcode,
            )
        if errcode == BAD_TEMPLATE_DATA:
            raise WeChatSendError(
                400,
                "wechat.bad_template_data",
                "订阅消息内容不符合模板要求",
                details,
                errcode=errcode,
            )
        if errcode == BUSY:
            raise WeChatSendError(
                503,
                "wechat.busy",
                "微信系统繁忙，请稍后再试",
                details,
                errcode=errcode,
                retryable=True,
            )
        log.warning("subscribe send failed: errcode=%s errmsg=%s", errcode, errmsg)
        raise WeChatSendError(
            502,
            "wechat.error",
            "微信接口返回错误",
            details,
            errcode=errcode,
            # a token refused twice in a row is a race between workers, not a bad message
            retryable=errcode in _TOKEN_REJECTED,
        )

    # ------------------------------------------------------------ mini-program codes

    def get_unlimited_wxacode(
        self,
        scene: str,
        page: str | None = None,
        width: int = 430,
        *,
        check_path: bool = True,
        env_version: str = "release",
    ) -> bytes:
        """A mini-program code image (PNG bytes) carrying `scene` (getwxacodeunlimit)."""
        if not isinstance(scene, str) or not _SCENE_RE.fullmatch(scene):
            raise APIError(
                400,
                "wechat.bad_scene",
                "小程序码参数无效：最多32个字符，只能包含字母、数字和部分符号",
                {"scene": "1–32 characters of 0-9 A-Z a-z !#$&'()*+,/:;=?@-._~"},
            )
        if not 280 <= width <= 1280:
            raise ValueError("width must be between 280 and 1280")
        self._require_configured()
        payload: dict[str, Any] = {
            "scene": scene,
            "width": width,
            "check_path": check_path,
            "env_version": env_version,
        }
        if page:
            payload["page"] = page
        result = self._retry_if_busy(
            lambda: self._with_token(
                lambda token: self._post_image_or_json(
                    "/wxa/getwxacodeunlimit", payload, token=token
                )
            )
        )
        if isinstance(result, bytes):
            return result
        raise self._mapped_error("getwxacodeunlimit", result)

    # ------------------------------------------------------------ transport

    def _require_configured(self) -> None:
        if not self.configured:
            raise _not_configured()

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """One HTTP exchange; failures surface as _Transport without the URL (it holds secrets)."""
        try:
            response = self._http.request(
                method,
                self._url(path),
                params=params,
                json=payload,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise _Transport("timeout") from None
        except requests.RequestException as exc:
            raise _Transport(type(exc).__name__) from None
        if response.status_code != 200:
            response.close()
            raise _Transport(f"http_{response.status_code}")
        return response

    def _get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        return self._guarded(path, lambda: _json_body(self._exchange("GET", path, params=params)))

    def _post_json(
        self, path: str, payload: Mapping[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        params = {"access_token": token} if token else None

        def call() -> dict[str, Any]:
            return _json_body(self._exchange("POST", path, params=params, payload=payload))

        return self._guarded(path, call)

    def _post_image_or_json(
        self, path: str, payload: Mapping[str, Any], token: str
    ) -> bytes | dict[str, Any]:
        def call() -> bytes | dict[str, Any]:
            response = self._exchange("POST", path, params={"access_token": token}, payload=payload)
            if response.headers.get("Content-Type", "").lower().startswith("image/"):
                return response.content
            return _json_body(response)

        return self._guarded(path, call)

    def _guarded(self, path: str, call: Callable[[], T]) -> T:
        """Turn a transport failure into the 503 the API shows."""
        try:
            return call()
        except _Transport as exc:
            log.warning("wechat %s unavailable: %s", path, exc.reason)
            raise _unavailable(exc.reason) from None

    def _retry_if_busy(self, call: Callable[[], T]) -> T:
        """Run `call`; on errcode -1 (WeChat busy) wait a moment and run it once more."""
        result = call()
        if isinstance(result, dict) and _errcode(result) == BUSY:
            time.sleep(self.busy_retry_delay)
            result = call()
            if isinstance(result, dict) and _errcode(result) == BUSY:
                raise _busy()
        return result

    def _mapped_error(self, api: str, body: Mapping[str, Any]) -> APIError:
        """The APIError for an errcode no endpoint-specific rule handled."""
        errcode = _errcode(body)
        errmsg = str(body.get("errmsg", ""))
        if errcode == BUSY:
            return _busy()
        if errcode in (RATE_LIMITED, QUOTA_REACHED):
            return _rate_limited(errcode)
        if errcode in (INVALID_APPID, INVALID_SECRET):
            log.error("wechat %s: credentials rejected (errcode %s)", api, errcode)
        else:
            log.warning("wechat %s failed: errcode=%s errmsg=%s", api, errcode, errmsg)
        return _wechat_error(errcode, errmsg)


def _json_body(response: requests.Response) -> dict[str, Any]:
    # jscode2session answers with Content-Type text/plain, so parse whatever came
    try:
        body = json.loads(response.content)
    except ValueError:
        raise _Transport("invalid_json") from None
    if not isinstance(body, dict):
        raise _Transport("invalid_json")
    return body


def _errcode(body: Mapping[str, Any]) -> int:
    value = body.get("errcode", 0)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -2  # unreadable errcode: not success, not retried


def client_from_config(
    config: Mapping[str, Any] | None = None, token_cache: TokenCache | None = None
) -> WeChatClient:
    """Build a client from WECHAT_* settings (the Flask app's config when none is given)."""
    if config is None:
        config = current_app.config
    base_url = str(config.get("WECHAT_API_BASE") or DEFAULT_API_BASE)
    appid = str(config.get("WECHAT_APPID") or "")
    if token_cache is None:
        token_cache = _process_cache(base_url, appid)
    return WeChatClient(
        base_url=base_url,
        appid=appid,
        secret=str(config.get("WECHAT_SECRET") or ""),
        timeout=float(config.get("WECHAT_TIMEOUT_SECONDS") or 5.0),
        token_cache=token_cache,
        margin_seconds=int(config.get("WECHAT_ACCESS_TOKEN_MARGIN_SECONDS", 300)),
    )
