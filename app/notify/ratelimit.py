"""One rate limit for WeChat sends shared by every sender on every machine.

The `limits` library (the engine under Flask-Limiter) keeps a moving window in Redis: at most
N sends in any window of the configured length, counted across all worker processes — a token
bucket whose size is N and which refills continuously. Without Redis the window lives in the
process (good for the single in-process sender and for tests).
"""

from __future__ import annotations

import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

KEY = "wechat-subscribe-send"  # + the appid: WeChat counts per mini-program


class SendRateLimit:
    """`acquire()` blocks until one more send fits in the shared window."""

    def __init__(self, spec: str, storage_uri: str, key: str = KEY) -> None:
        self.item = parse(spec)  # e.g. "100 per second", "6000 per minute"
        self.storage = storage_from_string(storage_uri)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.key = key

    def acquire(self, max_wait: float = 300.0) -> bool:
        """Take one slot, waiting for the window to move; False after `max_wait` seconds."""
        deadline = time.monotonic() + max_wait
        while not self.limiter.hit(self.item, self.key):
            reset_at = self.limiter.get_window_stats(self.item, self.key).reset_time
            if time.monotonic() >= deadline:
                return False
            # sleep until the oldest send leaves the window, in short steps so that many
            # waiting threads do not all wake at once and hammer Redis
            time.sleep(min(max(reset_at - time.time(), 0.002), 0.05))
        return True

    def reset(self) -> None:
        """Forget every send counted so far (tests and benchmarks start from an empty window)."""
        self.limiter.clear(self.item, self.key)


def rate_limit_from_config(config) -> SendRateLimit | None:
    """The shared limit from PUSH_RATE_LIMIT (None when unset), stored in Redis when one is set."""
    spec = config.get("PUSH_RATE_LIMIT") or ""
    if not spec:
        return None
    broker = config.get("BROKER_URL") or ""
    storage = config.get("REDIS_URL") or (broker if broker.startswith("redis") else "memory://")
    return SendRateLimit(spec, storage, f"{KEY}:{config.get('WECHAT_APPID') or ''}")
