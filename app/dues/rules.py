"""The dues rules as arithmetic on integer fen: brackets, the whole-base rate, rounding.

Rounding: the monthly amount is base × rate rounded to the fen, half up (0.5 fen → 1 fen),
computed in integers (never floats). The rate applies to the whole base (the 2008 规定).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.dues.models import DuesRate
from app.extensions import db

BP = 10_000  # basis points in a whole


@dataclass(frozen=True)
class Bracket:
    """Bases up to `upper_fen` (inclusive, None = no bound) pay `rate_bp` or `fixed_fen`."""

    upper_fen: int | None
    rate_bp: int | None = None
    fixed_fen: int | None = None


# 中组部《关于中国共产党党费收缴、使用和管理的规定》(2008): used when no DuesRate rows exist.
DEFAULT_FROM = date(2008, 4, 1)
DEFAULT_BRACKETS: dict[str, tuple[Bracket, ...]] = {
    "on_job": (
        Bracket(300_000, 50),  # ≤ 3,000 元: 0.5 %
        Bracket(500_000, 100),  # > 3,000 – 5,000: 1 %
        Bracket(1_000_000, 150),  # > 5,000 – 10,000: 1.5 %
        Bracket(None, 200),  # > 10,000: 2 %
    ),
    "retired": (Bracket(500_000, 50), Bracket(None, 100)),
    "low_income": (Bracket(None, fixed_fen=20),),  # 0.2 元 a month
}


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def amount_for(brackets: tuple[Bracket, ...], base_fen: int) -> int:
    """The monthly amount in fen for a base under the brackets (ascending by upper bound)."""
    for bracket in brackets:
        if bracket.upper_fen is None or base_fen <= bracket.upper_fen:
            if bracket.fixed_fen is not None:
                return bracket.fixed_fen
            return round_half_up(base_fen * (bracket.rate_bp or 0), BP)
    raise ValueError("brackets must end without an upper bound")


class RateBook:
    """Every recorded rate set, read once (a small table); defaults where none is recorded."""

    def __init__(self) -> None:
        self.sets: dict[str, list[tuple[date, tuple[Bracket, ...]]]] = {}
        grouped: dict[tuple[str, date], list[DuesRate]] = {}
        for row in db.session.scalars(select(DuesRate)):
            grouped.setdefault((row.category, row.effective_from), []).append(row)
        for (category, start), rows in sorted(grouped.items(), key=lambda kv: kv[0][1]):
            ordered = sorted(rows, key=lambda r: (r.upper_fen is None, r.upper_fen or 0))
            brackets = tuple(Bracket(r.upper_fen, r.rate_bp, r.fixed_fen) for r in ordered)
            self.sets.setdefault(category, []).append((start, brackets))

    def brackets(self, category: str, month: date) -> tuple[Bracket, ...]:
        """The category's brackets in force on `month`: the newest set, else the defaults."""
        found = [b for start, b in self.sets.get(category, []) if start <= month]
        return found[-1] if found else DEFAULT_BRACKETS.get(category, ())

    def due(self, category: str, base_fen: int, month: date) -> int:
        """What a base of `category` owes for `month`, in fen (a fixed base is the amount)."""
        if category == "fixed":
            return base_fen
        return amount_for(self.brackets(category, month), base_fen)


def brackets_for(category: str, month: date) -> tuple[Bracket, ...]:
    """The category's brackets in force on `month`."""
    return RateBook().brackets(category, month)


def monthly_due(category: str, base_fen: int, month: date) -> int:
    """What a base of `category` owes for `month`, in fen (a fixed base is the amount)."""
    return RateBook().due(category, base_fen, month)


def month_start(day: date) -> date:
    """The first day of the day's month."""
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first of the month n months later (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month start from `first` to `last`, inclusive."""
    out, current = [], month_start(first)
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


def yuan(fen: int) -> str:
    """Fen as a 元 string with two decimals (for messages and exports)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
