"""QR rendering with the qrcode library (SVG needs no imaging library; PNG uses Pillow)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _qr(text: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def qr_svg(text: str) -> str:
    """SVG markup of a QR code for `text`."""
    image = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_png(text: str, box_size: int = 10) -> bytes:
    """PNG bytes of a QR code for `text`."""
    qr = _qr(text)
    qr.box_size = box_size
    buf = io.BytesIO()
    qr.make_image().save(buf, format="PNG")
    return buf.getvalue()
