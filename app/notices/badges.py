"""What the member's home screen shows of the ledgers: notices to confirm, dues owed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.dues.reports import owed_now
from app.notices.services import unconfirmed_count


def member_badges(member_id: int, now: datetime) -> dict[str, Any]:
    """Unconfirmed notices and unpaid dues (a handful of indexed statements)."""
    return {"notices_unconfirmed": unconfirmed_count(member_id, now), **owed_now(member_id, now)}
