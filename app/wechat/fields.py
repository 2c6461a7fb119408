"""WeChat subscribe-message template field values: each kind cut or checked to WeChat's limits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

THING_MAX = 20
PHRASE_MAX = 5
NAME_MAX = 10
NUMBER_MAX = 32
_ELLIPSIS = "…"


def _squash(value: object) -> str:
    # template values render on one line; newlines and runs of spaces only waste the limit
    return " ".join(str(value).split())


def _cut(value: object, limit: int) -> str:
    return _squash(value)[:limit]


def thing(value: object) -> str:
    """A `thing` field: at most 20 characters, ending with "…" when it had to be cut."""
    text = _squash(value)
    if len(text) <= THING_MAX:
        return text
    return text[: THING_MAX - 1] + _ELLIPSIS


def phrase(value: object) -> str:
    """A `phrase` field: at most 5 characters."""
    return _cut(value, PHRASE_MAX)


def name(value: object) -> str:
    """A `name` field: at most 10 characters."""
    return _cut(value, NAME_MAX)


def number(value: int | float | Decimal | str) -> str:
    """A `number` field: plain digits with an optional sign and decimals, at most 32 characters."""
    if isinstance(value, bool):
        raise ValueError("a number field needs a number, not a bool")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if len(text) > NUMBER_MAX:
        # cutting digits would change the value, so refuse instead
        raise ValueError(f"number longer than {NUMBER_MAX} characters")
    return text


def time_value(dt: datetime) -> str:
    """A `time` field: "%Y-%m-%d %H:%M" in the datetime's own zone (it must be aware)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        # a naive value from the database is UTC; formatting it as-is would show the wrong hour
        raise ValueError("time_value needs an aware datetime")
    return dt.strftime("%Y-%m-%d %H:%M")
