"""The dates of 发展党员, as pure functions (hand-computed tests pin them)."""

from __future__ import annotations

import calendar
from datetime import date

MIN_AGE = 18
TRAINING_MIN_DAYS = 3
TRAINING_MIN_HOURS = 24


def months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def old_enough(birth: date, applied_on: date) -> bool:
    """Aged 18 or over on the day of the application."""
    return applied_on >= months_after(birth, 12 * MIN_AGE)


def talk_deadline(applied_on: date) -> date:
    """The talk with the applicant is due within one month of the application."""
    return months_after(applied_on, 1)


def candidate_earliest(activist_on: date) -> date:
    """At least one year as an activist before becoming a 发展对象."""
    return months_after(activist_on, 12)


def training_enough(days: float | None, hours: float | None) -> bool:
    """Training of at least 3 days or 24 学时."""
    return (days or 0) >= TRAINING_MIN_DAYS or (hours or 0) >= TRAINING_MIN_HOURS


def approval_deadline(admitted_on: date) -> date:
    """The level above approves within three months of the branch's admission."""
    return months_after(admitted_on, 3)


def probation_ends(admitted_on: date, extended_until: date | None = None) -> date:
    """One year after admission, or the end of the (single) extension."""
    return extended_until or months_after(admitted_on, 12)


def extension_latest(admitted_on: date) -> date:
    """An extension lasts at most one year beyond the regular probation."""
    return months_after(admitted_on, 24)


def half_of(day: date) -> str:
    """The half year a day falls in: `2026H1` or `2026H2`."""
    return f"{day.year}H{1 if day.month <= 6 else 2}"
