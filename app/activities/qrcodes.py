"""QR images of the check-in URL, rendered once per window (the URL holds the token) and cached.

Scans never render anything: only the secretary's screen asks for images. Within one window
every poll is answered from this worker's cache, and with REDIS_URL the first worker to
render a window shares the image with the others (a projector and many phones cost one
render per window, not one per worker).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import current_app, has_app_context

from app.qr import qr_png, qr_svg

CACHE_SIZE = 256  # ≈ activities showing a code at the same moment on one worker, ×2 windows
SHARED_SECONDS = 120  # a window and its grace are 20 s; the URL changes with every window


def _shared(kind: str, url: str, render) -> bytes:
    """The image from Redis when another worker rendered it, else rendered and shared."""
    client = current_app.extensions.get("party_redis") if has_app_context() else None
    if client is None:
        return render()
    digest = hashlib.sha256(url.encode()).hexdigest()
    key = f"{current_app.config['CACHE_KEY_PREFIX']}qr:{kind}:{digest}"
    try:
        found = client.get(key)
        if found is not None:
            return found
    except Exception:  # a cache: render it here
        current_app.logger.warning("Redis unavailable for the QR cache", exc_info=True)
        return render()
    body = render()
    try:
        client.set(key, body, ex=SHARED_SECONDS)
    except Exception:
        current_app.logger.warning("could not share the QR image in Redis", exc_info=True)
    return body


@lru_cache(maxsize=CACHE_SIZE)
def render_png(url: str) -> bytes:
    """PNG bytes of the QR code of a scan URL (cached per worker, shared through Redis)."""
    return _shared("png", url, lambda: qr_png(url, box_size=8))


@lru_cache(maxsize=CACHE_SIZE)
def render_svg(url: str) -> str:
    """SVG markup of the QR code of a scan URL (cached per worker, shared through Redis)."""
    body = _shared("svg", url, lambda: qr_svg(url).encode())
    return body.decode() if isinstance(body, bytes) else body
