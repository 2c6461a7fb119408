"""发展党员: the dates of each stage by hand, a walk from application to 预备党员 through the
API (the member's status history following), 转正, reminders once, the funnel."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.activities.models import Attendance
from app.extensions import db
from app.members.models import MemberHistory
from app.notify.models import Notification
from app.notify.reminders import run_due
from app.recruitment import rules, tracking
from app.recruitment.models import Applicant
from app.timeutil import local_day, utcnow

# --- the rules, by hand ----------------------------------------------------------------------


def test_eighteen_years_on_the_day_of_the_application():
    assert rules.old_enough(date(2007, 1, 10), date(2025, 1, 10))
    assert not rules.old_enough(date(2007, 1, 11), date(2025, 1, 10))
    assert rules.old_enough(date(2008, 2, 29), date(2026, 2, 28))  # no 29 Feb in 2026


def test_one_month_one_year_three_months_extension():
    assert rules.talk_deadline(date(2025, 1, 10)) == date(2025, 2, 10)
    assert rules.talk_deadline(date(2025, 1, 31)) == date(2025, 2, 28)
    assert rules.candidate_earliest(date(2025, 3, 1)) == date(2026, 3, 1)
    assert rules.approval_deadline(date(2026, 11, 30)) == date(2027, 2, 28)
    assert rules.probation_ends(date(2026, 11, 30)) == date(2027, 11, 30)
    assert rules.probation_ends(date(2026, 11, 30), date(2028, 6, 1)) == date(2028, 6, 1)
    assert rules.extension_latest(date(2026, 11, 30)) == date(2028, 11, 30)


def test_training_three_days_or_twenty_four_hours():
    assert rules.training_enough(3, None) and rules.training_enough(None, 24)
    assert not rules.training_enough(2.5, 23.5)
    assert (
        rules.half_of(date(2026, 6, 30)) == "2026H1" and rules.half_of(date(2026, 7, 1)) == "2026H2"
    )


# --- the walk --------------------------------------------------------------------------------


def _step(client, h, aid, step, on, **extra):
    body = {"step": step, "on": on if isinstance(on, str) else on.isoformat(), **extra}
    return client.post(f"/api/v1/applicants/{aid}/steps", json=body, headers=h)


def _admission_vote(client, park, make_activity, auth_headers, subject_id, kind="admission"):
    h = park.headers.secretary_a
    act = make_activity(park.branch_a, type="general_meeting", title="支部党员大会")
    electors = [park.member_a, park.member_a2, park.secretary_a]
    for m in electors:
        db.session.add(
            Attendance(
                activity_id=act.id,
                member_id=m.id,
                status="present",
                method="manual",
                checked_in_at=utcnow(),
            )
        )
    db.session.commit()
    r = client.post(
        "/api/v1/votes",
        json={
            "activity_id": act.id,
            "kind": kind,
            "title": "表决",
            "subject_member_id": subject_id,
        },
        headers=h,
    )
    assert r.status_code == 201, r.json
    vid = r.json["id"]
    assert client.post(f"/api/v1/votes/{vid}/open", headers=h).status_code == 200
    for m in electors:
        r = client.post(
            f"/api/v1/votes/{vid}/ballot", json={"choice": "yes"}, headers=auth_headers(m)
        )
        assert r.status_code == 201
    assert client.post(f"/api/v1/votes/{vid}/close", headers=h).json["result"]["passed"]
    return vid


def test_a_secretary_walks_an_applicant_to_probationary(
    client, park, make_member, make_activity, auth_headers
):
    h = park.headers.secretary_a
    base = {"org_id": park.branch_a.id, "name": "小王", "job_category": "frontline"}
    young = client.post(
        "/api/v1/applicants",
        json={**base, "birth_date": "2007-01-11", "applied_on": "2025-01-10"},
        headers=h,
    )
    assert young.status_code == 409 and young.json["error"]["code"] == "recruitment.too_young"
    r = client.post(
        "/api/v1/applicants",
        json={**base, "birth_date": "2007-01-10", "applied_on": "2025-01-10"},
        headers=h,
    )
    assert r.status_code == 201, r.json
    aid, mid = r.json["id"], r.json["member_id"]
    assert (
        _step(client, h, aid, "talk", "2025-02-11").json["error"]["code"] == "recruitment.talk_late"
    )
    assert _step(client, h, aid, "talk", "2025-02-10").status_code == 200
    none = _step(client, h, aid, "activist", "2025-03-01")
    assert none.status_code == 400
    r = _step(client, h, aid, "activist", "2025-03-01", contact_ids=[park.member_a.id])
    assert r.status_code == 200 and r.json["stage"] == "activist"
    assert _step(client, h, aid, "assessment", "2025-06-20").status_code == 200
    assert _step(client, h, aid, "assessment", "2025-06-25").status_code == 409  # same half
    one = _step(client, h, aid, "candidate", "2026-03-01")
    assert one.json["error"]["code"] == "recruitment.assessments_missing"
    assert _step(client, h, aid, "assessment", "2025-12-20").status_code == 200
    early = _step(client, h, aid, "candidate", "2026-02-28")
    assert early.json["error"]["code"] == "recruitment.too_early"
    assert _step(client, h, aid, "candidate", "2026-03-01").json["stage"] == "candidate"
    short = _step(client, h, aid, "training", "2026-04-01", training_days=2, training_hours=20)
    assert short.json["error"]["code"] == "recruitment.training_short"
    assert _step(client, h, aid, "training", "2026-04-01", training_hours=24).status_code == 200
    prob = make_member(park.branch_a, name="预备甲", status="probationary")
    bad = _step(
        client, h, aid, "introducers", "2026-04-02", introducer_ids=[park.member_a.id, prob.id]
    )
    assert bad.status_code == 400
    two = [park.member_a.id, park.member_a2.id]
    assert _step(client, h, aid, "introducers", "2026-04-02", introducer_ids=two).status_code == 200
    vid = _admission_vote(client, park, make_activity, auth_headers, mid)
    missing = _step(client, h, aid, "admit", "2026-04-03", vote_id=vid)
    assert missing.json["error"]["details"]["missing"] == ["政治审查", "公示"]
    assert _step(client, h, aid, "review", "2026-04-03").status_code == 200
    today = local_day(utcnow())
    assert _step(client, h, aid, "notice", today).status_code == 200  # 5 days from today
    running = _step(client, h, aid, "admit", today, vote_id=vid)
    assert running.json["error"]["code"] == "recruitment.notice_running"
    assert _step(client, h, aid, "notice", today - timedelta(days=5)).status_code == 200
    r = _step(client, h, aid, "admit", today, vote_id=vid)
    assert r.status_code == 200 and r.json["stage"] == "probationary"
    assert r.json["admitted_on"] == today.isoformat()
    db.session.expire_all()
    history = db.session.scalars(
        select(MemberHistory).where(MemberHistory.member_id == mid).order_by(MemberHistory.id)
    ).all()
    assert [(x.status, x.valid_from) for x in history][-2:] == [
        ("activist", date(2025, 3, 1)),
        ("probationary", today),
    ]
    deadline = rules.approval_deadline(today)
    late = _step(client, h, aid, "approve", deadline + timedelta(days=1))
    assert late.json["error"]["code"] == "recruitment.approval_late"
    assert _step(client, h, aid, "approve", deadline).status_code == 200
    assert _step(client, h, aid, "pledge", deadline).status_code == 200
    too_long = _step(
        client,
        h,
        aid,
        "extend",
        today,
        until=(rules.extension_latest(today) + timedelta(days=1)).isoformat(),
    )
    assert too_long.json["error"]["code"] == "recruitment.extension_too_long"
    until = rules.probation_ends(today) + timedelta(days=90)
    assert _step(client, h, aid, "extend", today, until=until.isoformat()).status_code == 200
    twice = _step(client, h, aid, "extend", today, until=until.isoformat())
    assert twice.json["error"]["code"] == "recruitment.extended_once"
    funnel = client.get(
        f"/api/v1/reports/recruitment?org_id={park.park.id}&year=2026",
        headers=park.headers.committee,
    ).json
    counts = {s["stage"]: (s["count"], s["frontline"]) for s in funnel["stages"]}
    assert counts == {
        "applicant": (0, 0),
        "activist": (0, 0),
        "candidate": (1, 1),
        "probationary": (1 if today.year == 2026 else 0, 1 if today.year == 2026 else 0),
        "full": (0, 0),
    }


def test_confirmation_after_one_year_by_vote(
    client, park, make_member, make_activity, auth_headers
):
    h = park.headers.secretary_a
    today = local_day(utcnow())
    person = make_member(park.branch_a, name="预备乙", status="probationary")
    row = Applicant(
        member_id=person.id,
        org_id=park.branch_a.id,
        stage="probationary",
        birth_date=date(1990, 1, 1),
        applied_on=date(2023, 1, 1),
        admitted_on=today - timedelta(days=200),
    )
    db.session.add(row)
    db.session.commit()
    vid = _admission_vote(client, park, make_activity, auth_headers, person.id, kind="confirmation")
    early = _step(client, h, row.id, "confirm", today, vote_id=vid)
    assert early.json["error"]["code"] == "recruitment.probation_running"
    row = db.session.get(Applicant, row.id)
    row.admitted_on = rules.months_after(today, -12)
    db.session.commit()
    r = _step(client, h, row.id, "confirm", today, vote_id=vid)
    assert r.status_code == 200 and r.json["stage"] == "full"
    db.session.expire_all()
    assert db.session.get(type(person), person.id).status == "full"


def test_reminders_once_per_cause(app, park, make_member):
    applied = date(2026, 1, 10)
    person = make_member(park.branch_a, name="申请人", status="staff")
    db.session.add(
        Applicant(
            member_id=person.id,
            org_id=park.branch_a.id,
            birth_date=date(1990, 1, 1),
            applied_on=applied,
        )
    )
    db.session.commit()
    from datetime import UTC, datetime

    far = datetime(2026, 1, 20, 4, tzinfo=UTC)  # 21 days before the talk deadline
    assert tracking.write_reminders(far) == 0
    near = datetime(2026, 2, 5, 4, tzinfo=UTC)  # 5 days before 2026-02-10
    assert run_due(near)["recruitment_due"] == 1  # the scheduler's rule
    assert tracking.write_reminders(near + timedelta(days=1)) == 0
    db.session.commit()
    notes = db.session.scalars(
        select(Notification).where(Notification.kind == "recruitment_due")
    ).all()
    assert [(n.member_id, n.day) for n in notes] == [(park.secretary_a.id, date(2026, 2, 10))]


def test_an_extension_moves_the_conversion_reminder_to_the_new_day(app, client, park, make_member):
    """Both admitted 2025-12-15 (year ends 2026-12-15, told a month ahead: 2026-11-15). One is
    extended to 2027-06-15: told on 2027-05-16 (30 days ahead), once — never on the old day."""
    from datetime import UTC, datetime

    def probationer(name):
        person = make_member(park.branch_a, name=name, status="probationary")
        person.probation_started_on = date(2025, 12, 15)
        row = Applicant(
            member_id=person.id,
            org_id=park.branch_a.id,
            stage="probationary",
            birth_date=date(1990, 1, 1),
            applied_on=date(2023, 1, 1),
            admitted_on=date(2025, 12, 15),
        )
        db.session.add(row)
        db.session.commit()
        return person.id, row.id

    extended, aid = probationer("延长预备期")
    regular, _ = probationer("按期转正")
    h = park.headers.secretary_a
    r = _step(client, h, aid, "extend", "2026-10-20", until="2027-06-15")
    assert r.status_code == 200 and r.json["extended_until"] == "2027-06-15"

    def told(member_id):
        db.session.commit()
        return [
            (n.day, n.data["due_on"])
            for n in db.session.scalars(
                select(Notification).where(Notification.kind == "conversion_due")
            )
            if n.data["member_id"] == member_id
        ]

    def at(day):  # noon in Shanghai, after the rule's 09:00
        return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)

    run_due(at(date(2026, 11, 14)))
    assert told(regular) == [] and told(extended) == []
    for day in (date(2026, 11, 15), date(2026, 12, 1), date(2026, 12, 15)):
        run_due(at(day))
    assert told(regular) == [(date(2026, 11, 15), "2026-12-15")]  # the old day: not extended
    assert told(extended) == []
    run_due(at(date(2027, 5, 15)))
    assert told(extended) == []
    for day in (date(2027, 5, 16), date(2027, 5, 17), date(2027, 6, 15)):
        run_due(at(day))
    assert told(extended) == [(date(2027, 5, 16), "2027-06-15")]  # exactly once
