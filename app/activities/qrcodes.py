"""QR images of the check-in URL, rendered once per window (the URL holds the token) and cached.

Scans never render anything: only the secretary's screen asks for images, and every poll
within one window is answered from this cache.
"""

from __future__ import annotations

from functools import lru_cache

from app.qr import qr_png, qr_svg

CACHE_SIZE = 256  # ≈ activities showing a code at the same moment on one worker, ×2 windows


@lru_cache(maxsize=CACHE_SIZE)
def render_png(url: str) -> bytes:
    """PNG bytes of the QR code of a scan URL (cached)."""
    return qr_png(url, box_size=8)


@lru_cache(maxsize=CACHE_SIZE)
def render_svg(url: str) -> str:
    """SVG markup of the QR code of a scan URL (cached)."""
    return qr_svg(url)
