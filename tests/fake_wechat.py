"""The loopback WeChat fixture; the fake itself lives in app/devtools (dev-wechat serves it too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.devtools.fake_wechat import MODES, PNG_BYTES, FakeWeChat

__all__ = ["MODES", "PNG_BYTES", "FakeWeChat", "fake_wechat"]


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    """A started FakeWeChat, stopped after the test."""
    fake = FakeWeChat().start()
    try:
        yield fake
    finally:
        fake.stop()
