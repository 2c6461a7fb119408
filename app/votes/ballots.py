"""Writing ballots so that nothing in the database links one to its voter.

Every write replaces the vote's ballots by the same multiset in a fresh random order with
fresh random keys, in the transaction that writes the has-voted marks: afterwards all the
vote's ballot rows were written by one transaction, in an order unrelated to who voted
when. (Someone reading the live table between two votes could still diff it; that is the
database administrator's power over any system that counts before the close.)
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from app.extensions import db
from app.votes.models import Ballot

_random = secrets.SystemRandom()


def add(vote_id: int, new: Iterable[tuple[str, int | None]]) -> None:
    """Add (choice, candidate_id) rows to the vote's ballots and re-shuffle them all."""
    rows = [
        (r.choice, r.candidate_id)
        for r in db.session.execute(
            select(Ballot.choice, Ballot.candidate_id).where(Ballot.vote_id == vote_id)
        )
    ]
    rows.extend(new)
    _random.shuffle(rows)
    db.session.execute(delete(Ballot).where(Ballot.vote_id == vote_id))
    if rows:
        db.session.execute(
            insert(Ballot),
            [
                {"id": uuid.uuid4().hex, "vote_id": vote_id, "choice": c, "candidate_id": cand}
                for c, cand in rows
            ],
        )
