"""One failure budget per member and activity for the typed 6-digit check-in code.

A code is six digits, so guessing is the attack: every route that accepts a code (the
check-in API, the mini-program's scan) goes through `checkins.check_in`, which spends this
budget on a wrong code — `CHECKIN_CODE_FAILURES` (e.g. "5 per 5 minutes") per member and
activity, then a pause. The counters live in the rate-limit storage (Redis when
`REDIS_URL` is set, so every worker shares them; in-process memory otherwise) and only a
failure writes one: a correct code costs nothing, and no database statement is added.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.errors import APIError

NAMESPACE = "checkin-code-failures"
log = logging.getLogger(__name__)


def _limiter() -> FixedWindowRateLimiter:
    app = current_app._get_current_object()
    limiter = app.extensions.get(NAMESPACE)
    if limiter is None:  # one storage per app, built on first use
        uri = app.config["REDIS_URL"] or "memory://"
        limiter = FixedWindowRateLimiter(storage_from_string(uri))
        app.extensions[NAMESPACE] = limiter
    return limiter


def _budget():
    return parse(current_app.config["CHECKIN_CODE_FAILURES"])


def spent(member_id: int, activity_ids: Iterable[int]) -> set[int]:
    """The activities where this member has used up their wrong-code budget."""
    limiter, budget = _limiter(), _budget()
    try:
        return {
            a for a in activity_ids if not limiter.test(budget, NAMESPACE, str(member_id), str(a))
        }
    except Exception:  # Redis away: check-ins go on (the per-caller rate limit still holds)
        log.warning("check-in code budget unavailable", exc_info=True)
        return set()


def record_failure(member_id: int, activity_ids: Iterable[int]) -> None:
    """Spend one attempt of the member's budget at each activity the wrong code was tried on."""
    limiter, budget = _limiter(), _budget()
    try:
        for activity_id in activity_ids:
            limiter.hit(budget, NAMESPACE, str(member_id), str(activity_id))
    except Exception:
        log.warning("check-in code budget unavailable", exc_info=True)


def paused() -> APIError:
    """The answer while the budget is spent."""
    budget = _budget()
    return APIError(
        429,
        "checkin.code_paused",
        "签到码错误次数过多，请稍后再试，或扫描现场二维码签到",
        {"limit": str(budget)},
    )
