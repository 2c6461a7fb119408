"""Time helpers: UTC in the database, the day boundary and display in the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_tz() -> ZoneInfo:
    """The configured display zone (TIMEZONE, default Asia/Shanghai)."""
    name = current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_TZ
    return _zone(name)


def utcnow() -> datetime:
    """Aware current time in UTC."""
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    """An aware datetime converted to the display zone."""
    return value.astimezone(local_tz())


def local_day(now: datetime) -> date:
    """The calendar day of `now` in the display zone (the points and reminders day)."""
    return to_local(now).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant at which `day` starts in the display zone."""
    return datetime.combine(day, time.min, tzinfo=local_tz()).astimezone(UTC)


def ensure_aware(value: datetime) -> datetime:
    """Naive datetimes from clients are read as display-zone wall time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=local_tz())
    return value
