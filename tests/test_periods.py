"""Closed periods (issue 15 item 4): frozen PERIOD_CLOSE_DAYS after they end, reports read
the frozen figures, reopening is the committee's audited decision that freezes again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.errors import APIError
from app.extensions import db
from app.reports import compliance, periods, services
from app.reports.compliance import compliance_report
from app.reports.models import ClosedPeriod
from tests.test_reports import NOW, activity, at, mark


def item(report, org, month, kind):
    row = next(b for b in report["branches"] if b["org_id"] == org.id)
    m = next(x for x in row["months"] if x["month"] == month)
    return m, next((i for i in m["items"] if i["type"] == kind), None)


@pytest.fixture
def january(park):
    """A theme day in January for branch A (the first activity: periods count from it)."""
    a = activity(park.branch_a, at(1, 12))
    mark(a, park.member_a)
    return a


def test_months_and_quarters_close_ten_days_after_they_end(app, park, january):
    # NOW is 21 November: October ended 1 November, 20 days ago; November has not ended
    closed = periods.close_due_periods(NOW)
    db.session.commit()
    assert [(k, s.month) for k, s in closed if k == "month"] == [("month", m) for m in range(1, 11)]
    assert [(k, s.month) for k, s in closed if k == "quarter"] == [
        ("quarter", m) for m in (1, 4, 7)
    ]
    assert not [k for k, _ in closed if k == "year"]
    assert periods.close_due_periods(NOW) == []  # idempotent
    # 10 days after October: still open on 10 November (its tenth day), closed on the 11th
    db.session.query(ClosedPeriod).delete()
    db.session.commit()
    tenth = datetime(2026, 11, 10, 12, tzinfo=at(1, 1).tzinfo)
    assert ("month", date(2026, 10, 1)) not in periods.close_due_periods(tenth)
    eleventh = datetime(2026, 11, 11, 12, tzinfo=at(1, 1).tzinfo)
    assert ("month", date(2026, 10, 1)) in periods.close_due_periods(eleventh)


def test_a_closed_month_does_not_move_and_reopening_refreezes(app, park, january, principal_of):
    periods.close_due_periods(NOW)
    db.session.commit()
    month, before = item(compliance_report(park.park, 2026, NOW), park.branch_b, 9, "theme_day")
    assert (before["status"], before["frozen"], month["closed"]) == ("missed", True, True)
    # a September theme day recorded afterwards (补录) would turn it "met" — but the month is closed
    late = activity(park.branch_b, at(9, 20))
    mark(late, park.member_b)
    _, frozen = item(compliance_report(park.park, 2026, NOW), park.branch_b, 9, "theme_day")
    assert frozen["status"] == "missed"
    sept = services.attendance_report(
        services.Scope(park.park, date(2026, 9, 1), date(2026, 10, 1)), NOW
    )
    assert sept["frozen"] is True and sept["totals"]["expected"] == 0

    with pytest.raises(APIError) as denied:
        periods.reopen(principal_of(park.secretary_a), "month", date(2026, 9, 1), "补录", NOW)
    assert denied.value.status == 403
    row = periods.reopen(
        principal_of(park.committee), "month", date(2026, 9, 1), "补录9月主题党日纸质签到", NOW
    )
    db.session.commit()
    assert row.version == 2
    _, after = item(compliance_report(park.park, 2026, NOW), park.branch_b, 9, "theme_day")
    assert (after["status"], after["held"], after["frozen"]) == ("met", 1, True)
    sept = services.attendance_report(
        services.Scope(park.park, date(2026, 9, 1), date(2026, 10, 1)), NOW
    )
    [b_row] = [r for r in sept["rows"] if r["org_id"] == park.branch_b.id]
    assert (b_row["expected"], b_row["present"]) == (1, 1)
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "period.reopen"))
    assert (log.field, log.old_value, log.new_value, log.reason) == (
        "month:2026-09-01",
        "v1",
        "v2",
        "补录9月主题党日纸质签到",
    )


def test_a_closed_year_is_read_from_the_frozen_table_only(app, park, january, monkeypatch):
    now = datetime(2027, 1, 20, 12, tzinfo=UTC)
    periods.close_due_periods(now)
    db.session.commit()
    live = compliance_report(park.park, 2026, now, live=True)

    def no_live_query(*args, **kwargs):
        raise AssertionError("a closed year must not be recounted")

    monkeypatch.setattr(compliance, "held_meetings", no_live_query)
    monkeypatch.setattr(compliance, "talk_coverage", no_live_query)
    frozen = compliance_report(park.park, 2026, now)
    strip = [
        [[{k: v for k, v in i.items() if k != "frozen"} for i in m["items"]] for m in b["months"]]
        for b in frozen["branches"]
    ]
    assert strip == [
        [[{k: v for k, v in i.items() if k != "frozen"} for i in m["items"]] for m in b["months"]]
        for b in live["branches"]
    ]
    assert all(i["frozen"] for b in frozen["branches"] for m in b["months"] for i in m["items"])
    _, jan = item(frozen, park.branch_a, 1, "theme_day")
    assert (jan["held"], jan["status"]) == (1, "met")


def test_closed_periods_through_the_api_and_the_cli(client, park, january, runner):
    result = runner.invoke(args=["periods", "close-due", "--now", "2026-11-21T12:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "periods closed: 13" in result.output
    db.session.expire_all()
    r = client.get("/api/v1/reports/periods?year=2026", headers=park.headers.secretary_a)
    assert r.status_code == 200
    assert [(p["kind"], p["start"]) for p in r.json][:2] == [
        ("month", "2026-01-01"),
        ("quarter", "2026-01-01"),
    ]
    assert len(r.json) == 13 and r.json[0]["end"] == "2026-01-31"
    report = client.get("/api/v1/reports/compliance?year=2026", headers=park.headers.committee)
    assert {"kind": "month", "start": "2026-10-01"} in report.json["closed_periods"]
    denied = client.post(
        "/api/v1/reports/periods/reopen",
        json={"kind": "month", "start": "2026-09-01", "reason": "更正"},
        headers=park.headers.secretary_a,
    )
    assert denied.status_code == 403
    bad = client.post(
        "/api/v1/reports/periods/reopen",
        json={"kind": "month", "start": "2026-09-02", "reason": "更正"},
        headers=park.headers.committee,
    )
    assert bad.status_code == 400 and bad.json["error"]["code"] == "period.bad_start"
    not_closed = client.post(
        "/api/v1/reports/periods/reopen",
        json={"kind": "year", "start": "2026-01-01", "reason": "更正"},
        headers=park.headers.committee,
    )
    assert not_closed.status_code == 409
    ok = client.post(
        "/api/v1/reports/periods/reopen",
        json={"kind": "month", "start": "2026-09-01", "reason": "更正转接"},
        headers=park.headers.committee,
    )
    assert ok.status_code == 200 and ok.json["version"] == 2
