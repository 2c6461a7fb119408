"""Where the WeChat access token lives between calls: per process, or shared by all workers."""

from __future__ import annotations

import threading
from typing import Protocol


class TokenCache(Protocol):
    """Where the access token lives between calls; a shared store lets all workers reuse one."""

    def get(self) -> tuple[str, float] | None:
        """The cached token and its absolute expiry (epoch seconds), or None."""
        ...

    def set(self, token: str, expires_at: float) -> None:
        """Store a token and its absolute expiry (epoch seconds)."""
        ...


class MemoryTokenCache:
    """A per-process token cache, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[str, float] | None = None

    def get(self) -> tuple[str, float] | None:
        """The cached token and its absolute expiry, or None."""
        with self._lock:
            return self._value

    def set(self, token: str, expires_at: float) -> None:
        """Store a token and its absolute expiry."""
        with self._lock:
            self._value = (token, expires_at)


_process_caches: dict[tuple[str, str], MemoryTokenCache] = {}
_process_caches_lock = threading.Lock()


def _process_cache(base_url: str, appid: str) -> MemoryTokenCache:
    # clients built per request must still share one token, or every call would fetch one
    with _process_caches_lock:
        return _process_caches.setdefault((base_url, appid), MemoryTokenCache())
