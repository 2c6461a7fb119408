"""Study hours of an open year: each closed month's seconds are frozen per member with the
month, so a late change to a closed month no longer moves the committee's figures, and the
report reads the frozen months plus the open ones live — on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.reports import periods, study
from app.reports.models import ClosedPeriod, FrozenStudy
from app.study.models import StudyDay
from tests.test_reports import NOW, activity, at, mark

MARCH = date(2026, 3, 1)


def studied(member, day: date, seconds: int) -> None:
    db.session.add(StudyDay(member_id=member.id, day=day, seconds=seconds))


def frozen_row(member) -> dict[str, int] | None:
    row = db.session.get(FrozenStudy, (member.id, 2026))
    db.session.expire_all()
    return None if row is None else {f"m{n:02d}": getattr(row, f"m{n:02d}") for n in range(1, 13)}


def branch_hours(park, branch) -> dict:
    return study.hours_by_branch(park.park, 2026, NOW)[branch.id]


@pytest.fixture
def a_year_of_study(park):
    """Member A reads 2 h in March and attends a 2-hour 党课 in April; B reads 1 h in November
    (periods close from the first activity's on: a January theme day)."""
    activity(park.branch_a, at(1, 12))
    studied(park.member_a, date(2026, 3, 2), 7200)
    lecture = activity(park.branch_a, at(4, 1), type="party_lecture")
    mark(lecture, park.member_a)
    studied(park.member_b, date(2026, 11, 5), 3600)
    db.session.commit()


def test_closing_a_month_freezes_what_each_member_studied_in_it(app, park, a_year_of_study):
    before = (branch_hours(park, park.branch_a), study.member_hours(park.member_a.id, 2026, NOW))
    assert before[1] == 4.0
    periods.close_due_periods(NOW)  # 21 November: January to October close
    db.session.commit()
    row = frozen_row(park.member_a)
    assert row is not None
    assert (row["m03"], row["m04"]) == (7200, 7200)
    assert sum(row.values()) == 14400
    assert frozen_row(park.member_b) is None  # November is open: nothing of it frozen
    months = db.session.scalars(
        select(ClosedPeriod.start).where(
            ClosedPeriod.kind == "month", ClosedPeriod.study_frozen.is_(True)
        )
    ).all()
    assert sorted(s.month for s in months) == list(range(1, 11))
    # nothing changed since: the figures read the same from the frozen months
    after = (branch_hours(park, park.branch_a), study.member_hours(park.member_a.id, 2026, NOW))
    assert after == before
    assert study.member_hours(park.member_b.id, 2026, NOW) == 1.0


def test_a_late_change_to_a_closed_month_waits_for_a_reopening(
    app, client, park, a_year_of_study, principal_of
):
    periods.close_due_periods(NOW)
    db.session.commit()
    studied(park.member_a, date(2026, 3, 20), 3600)  # recorded late into closed March
    march_lecture = activity(park.branch_a, at(3, 25), type="training")
    mark(march_lecture, park.member_a2)
    studied(park.member_a, date(2026, 11, 3), 1800)  # November is open: counts at once
    db.session.commit()
    assert study.member_hours(park.member_a.id, 2026, NOW) == 4.5
    assert study.member_hours(park.member_a2.id, 2026, NOW) == 0.0
    hours = branch_hours(park, park.branch_a)
    assert hours["average_hours"] == round((4.5 + 0 + 0) / 3, 2)
    report = client.get("/api/v1/reports/compliance?year=2026", headers=park.headers.committee)
    a = next(b for b in report.json["branches"] if b["org_id"] == park.branch_a.id)
    assert a["study_hours"]["average_hours"] == hours["average_hours"]
    members = client.get("/api/v1/reports/members?year=2026", headers=park.headers.committee)
    by_member = {m["member_id"]: m["study_hours"] for m in members.json["rows"]}
    assert (by_member[park.member_a.id], by_member[park.member_a2.id]) == (4.5, 0.0)

    periods.reopen(principal_of(park.committee), "month", MARCH, "补录3月学习记录", NOW)
    db.session.commit()
    assert study.member_hours(park.member_a.id, 2026, NOW) == 5.5
    assert study.member_hours(park.member_a2.id, 2026, NOW) == 2.0
    assert frozen_row(park.member_a2)["m03"] == 7200


def test_removed_study_leaves_the_month_at_zero_when_it_is_frozen_again(
    app, park, a_year_of_study, principal_of
):
    periods.close_due_periods(NOW)
    db.session.commit()
    db.session.execute(delete(StudyDay).where(StudyDay.member_id == park.member_a.id))
    db.session.commit()
    assert study.member_hours(park.member_a.id, 2026, NOW) == 4.0  # March still as frozen
    periods.reopen(principal_of(park.committee), "month", MARCH, "删除重复记录", NOW)
    db.session.commit()
    assert frozen_row(park.member_a)["m03"] == 0
    assert study.member_hours(park.member_a.id, 2026, NOW) == 2.0  # April's 党课 stays


def test_a_committee_reopening_refreezes_only_its_own_members(
    app, park, make_org, make_member, grant, principal_of
):
    activity(park.branch_a, at(1, 12))
    other = make_org("另一园区综合党委", "general_committee", park.work)
    branch_c = make_org("C企业党支部", "branch", other)
    member_c = make_member(branch_c, name="成员C")
    studied(park.member_a, date(2026, 3, 2), 3600)
    studied(member_c, date(2026, 3, 2), 3600)
    db.session.commit()
    periods.close_due_periods(NOW)
    db.session.commit()
    studied(park.member_a, date(2026, 3, 9), 3600)
    studied(member_c, date(2026, 3, 9), 3600)
    db.session.commit()
    periods.reopen(principal_of(park.committee), "month", MARCH, "补录", NOW)
    db.session.commit()
    assert frozen_row(park.member_a)["m03"] == 7200
    assert frozen_row(member_c)["m03"] == 3600  # the other committee's figures did not move
    assert study.member_hours(member_c.id, 2026, NOW) == 1.0


def test_months_closed_before_their_study_was_frozen_stay_live_until_close_due(
    app, park, a_year_of_study, principal_of
):
    periods.close_due_periods(NOW)
    # as a database migrated from before: months closed, their study not frozen
    db.session.execute(update(ClosedPeriod).values(study_frozen=False))
    db.session.execute(delete(FrozenStudy))
    db.session.commit()
    studied(park.member_a, date(2026, 3, 20), 3600)
    db.session.commit()
    assert study.member_hours(park.member_a.id, 2026, NOW) == 5.0  # computed live, as before
    # a committee's partial reopening cannot make a month half frozen
    periods.reopen(principal_of(park.committee), "month", MARCH, "补录", NOW)
    db.session.commit()
    march = db.session.scalar(
        select(ClosedPeriod).where(ClosedPeriod.kind == "month", ClosedPeriod.start == MARCH)
    )
    assert march.study_frozen is False
    assert periods.close_due_periods(NOW) == []  # nothing new to close …
    db.session.commit()
    flags = db.session.scalars(
        select(ClosedPeriod.study_frozen).where(ClosedPeriod.kind == "month")
    ).all()
    assert flags and all(flags)  # … but every closed month's study is frozen now
    assert frozen_row(park.member_a)["m03"] == 10800
    studied(park.member_a, date(2026, 3, 27), 3600)
    db.session.commit()
    assert study.member_hours(park.member_a.id, 2026, NOW) == 5.0


@pytest.mark.parametrize("now", [NOW, datetime(2027, 1, 15, 12, tzinfo=NOW.tzinfo)])
def test_frozen_months_plus_the_live_ones_equal_a_recount(app, park, now):
    """Random study across the year; with nothing changed after the closing, the frozen
    reading equals the live recount for every member — with some months open, and with all
    twelve closed (January 2027: the year's December is frozen too)."""
    rng = random.Random(18)
    activity(park.branch_a, at(1, 1, hour=0))
    members = [park.member_a, park.member_a2, park.member_b]
    for member in members:
        for day in rng.sample(range(334), 40):
            studied(member, date(2026, 1, 1) + timedelta(days=day), rng.randrange(60, 5400))
    for _ in range(12):
        starts = at(1, 1) + timedelta(days=rng.randrange(330), hours=rng.randrange(8))
        kind = rng.choice(["party_lecture", "training", "theme_day", "general_meeting"])
        lesson = activity(rng.choice([park.branch_a, park.branch_b]), starts, type=kind)
        for member in rng.sample(members, 2):
            mark(lesson, member, status=rng.choice(["present", "late", "absent"]))
    db.session.commit()
    periods.close_due_periods(now)
    db.session.commit()
    closed = study.frozen_study_months(2026)
    assert closed == (set(range(1, 11)) if now == NOW else set(range(1, 13)))
    assert db.session.scalar(select(FrozenStudy.m01 + FrozenStudy.m06).limit(1)) is not None

    def seconds(frozen: bool) -> dict[int, int]:
        part = study.study_seconds(2026, now, None, frozen)
        rows = db.session.execute(select(part.c.member_id, part.c.seconds)).all()
        return {m: round(float(s)) for m, s in rows}

    frozen = seconds(True)
    assert frozen == seconds(False)
    assert sorted(frozen) == sorted(m.id for m in members) and all(frozen.values())


def test_the_scheduler_fills_old_months_in_one_a_tick(app, park, a_year_of_study):
    periods.close_due_periods(NOW)
    db.session.execute(update(ClosedPeriod).values(study_frozen=False))
    db.session.execute(delete(FrozenStudy))
    db.session.commit()

    def frozen_months():
        return sorted(study.frozen_study_months(2026))

    assert periods.close_due_periods(NOW, limit=1) == []  # as the scheduler's tick calls it
    db.session.commit()
    assert frozen_months() == [1]  # the oldest first
    periods.close_due_periods(NOW, limit=1)
    db.session.commit()
    assert frozen_months() == [1, 2]
    periods.close_due_periods(NOW)
    db.session.commit()
    assert frozen_months() == list(range(1, 11))
    assert frozen_row(park.member_a)["m03"] == 7200
