"""Quiet hours hold for the scheduler's first tick too (issue 17): a scheduler started at
23:04 on the demo park writes no brief and no "not studied yet" into inboxes at night."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.demo import seed_demo_park
from app.extensions import db
from app.notify.models import Notification
from app.notify.reminders import run_due

EVENING = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai
NIGHT = datetime(2026, 11, 19, 15, 4, tzinfo=UTC)  # Thursday 23:04 in Shanghai
MORNING = datetime(2026, 11, 19, 23, 40, tzinfo=UTC)  # Friday 07:40 in Shanghai


def _rows(kind: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == kind)
    )


def test_a_first_tick_in_quiet_hours_writes_no_daily_reminder(app):
    seed_demo_park(progress=False, now=NIGHT)
    db.session.commit()
    added = run_due(NIGHT)
    db.session.commit()
    assert added.get("morning_brief", 0) == 0 and added.get("study_evening", 0) == 0
    assert _rows("morning_brief") == 0 and _rows("study_evening") == 0
    # in the morning Friday's brief (seeded for the next day) goes out, once
    morning = run_due(MORNING)
    db.session.commit()
    assert morning.get("morning_brief", 0) > 0 and morning.get("study_evening", 0) == 0
    assert _rows("morning_brief") == morning["morning_brief"]


def test_outside_quiet_hours_the_evening_reminder_is_written(app):
    seed_demo_park(progress=False, now=EVENING)
    db.session.commit()
    added = run_due(EVENING)
    db.session.commit()
    assert added.get("study_evening", 0) > 0 and _rows("study_evening") == added["study_evening"]
    assert added.get("morning_brief", 0) > 0  # the 20th is a Friday: today's brief is due
