"""Login rate limits that count failures, per account and per client address.

Behind the reverse proxy every request used to share one address, so ten wrong passwords
locked a whole park out. Now only failed attempts count (`deduct_when`), once against the
account named in the body and once against the client's address — which is the real one
when `PROXY_FIX_HOPS` tells werkzeug's ProxyFix how many proxies to trust.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import limiter
from app.validation import load_json_body

MAX_KEY_LENGTH = 64


def failed(response) -> bool:
    """A refused attempt: a 4xx other than the rate limit itself (a 503 is not the caller's)."""
    return 400 <= response.status_code < 500 and response.status_code != 429


def address_key() -> str:
    """The client address (after ProxyFix, when configured)."""
    return f"ip:{get_remote_address()}"


def account_key() -> str:
    """The account a login names; the address when the body names none."""
    try:
        body = load_json_body(request.get_data(cache=True)) if request.is_json else None
    except Exception:  # malformed or too deep: the parser answers it; count the address
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    if isinstance(username, str) and username.strip():
        return f"account:{username.strip().lower()[:MAX_KEY_LENGTH]}"
    return address_key()


def _configured(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def login_limits(per_account: bool = True) -> Callable:
    """Failed attempts limited per address (`RATELIMIT_LOGIN_ADDRESS`) and, for password
    logins, per account (`RATELIMIT_LOGIN`); successful logins are never counted."""

    def decorate(view: Callable) -> Callable:
        view = limiter.limit(
            _configured("RATELIMIT_LOGIN_ADDRESS"),
            key_func=address_key,
            deduct_when=failed,
            scope="login-address",
        )(view)
        if per_account:
            view = limiter.limit(
                _configured("RATELIMIT_LOGIN"),
                key_func=account_key,
                deduct_when=failed,
                scope="login-account",
            )(view)
        return view

    return decorate
