"""The study streak as SQL computes it (home's counters, 我的积分) against the rule itself."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.study.days import STREAK_LOOKBACK_DAYS, record_study, streak
from app.timeutil import local_day

NOW = datetime(2030, 5, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def reference(days: set, today) -> dict:
    """The rule in plain Python: the run of consecutive days ending today, or ending
    yesterday while today's study is still to come."""
    studied_today = today in days
    end = today if studied_today else today - timedelta(days=1)
    count = 0
    while end - timedelta(days=count) in days:
        count += 1
    return {"days": count, "studied_today": studied_today}


@pytest.mark.parametrize("seed", range(6))
def test_streak_matches_the_rule_on_random_calendars(app, park, seed):
    rng = random.Random(seed)
    today = local_day(NOW)
    members = [park.member_a, park.member_a2, park.member_b]
    calendars = {}
    for member in members:
        # dense runs with holes, sometimes today, sometimes only up to yesterday
        days = {today - timedelta(days=n) for n in range(40) if rng.random() < 0.75}
        if rng.random() < 0.3:
            days.discard(today)
        calendars[member.id] = days
        for day in days:
            record_study(member.id, day, 60, NOW)
    db.session.commit()
    for member in members:
        assert streak(member.id, NOW) == reference(calendars[member.id], today), member.id


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        ((), {"days": 0, "studied_today": False}),
        ((0,), {"days": 1, "studied_today": True}),
        ((1,), {"days": 1, "studied_today": False}),
        ((0, 2), {"days": 1, "studied_today": True}),  # a hole at yesterday
        ((2, 3), {"days": 0, "studied_today": False}),  # the run ended the day before
        ((0, 1, 2, 4), {"days": 3, "studied_today": True}),
        ((1, 2, 3, 4), {"days": 4, "studied_today": False}),
        ((-1, 0, 1), {"days": 2, "studied_today": True}),  # a future day is not counted
    ],
)
def test_streak_edges(app, park, offsets, expected):
    today = local_day(NOW)
    for n in offsets:
        record_study(park.member_a.id, today - timedelta(days=n), 60, NOW)
    db.session.commit()
    assert streak(park.member_a.id, NOW) == expected


def test_streak_looks_back_a_bounded_window(app, park):
    today = local_day(NOW)
    for n in range(STREAK_LOOKBACK_DAYS + 5):
        record_study(park.member_a.id, today - timedelta(days=n), 60, NOW)
    db.session.commit()
    assert streak(park.member_a.id, NOW) == {"days": STREAK_LOOKBACK_DAYS, "studied_today": True}
