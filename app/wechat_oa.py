"""WeChat web authorisation (网页授权, `snsapi_base`) for the Official Account (公众号).

In WeChat's own browser the member page sends the phone to WeChat's authorize URL and comes
back with a `code`; the server exchanges it over `WECHAT_API_BASE` like every other WeChat call
(`/sns/oauth2/access_token`) for the OA openid and, when the accounts share an Open Platform,
the unionid that finds the member bound in the mini-program.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app

from app.errors import APIError
from app.wechat import DEFAULT_API_BASE, WeChatClient, WxSession

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
INVALID_CODE, CODE_USED = 40029, 40163


class OAClient(WeChatClient):
    """The Official Account's credentials on the same HTTP client (timeouts, errors, retries)."""

    def web_auth(self, code: str) -> WxSession:
        """Exchange a web-authorisation code for the OA openid and the unionid if any."""
        self._require_configured()
        params = {
            "appid": self.appid,
            "secret": self._secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        body = self._retry_if_busy(lambda: self._get_json("/sns/oauth2/access_token", params))
        errcode = body.get("errcode") or 0
        if errcode == 0 and isinstance(body.get("openid"), str) and body["openid"]:
            return WxSession(body["openid"], "", body.get("unionid") or None)
        if errcode in (INVALID_CODE, CODE_USED):
            raise APIError(400, "wechat.invalid_code", "微信授权已失效，请重新打开页面")
        raise self._mapped_error("oauth2/access_token", body)


def oa_client(config: Any = None) -> OAClient:
    """A client for WECHAT_OA_APPID / WECHAT_OA_SECRET over WECHAT_API_BASE."""
    config = config or current_app.config
    return OAClient(
        base_url=str(config.get("WECHAT_API_BASE") or DEFAULT_API_BASE),
        appid=str(config.get("WECHAT_OA_APPID") or ""),
        secret=str(config.get("WECHAT_OA_SECRET") or ""),
        timeout=float(config.get("WECHAT_TIMEOUT_SECONDS") or 5.0),
    )


def authorize_url(appid: str, redirect_uri: str, state: str) -> str:
    """Where the page sends the phone for a silent (snsapi_base) authorisation."""
    query = urlencode(
        {
            "appid": appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"
