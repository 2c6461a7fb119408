"""The reminder rules of the park's ledgers (issue 19), each in its own package."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.notify.services import Reminder


def ledger_rules() -> list[Callable[[datetime], list[Reminder]]]:
    """Dues, notice, visit, request and transfer reminders, in that order."""
    from app.dues.reminders import RULES as DUES
    from app.notices.services import RULES as NOTICES
    from app.servicedesk.reminders import RULES as REQUESTS
    from app.transfers.reporting import RULES as TRANSFERS
    from app.visits.services import RULES as VISITS

    return [*DUES, *NOTICES, *VISITS, *REQUESTS, *TRANSFERS]
