"""The counting rules of the 党员大会, as pure functions (hand-computed tests pin them).

- A vote may open when more than half of the expected voters are present.
- A motion (or an admission, a confirmation) passes when the yes votes — written opinions
  of absent voters included — exceed half of the *expected* voters, not of those present.
- An election needs at least four fifths of the expected voters present; a candidate is
  elected with more than half of the votes of those present, seats filled by rank; a tie
  across the last seat leaves those seats to a further round.
"""

from __future__ import annotations

from dataclasses import dataclass


def may_open(expected: int, present: int) -> bool:
    """More than half of the expected voters are present (none expected: no vote)."""
    return expected > 0 and 2 * present > expected


def may_open_election(expected: int, present: int) -> bool:
    """At least four fifths of the expected voters are present."""
    return expected > 0 and 5 * present >= 4 * expected


def passes(yes: int, expected: int) -> bool:
    """Yes votes exceed half of the expected voters."""
    return 2 * yes > expected


@dataclass(frozen=True)
class Outcome:
    """An election's result: who is elected, who ties for the remaining seats."""

    elected: tuple[int, ...]
    tied: tuple[int, ...]


def election_outcome(votes: dict[int, int], present: int, seats: int) -> Outcome:
    """Candidates (id → votes) with more than half of `present` votes, by rank, up to
    `seats`; candidates tied across the last seat are neither elected nor dropped."""
    qualified = sorted(
        ((n, cid) for cid, n in votes.items() if 2 * n > present), key=lambda p: (-p[0], p[1])
    )
    elected: list[int] = []
    i = 0
    while i < len(qualified) and len(elected) < seats:
        n = qualified[i][0]
        group = [cid for m, cid in qualified[i:] if m == n]
        if len(elected) + len(group) <= seats:
            elected.extend(group)
            i += len(group)
            continue
        return Outcome(tuple(elected), tuple(group))
    return Outcome(tuple(elected), ())
