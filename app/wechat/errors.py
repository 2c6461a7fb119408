"""What a WeChat call answers besides success: the errors it raises and the login result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import APIError

# errcodes WeChat documents for these endpoints
BUSY = -1
INVALID_APPID = 40013
INVALID_SECRET = 40125
INVALID_CODE = 40029
CODE_USED = 40163
USER_BLOCKED = 40226
TOKEN_INVALID = 40001
TOKEN_EXPIRED = 42001
RATE_LIMITED = 45011
QUOTA_REACHED = 45009
NO_SUBSCRIPTION = 43101
BAD_TEMPLATE_DATA = 47003


class WeChatSendError(APIError):
    """A subscribe message was not delivered; `errcode` is WeChat's, `retryable` says try later."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        errcode: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(status, code, message, details)
        self.errcode = errcode
        self.retryable = retryable


@dataclass(frozen=True)
class WxSession:
    """What `jscode2session` answers: the user's openid, the session key, the unionid if any."""

    openid: str
    session_key: str = field(repr=False)
    unionid: str | None = None


def _not_configured() -> APIError:
    return APIError(503, "wechat.not_configured", "微信接口未配置，请联系管理员")


def _unavailable(reason: str) -> APIError:
    return APIError(503, "wechat.unavailable", "微信服务暂不可用，请稍后再试", {"reason": reason})


def _busy() -> APIError:
    return APIError(503, "wechat.busy", "微信系统繁忙，请稍后再试", {"errcode": BUSY})


def _rate_limited(errcode: int) -> APIError:
    return APIError(429, "wechat.rate_limited", "请求过于频繁，请稍后再试", {"errcode": errcode})


def _wechat_error(errcode: int, errmsg: str) -> APIError:
    return APIError(502, "wechat.error", "微信接口返回错误", {"errcode": errcode, "errmsg": errmsg})
