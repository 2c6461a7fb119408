"""WeChat server APIs (rule 9): the client, its token cache and the template field helpers.

`client` speaks HTTP(S) to a configurable base URL (tests point it at a fake on loopback),
`tokens` keeps the access token between calls, `fields` cuts template values to WeChat's limits.
Everything callers use is importable from `app.wechat`.
"""

from app.wechat.client import DEFAULT_API_BASE, NO_SUBSCRIPTION, WeChatClient, client_from_config
from app.wechat.errors import WeChatSendError, WxSession
from app.wechat.fields import name, number, phrase, thing, time_value
from app.wechat.tokens import MemoryTokenCache, TokenCache

__all__ = [
    "DEFAULT_API_BASE",
    "NO_SUBSCRIPTION",
    "MemoryTokenCache",
    "TokenCache",
    "WeChatClient",
    "WeChatSendError",
    "WxSession",
    "client_from_config",
    "name",
    "number",
    "phrase",
    "thing",
    "time_value",
]
