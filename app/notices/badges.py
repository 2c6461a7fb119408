"""What the member's home screen shows of the ledgers: notices to confirm, dues owed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from app.dues.models import DuesBase
from app.dues.reports import owed_now
from app.notices.services import unconfirmed_count_query


def badge_columns(member_id: int, now: datetime) -> tuple:
    """Scalar subqueries for home's one counters statement: unconfirmed notices, and whether
    the member has a dues base at all (only then are the dues worked out)."""
    has_base = exists(select(DuesBase.id).where(DuesBase.member_id == member_id))
    return (unconfirmed_count_query(member_id, now).scalar_subquery(), has_base)


def badges_from(member_id: int, now: datetime, unconfirmed: int, has_base: bool) -> dict:
    """The badges from the counters statement: no dues statement for a member who pays none."""
    owed = owed_now(member_id, now) if has_base else {"owed_fen": 0, "owed_months": 0}
    return {"notices_unconfirmed": int(unconfirmed or 0), **owed}
