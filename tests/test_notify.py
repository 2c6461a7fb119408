"""Reminders: due rules with `now` moved, exactly once, quiet hours, opt-outs, consent credits,
WeChat pushes against the loopback fake, the scheduler lease, and real scheduler processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.activities.models import Activity, Attendance
from app.extensions import db
from app.notify import models as nm
from app.notify.push import push_due
from app.notify.reminders import run_due
from app.notify.scheduler import acquire_lease
from app.notify.services import Reminder, quiet_until, record_consent, write_reminder
from app.org.models import OrgRole
from app.timeutil import local_tz

ROOT = Path(__file__).resolve().parent.parent
TZ = local_tz()


def local(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


def make_activity(org, starts_at, *, published_at=None, type="theme_day", minutes=90, **kw):
    activity = Activity(
        org_id=org.id,
        type=type,
        title=kw.pop("title", "主题党日：学习新思想"),
        location="三楼会议室",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        checkin_opens_before_minutes=30,
        checkin_closes_after_minutes=30,
        late_after_minutes=5,
        checkin_opens_at=starts_at - timedelta(minutes=30),
        checkin_closes_at=starts_at + timedelta(minutes=30),
        status=kw.pop("status", "published"),
        published_at=published_at or starts_at - timedelta(days=3),
        **kw,
    )
    db.session.add(activity)
    db.session.commit()
    return activity


def notes(kind=None, member=None):
    stmt = select(nm.Notification)
    if kind:
        stmt = stmt.where(nm.Notification.kind == kind)
    if member:
        stmt = stmt.where(nm.Notification.member_id == member.id)
    return list(db.session.scalars(stmt.order_by(nm.Notification.id)))


def attend(activity, member, status="present"):
    db.session.add(
        Attendance(
            activity_id=activity.id,
            member_id=member.id,
            status=status,
            method="qr",
            checked_in_at=activity.starts_at,
        )
    )
    db.session.commit()


# --- writing the inbox ------------------------------------------------------------------------


def test_write_reminder_is_exactly_once_per_natural_key(app, park):
    now = local(2026, 11, 21, 10)
    reminder = Reminder(
        kind="study_evening",
        cause="daily",
        day=date(2026, 11, 21),
        title="今日学习",
        member_ids=[park.member_a.id, park.member_b.id, park.member_a.id],
    )
    assert write_reminder(reminder, now) == 2
    db.session.commit()
    assert write_reminder(reminder, now) == 0
    db.session.commit()
    assert len(notes("study_evening")) == 2
    # the next day is another cause
    reminder.day = date(2026, 11, 22)
    assert write_reminder(reminder, now) == 2


def test_fan_out_is_batched_and_complete(app, park, make_member):
    many = [make_member(park.branch_a, phone=None) for _ in range(30)]
    from app.notify import services

    original = services.BATCH
    services.BATCH = 7  # several INSERT batches
    try:
        added = write_reminder(
            Reminder(
                "study_evening",
                "daily",
                date(2026, 11, 21),
                "学习",
                member_ids=[m.id for m in many],
            ),
            local(2026, 11, 21, 20),
        )
    finally:
        services.BATCH = original
    assert added == 30


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 11, 21, 21, 59), local(2026, 11, 21, 21, 59)),
        (local(2026, 11, 21, 22, 0), local(2026, 11, 22, 7, 0)),
        (local(2026, 11, 22, 3, 30), local(2026, 11, 22, 7, 0)),
        (local(2026, 11, 22, 7, 0), local(2026, 11, 22, 7, 0)),
    ],
)
def test_quiet_hours(app, at, expected):
    assert quiet_until(at) == expected


# --- the rules ----------------------------------------------------------------------------------


def test_published_and_one_hour_reminders_once_each(app, park):
    now = local(2026, 11, 21, 9, 0)
    activity = make_activity(park.branch_a, now + timedelta(minutes=61), published_at=now)
    run_due(now)
    run_due(now + timedelta(seconds=30))
    db.session.commit()
    expected = {park.member_a.id, park.member_a2.id, park.secretary_a.id}
    assert {n.member_id for n in notes("activity_published")} == expected
    assert len(notes("activity_published")) == 3
    assert notes("activity_1h") == []  # not yet: 61 minutes ahead

    run_due(now + timedelta(minutes=1, seconds=5))
    run_due(now + timedelta(minutes=2))
    db.session.commit()
    assert len(notes("activity_1h")) == 3
    assert notes("activity_24h") == []  # published less than a day ahead
    assert notes("activity_published", park.member_b) == []  # another branch
    assert notes("activity_1h")[0].data["activity_id"] == activity.id


def test_24h_reminder_for_activities_published_earlier(app, park):
    start = local(2026, 11, 22, 9)
    make_activity(park.branch_b, start, published_at=start - timedelta(days=3))
    run_due(start - timedelta(hours=25))
    assert notes("activity_24h") == []
    run_due(start - timedelta(hours=23, minutes=59))
    run_due(start - timedelta(hours=3))
    db.session.commit()
    assert [n.member_id for n in notes("activity_24h")] == [park.member_b.id]


def test_cancelled_and_draft_activities_remind_nobody(app, park):
    now = local(2026, 11, 21, 9)
    make_activity(park.branch_a, now + timedelta(minutes=30), status="cancelled")
    draft = make_activity(park.branch_a, now + timedelta(minutes=30), status="draft")
    draft.published_at = None
    db.session.commit()
    run_due(now)
    assert notes() == []


def test_not_checked_in_ten_minutes_after_start(app, park):
    start = local(2026, 11, 21, 14)
    activity = make_activity(park.branch_a, start)
    attend(activity, park.member_a)
    run_due(start + timedelta(minutes=9))
    assert notes("activity_not_checked_in") == []
    run_due(start + timedelta(minutes=10))
    db.session.commit()
    assert {n.member_id for n in notes("activity_not_checked_in")} == {
        park.member_a2.id,
        park.secretary_a.id,
    }
    run_due(start + timedelta(minutes=31))  # window closed: nothing more
    assert len(notes("activity_not_checked_in")) == 2


def test_political_birthday_from_eight_with_the_years(app, park):
    park.member_a.joined_on = date(2001, 11, 21)
    park.member_b.joined_on = date(2026, 11, 21)  # joined today: no anniversary yet
    db.session.commit()
    run_due(local(2026, 11, 21, 7, 59))
    assert notes("political_birthday") == []
    run_due(local(2026, 11, 21, 8, 0))
    run_due(local(2026, 11, 21, 12, 0))
    db.session.commit()
    [note] = notes("political_birthday")
    assert note.member_id == park.member_a.id
    assert "25周年" in note.body and note.data["years"] == 25


def test_leap_day_birthdays_are_kept_on_the_28th(app, park):
    park.member_a.joined_on = date(2004, 2, 29)
    db.session.commit()
    run_due(local(2027, 2, 28, 9))
    assert [n.member_id for n in notes("political_birthday")] == [park.member_a.id]


def test_compliance_gap_on_the_twentieth(app, park):
    # branch A held its theme day this month, branch B did not
    held = make_activity(park.branch_a, local(2026, 11, 10, 9))
    attend(held, park.member_a)
    run_due(local(2026, 11, 19, 10))
    assert notes("compliance_gap") == []
    run_due(local(2026, 11, 20, 10))
    db.session.commit()
    gaps = notes("compliance_gap")
    # only branch A has a secretary who is a member; branch B's gap goes nowhere yet
    assert gaps == []  # branch B owes one, but has no secretary to tell yet
    secretary_b = park.member_b
    db.session.add(OrgRole(org_id=park.branch_b.id, member_id=secretary_b.id, role="secretary"))
    db.session.commit()
    run_due(local(2026, 11, 20, 11))
    db.session.commit()
    [gap] = notes("compliance_gap")
    assert gap.member_id == secretary_b.id
    assert "主题党日" in gap.body
    assert "theme_day" in gap.data["missing"]
    # November is not a quarter's last month: quarterly meetings are not asked for yet
    assert "general_meeting" not in gap.data["missing"]


def test_absence_alerts_at_three_and_five_months(app, park):
    long_ago = local(2026, 1, 10, 9)
    for member in (park.member_a, park.member_a2, park.secretary_a):
        member.created_at = local(2025, 1, 1).astimezone(UTC)
    db.session.commit()
    old = make_activity(park.branch_a, long_ago)
    attend(old, park.member_a)
    attend(old, park.member_a2, status="leave")  # approved leave is not absence
    for when in (local(2026, 3, 1, 9), local(2026, 5, 1, 9)):
        attend(make_activity(park.branch_a, when), park.secretary_a)

    run_due(local(2026, 4, 9, 10))
    assert notes("absence_alert") == []
    run_due(local(2026, 4, 10, 10))
    db.session.commit()
    alerts = notes("absence_alert")
    assert {a.data["member_id"] for a in alerts} == {park.member_a.id, park.member_a2.id}
    assert {a.member_id for a in alerts} == {park.secretary_a.id}
    assert all("3个月" in a.title for a in alerts)

    run_due(local(2026, 5, 11, 10))
    assert len(notes("absence_alert")) == 2  # no repeat of the 3-month alert
    run_due(local(2026, 6, 10, 10))
    db.session.commit()
    assert len([a for a in notes("absence_alert") if "5个月" in a.title]) == 2


# --- inbox API and consent -------------------------------------------------------------------


def _seed_inbox(park):
    for i in range(3):
        write_reminder(
            Reminder(
                "study_evening",
                "daily",
                date(2026, 11, 20 + i),
                f"学习{i}",
                member_ids=[park.member_a.id],
            ),
            local(2026, 11, 20 + i, 20),
        )
    write_reminder(
        Reminder(
            "study_evening", "daily", date(2026, 11, 20), "别人的", member_ids=[park.member_b.id]
        ),
        local(2026, 11, 20, 20),
    )
    db.session.commit()


def test_inbox_lists_own_notifications_with_unread_count(client, park):
    _seed_inbox(park)
    r = client.get("/api/v1/notifications?per_page=2", headers=park.headers.member_a)
    assert r.status_code == 200
    assert r.json["total"] == 3 and r.json["unread"] == 3 and len(r.json["items"]) == 2
    assert r.json["items"][0]["title"] == "学习2"  # newest first
    assert r.json["items"][0]["created_at"].endswith("+08:00")


def test_read_one_and_all(client, park):
    _seed_inbox(park)
    first = client.get("/api/v1/notifications", headers=park.headers.member_a).json["items"][0]
    r = client.post(f"/api/v1/notifications/{first['id']}/read", headers=park.headers.member_a)
    assert r.status_code == 200 and r.json["read"] is True
    assert client.get("/api/v1/notifications", headers=park.headers.member_a).json["unread"] == 2
    r = client.post("/api/v1/notifications/read-all", headers=park.headers.member_a)
    assert r.json == {"marked": 2}
    unread = client.get("/api/v1/notifications?unread=true", headers=park.headers.member_a).json
    assert unread["total"] == 0


def test_cannot_read_someone_elses_notification(client, park):
    _seed_inbox(park)
    theirs = notes(member=park.member_b)[0]
    r = client.post(f"/api/v1/notifications/{theirs.id}/read", headers=park.headers.member_a)
    assert r.status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_console_user_without_member_profile_has_no_inbox(client, park):
    r = client.get("/api/v1/notifications", headers=park.headers.committee)
    assert r.status_code == 403
    assert r.json["error"]["code"] == "auth.member_required"


def test_preferences_round_trip(client, park):
    r = client.put(
        "/api/v1/notifications/preferences",
        headers=park.headers.member_a,
        json={"push": {"study_evening": False}},
    )
    assert r.status_code == 200
    prefs = {p["kind"]: p["push"] for p in r.json}
    assert prefs["study_evening"] is False and prefs["political_birthday"] is True
    bad = client.put(
        "/api/v1/notifications/preferences",
        headers=park.headers.member_a,
        json={"push": {"nonsense": False}},
    )
    assert bad.status_code == 400


def test_consent_credits_add_up(client, park):
    r = client.post(
        "/api/mp/v1/subscriptions",
        headers=park.headers.member_a,
        json={"template_id": "TPL-A", "accepted": True},
    )
    assert r.status_code == 200 and r.json["credits"] == {"TPL-A": 1}
    r = client.post(
        "/api/mp/v1/subscriptions",
        headers=park.headers.member_a,
        json={"results": {"TPL-A": "accept", "TPL-B": "reject"}},
    )
    assert r.json["credits"] == {"TPL-A": 2, "TPL-B": 0}
    bad = client.post(
        "/api/mp/v1/subscriptions", headers=park.headers.member_a, json={"template_id": "x"}
    )
    assert bad.status_code == 400


# --- pushing over HTTP to the fake WeChat --------------------------------------------------------


@pytest.fixture
def app_config():
    return {"WECHAT_TEMPLATES": {"study_evening": "TPL-STUDY", "activity_1h": "TPL-ACT"}}


def _bind(member, openid):
    member.openid = openid
    db.session.commit()


def _remind(park, when, kind="study_evening"):
    write_reminder(
        Reminder(
            kind,
            "daily",
            when.date(),
            "今天还没有学习哦",
            "每天学习一点点",
            member_ids=[park.member_a.id, park.member_a2.id],
        ),
        when,
    )
    db.session.commit()


def test_push_needs_a_credit_and_spends_it_once(app, park, fake_wechat):
    now = local(2026, 11, 21, 20)
    _bind(park.member_a, "oA")
    _bind(park.member_a2, "oA2")
    record_consent(park.member_a, {"TPL-STUDY": True}, now)
    db.session.commit()
    _remind(park, now)
    result = push_due(app.extensions["wechat"], now)
    assert result["sent"] == 1 and result["skipped"] == 1
    assert [m["touser"] for m in fake_wechat.sent] == ["oA"]
    sent = fake_wechat.sent[0]
    assert sent["template_id"] == "TPL-STUDY"
    assert len(sent["data"]["thing1"]["value"]) <= 20
    # a second run sends nothing more, and the credit is spent
    assert push_due(app.extensions["wechat"], now + timedelta(minutes=5))["sent"] == 0
    assert len(fake_wechat.sent) == 1
    credit = db.session.scalar(select(nm.SubscriptionCredit.credits))
    assert credit == 0


def test_quiet_hours_defer_the_push_not_the_inbox(app, park, fake_wechat):
    late = local(2026, 11, 21, 23)
    _bind(park.member_a, "oA")
    record_consent(park.member_a, {"TPL-STUDY": True}, late)
    _remind(park, late)
    assert len(notes("study_evening")) == 2  # in the inbox at once
    assert push_due(app.extensions["wechat"], late)["sent"] == 0
    assert push_due(app.extensions["wechat"], local(2026, 11, 22, 7))["sent"] == 1


def test_opted_out_member_is_not_pushed(app, park, fake_wechat):
    now = local(2026, 11, 21, 20)
    _bind(park.member_a, "oA")
    record_consent(park.member_a, {"TPL-STUDY": True}, now)
    db.session.add(nm.NotificationOptOut(member_id=park.member_a.id, kind="study_evening"))
    db.session.commit()
    _remind(park, now)
    assert push_due(app.extensions["wechat"], now)["sent"] == 0
    assert fake_wechat.sent == []
    assert db.session.scalar(select(nm.SubscriptionCredit.credits)) == 1  # not spent


def test_wechat_43101_zeroes_our_count(app, park, fake_wechat):
    now = local(2026, 11, 21, 20)
    _bind(park.member_a, "oA")
    record_consent(park.member_a, {"TPL-STUDY": True}, now)
    record_consent(park.member_a, {"TPL-STUDY": True}, now)
    fake_wechat.no_credit_openids.add("oA")
    _remind(park, now)
    result = push_due(app.extensions["wechat"], now)
    assert result["skipped"] == 2
    assert db.session.scalar(select(nm.SubscriptionCredit.credits)) == 0
    attempt = db.session.scalar(select(nm.PushAttempt).where(nm.PushAttempt.errcode == 43101))
    assert attempt is not None


def test_wechat_outage_retries_with_backoff_then_gives_up(app, park, fake_wechat):
    now = local(2026, 11, 21, 20)
    _bind(park.member_a, "oA")
    record_consent(park.member_a, {"TPL-STUDY": True}, now)
    _remind(park, now)
    fake_wechat.mode = "http500"
    assert push_due(app.extensions["wechat"], now)["retry"] == 1
    note = notes("study_evening", park.member_a)[0]
    assert note.push_status == "pending" and note.push_after > now
    # the credit came back: the message never reached WeChat
    assert db.session.scalar(select(nm.SubscriptionCredit.credits)) == 1
    when = now
    for _ in range(6):
        when += timedelta(hours=1)
        push_due(app.extensions["wechat"], when)
    db.session.refresh(note)
    assert note.push_status == "failed"
    assert note.push_attempts == 4
    # the inbox kept it all along
    r = app.test_client().get("/api/v1/notifications", headers=park.headers.member_a)
    assert r.json["total"] == 1
    fake_wechat.mode = "ok"
    push_due(app.extensions["wechat"], when + timedelta(hours=1))
    assert fake_wechat.sent == []


def test_access_token_is_cached_in_the_database(app, park, fake_wechat):
    now = local(2026, 11, 21, 20)
    for member, openid in ((park.member_a, "oA"), (park.member_a2, "oA2")):
        _bind(member, openid)
        record_consent(member, {"TPL-STUDY": True}, now)
    _remind(park, now)
    assert push_due(app.extensions["wechat"], now)["sent"] == 2
    assert fake_wechat.tokens_issued == 1
    row = db.session.scalar(select(nm.WeChatAccessToken))
    assert row.token == fake_wechat.current_token


# --- the lease and real scheduler processes -----------------------------------------------------


def test_lease_has_one_holder_at_a_time(app):
    now = local(2026, 11, 21, 10)
    assert acquire_lease("one", now, 30)
    assert not acquire_lease("two", now + timedelta(seconds=10), 30)
    assert acquire_lease("one", now + timedelta(seconds=20), 30)  # renewal
    assert acquire_lease("two", now + timedelta(seconds=51), 30)  # lapsed: taken over
    assert not acquire_lease("one", now + timedelta(seconds=52), 30)


def test_readyz_reports_the_scheduler(client, app):
    assert client.get("/readyz").json["scheduler"] == "absent"
    acquire_lease("x", datetime.now(UTC), 30)
    assert client.get("/readyz").json["scheduler"] == "ok"


def _scheduler_env(app, fake_wechat):
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "JWT_SECRET_KEY": app.config["JWT_SECRET_KEY"],
        "WECHAT_APPID": fake_wechat.appid,
        "WECHAT_SECRET": fake_wechat.secret,
        "WECHAT_API_BASE": fake_wechat.base_url,
        "WECHAT_TEMPLATES": '{"activity_published": "TPL-PUB", "activity_1h": "TPL-ACT"}',
        "SCHEDULER_TICK_SECONDS": "1",
        "SCHEDULER_LEASE_SECONDS": "6",
        "QUIET_HOURS_START": "24",  # no quiet hours: the test runs at any time of day
        "QUIET_HOURS_END": "0",
        "LOG_LEVEL": "INFO",
    }
    return env


def _start_scheduler(env):
    # SCHED_LOG=/path keeps the processes' logs when debugging this test
    with open(os.environ.get("SCHED_LOG", os.devnull), "a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run-scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = predicate()
        # end the read at once: on SQLite an open transaction holds the only write lock
        db.session.rollback()
        if done:
            return True
        time.sleep(0.3)
    return False


def test_two_schedulers_and_a_restart_send_each_reminder_once(app, park, fake_wechat):
    now = datetime.now(UTC)
    # published two hours ago, starting in 59 minutes: both reminders are due at once
    activity = make_activity(
        park.branch_a, now + timedelta(minutes=59), published_at=now - timedelta(hours=2)
    )
    for member, openid in ((park.member_a, "oA"), (park.member_a2, "oA2")):
        _bind(member, openid)
        record_consent(member, {"TPL-PUB": True, "TPL-ACT": True}, now)
    db.session.commit()

    env = _scheduler_env(app, fake_wechat)
    procs = [_start_scheduler(env), _start_scheduler(env)]
    try:
        assert _wait_for(lambda: len(fake_wechat.sent) >= 4), "schedulers sent nothing"
        time.sleep(2)  # several more ticks of both processes
        # crash the process that holds the lease; another must take over after it lapses
        leader = db.session.get(nm.SchedulerLease, "reminders").owner
        db.session.rollback()
        victim = next(p for p in procs if f":{p.pid}:" in leader)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        procs.append(_start_scheduler(env))  # and a restart
        assert _wait_for(
            lambda: db.session.get(nm.SchedulerLease, "reminders").owner != leader, seconds=20
        ), "no scheduler took the lease over"
        time.sleep(2)  # the new leader ticks a few times
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)

    def count(kind):
        return db.session.scalar(
            select(func.count()).select_from(nm.Notification).where(nm.Notification.kind == kind)
        )

    assert count("activity_published") == 3
    assert count("activity_1h") == 3
    sent = sorted((m["touser"], m["template_id"]) for m in fake_wechat.sent)
    assert sent == [("oA", "TPL-ACT"), ("oA", "TPL-PUB"), ("oA2", "TPL-ACT"), ("oA2", "TPL-PUB")]
    assert activity.id


# --- study reminders ------------------------------------------------------------------------


def _brief(org, publish_at, title="晨会：学习新思想"):
    from app.study.models import StudyItem

    item = StudyItem(
        kind="morning_brief",
        title=title,
        body="……",
        org_id=org.id,
        publish_at=publish_at,
        minutes=5,
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_morning_brief_at_half_past_seven_on_workdays(app, park):
    friday = date(2026, 11, 20)
    # posted the evening before, scheduled for 06:00 on the day it is for
    item = _brief(park.branch_a, local(2026, 11, 20, 6))
    _brief(park.branch_b, local(2026, 11, 20, 6))
    _brief(park.branch_a, local(2026, 11, 19, 6), title="昨天的")  # yesterday's: not again
    run_due(local(2026, 11, 20, 7, 29))
    assert notes("morning_brief") == []
    run_due(local(2026, 11, 20, 7, 30))
    run_due(local(2026, 11, 20, 9, 0))
    db.session.commit()
    a_notes = [n for n in notes("morning_brief") if n.data["item_id"] == item.id]
    assert {n.member_id for n in a_notes} == {
        park.member_a.id,
        park.member_a2.id,
        park.secretary_a.id,
    }
    assert all(n.day == friday for n in a_notes)
    assert len(notes("morning_brief")) == 4  # branch B's one member for its own brief

    # Saturday: a brief posted for the weekend reminds nobody
    _brief(park.branch_a, local(2026, 11, 21, 6))
    run_due(local(2026, 11, 21, 8))
    assert len(notes("morning_brief")) == 4


def test_study_evening_for_those_who_have_not_studied(app, park):
    from app.study.models import DailyQuiz, StudyDay

    day = date(2026, 11, 21)
    db.session.add(StudyDay(member_id=park.member_a.id, day=day, seconds=120))
    db.session.add(StudyDay(member_id=park.member_a2.id, day=day, seconds=0))
    db.session.add(
        DailyQuiz(
            member_id=park.secretary_a.id,
            day=day,
            question_ids=[],
            drawn_at=local(2026, 11, 21, 9),
            submitted_at=local(2026, 11, 21, 9, 5),
        )
    )
    db.session.commit()
    run_due(local(2026, 11, 21, 19, 59))
    assert notes("study_evening") == []
    run_due(local(2026, 11, 21, 20, 0))
    run_due(local(2026, 11, 21, 21, 30))
    db.session.commit()
    assert {n.member_id for n in notes("study_evening")} == {park.member_a2.id, park.member_b.id}


def test_home_shows_the_unread_count(client, park):
    _seed_inbox(park)
    home = client.get("/api/mp/v1/home", headers=park.headers.member_a)
    assert home.status_code == 200 and home.json["unread_notifications"] == 3
    client.post("/api/v1/notifications/read-all", headers=park.headers.member_a)
    home = client.get("/api/mp/v1/home", headers=park.headers.member_a)
    assert home.json["unread_notifications"] == 0


def test_done_when_publish_run_due_twice_and_the_scheduler_once(
    app, client, runner, park, fake_wechat
):
    """The issue's scenario, through the API and the CLI, with real processes and HTTP."""
    now = datetime.now(UTC)
    body = {
        "org_id": park.branch_a.id,
        "type": "theme_day",
        "title": "主题党日：重温入党誓词",
        "starts_at": (now + timedelta(minutes=61)).isoformat(),
        "ends_at": (now + timedelta(minutes=151)).isoformat(),
        "location": "党群服务中心",
        "publish": True,
    }
    created = client.post("/api/v1/activities", json=body, headers=park.headers.secretary_a)
    assert created.status_code == 201, created.json
    _bind(park.member_a, "oA")
    _bind(park.member_a2, "oA2")  # bound, but never consented: inbox only
    for template in ("TPL-PUB", "TPL-ACT"):
        record_consent(park.member_a, {template: True}, now)
    db.session.commit()
    app.config["WECHAT_TEMPLATES"] = {"activity_published": "TPL-PUB", "activity_1h": "TPL-ACT"}
    app.config["QUIET_HOURS_START"], app.config["QUIET_HOURS_END"] = 24, 0  # any time of day

    first = runner.invoke(args=["reminders", "run-due"])
    assert first.exit_code == 0, first.output
    later = (now + timedelta(minutes=2)).isoformat()  # one hour before the start has passed
    second = runner.invoke(args=["reminders", "run-due", "--now", later])
    assert second.exit_code == 0, second.output
    db.session.rollback()

    proc = _start_scheduler(
        _scheduler_env(app, fake_wechat)
        | {"WECHAT_TEMPLATES": '{"activity_published": "TPL-PUB", "activity_1h": "TPL-ACT"}'}
    )
    try:
        assert _wait_for(
            lambda: db.session.get(nm.SchedulerLease, "reminders") is not None, seconds=20
        )
        time.sleep(2.5)  # a few ticks
    finally:
        proc.terminate()
        proc.wait(10)

    expected = {park.member_a.id, park.member_a2.id, park.secretary_a.id}
    for kind in ("activity_published", "activity_1h"):
        rows = notes(kind)
        assert sorted(n.member_id for n in rows) == sorted(expected), kind
    sent = sorted((m["touser"], m["template_id"]) for m in fake_wechat.sent)
    assert sent == [("oA", "TPL-ACT"), ("oA", "TPL-PUB")]


def test_scheduler_killed_mid_fan_out_finishes_after_restart_and_sends_nothing_twice(
    app, park, fake_wechat
):
    """SIGKILL during a 600-member push, restart: every inbox row once, every push at most once."""
    from app.members.models import Member

    now = datetime.now(UTC)
    crowd = [
        Member(name=f"党员{i}", status="full", org_id=park.branch_a.id, openid=f"o{i}")
        for i in range(600)
    ]
    db.session.add_all(crowd)
    db.session.commit()
    for m in crowd:
        record_consent(m, {"TPL-PUB": True}, now)
    db.session.commit()
    make_activity(park.branch_a, now + timedelta(hours=3), published_at=now - timedelta(minutes=1))
    fake_wechat.latency_seconds = 0.01  # each push takes a moment: the kill lands mid-way
    env = _scheduler_env(app, fake_wechat)
    first = _start_scheduler(env)
    try:
        assert _wait_for(lambda: len(fake_wechat.sent) >= 60, seconds=60), "no pushes began"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        sent_at_kill = len(fake_wechat.sent)
        assert sent_at_kill < 600  # really mid-way
        second = _start_scheduler(env)
        try:
            assert _wait_for(lambda: len(fake_wechat.sent) >= 599, seconds=120), (
                f"fan-out did not finish: {len(fake_wechat.sent)} sent"
            )
            time.sleep(1.5)
        finally:
            second.terminate()
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    crowd_ids = {m.id for m in crowd}
    rows = [n for n in notes("activity_published") if n.member_id in crowd_ids]
    assert len(rows) == 600 and len({n.member_id for n in rows}) == 600
    pushed = [m["touser"] for m in fake_wechat.sent]
    assert len(pushed) == len(set(pushed))  # nobody got the message twice
    # the one push in flight at the kill may be given up, never repeated
    assert len(pushed) >= 599
    stuck = [n for n in rows if n.push_status == "sending"]
    assert len(stuck) <= 1


def test_privacy_consent_is_stored_with_version_and_time(client, park):
    r = client.post("/api/mp/v1/privacy", json={"version": "2026.1"}, headers=park.headers.member_a)
    assert r.status_code == 200
    assert r.json["version"] == "2026.1" and r.json["accepted_at"].endswith("+08:00")
    db.session.refresh(park.member_a)
    assert park.member_a.privacy_version == "2026.1"
    assert park.member_a.privacy_accepted_at is not None
    bad = client.post("/api/mp/v1/privacy", json={"version": "<b>"}, headers=park.headers.member_a)
    assert bad.status_code == 400
    staff = client.post("/api/mp/v1/privacy", json={"version": "1"}, headers=park.headers.committee)
    assert staff.status_code == 403
