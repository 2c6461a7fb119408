"""Report query arguments and the JSON shapes of the reports."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import LocalDateTime
from app.timeutil import to_local, utcnow

FORMAT = ma.fields.String(
    load_default="json",
    validate=validate.OneOf(["json", "csv", "xlsx"]),
    metadata={"description": "json (default), csv (UTF-8 with BOM) or xlsx"},
)


def _not_after_next_year(year: int) -> None:
    """A report year after next year is a typo or a probe: nothing can be reported for it."""
    limit = to_local(utcnow()).year + 1
    if year > limit:
        raise ma.ValidationError(f"年份不能晚于{limit}年")


YEAR = [validate.Range(min=2000, max=2100), _not_after_next_year]


class AttendanceArgsSchema(ma.Schema):
    """Which subtree and period; per branch (default) or per activity."""

    org_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    by = ma.fields.String(load_default="branch", validate=validate.OneOf(["branch", "activity"]))
    format = FORMAT


class ComplianceArgsSchema(ma.Schema):
    """Which subtree and year (or one quarter of it)."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer(validate=YEAR)
    quarter = ma.fields.Integer(validate=validate.Range(min=1, max=4))
    format = FORMAT


class MembersArgsSchema(ma.Schema):
    """Which subtree and year."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer(validate=YEAR)
    format = FORMAT


class MemberReportArgsSchema(ma.Schema):
    """Which year."""

    year = ma.fields.Integer(validate=YEAR)


class CountsMixin(ma.Schema):
    """Counts by status and the rate (leave excluded from the base)."""

    expected = ma.fields.Integer()
    present = ma.fields.Integer()
    late = ma.fields.Integer()
    makeup = ma.fields.Integer()
    leave = ma.fields.Integer()
    absent = ma.fields.Integer()
    pending = ma.fields.Integer(metadata={"description": "window not closed yet"})
    rate = ma.fields.Float(allow_none=True)


class AttendanceRowSchema(CountsMixin):
    """One branch (or one activity) of the attendance report."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    activities = ma.fields.Integer()
    general_meetings = ma.fields.Integer()
    quorate_meetings = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    title = ma.fields.String()
    type = ma.fields.String()
    type_label = ma.fields.String()
    starts_at = LocalDateTime()
    quorate = ma.fields.Boolean(allow_none=True)


class AttendanceReportSchema(ma.Schema):
    """The attendance report."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    from_ = ma.fields.Date(data_key="from", attribute="from")
    to = ma.fields.Date()
    rows = ma.fields.List(ma.fields.Nested(AttendanceRowSchema))
    totals = ma.fields.Nested(CountsMixin)
    frozen = ma.fields.Boolean(
        metadata={"description": "true: a closed month/quarter/year read from its frozen figures"}
    )


class ComplianceItemSchema(ma.Schema):
    """Held vs required for one meeting kind in the period closing this month."""

    type = ma.fields.String()
    type_label = ma.fields.String()
    period = ma.fields.String(metadata={"description": "month | quarter | year"})
    held = ma.fields.Integer(
        metadata={
            "description": "meetings held; 党小组会: groups that met; 谈心谈话: members talked to"
        }
    )
    required = ma.fields.Integer(
        metadata={"description": "党小组会: groups existing on the 1st; 谈心谈话: Party members"}
    )
    status = ma.fields.String(metadata={"description": "met | missed | open | future"})
    flags = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "not_in_q4 (组织生活会), other_day (主题党日 not on the fixed day)"
        },
    )
    fixed_day = ma.fields.Integer(allow_none=True, metadata={"description": "主题党日 fixed day"})
    missing_groups = ma.fields.List(ma.fields.String())
    frozen = ma.fields.Boolean(metadata={"description": "read from the closed period's figures"})


class ComplianceMonthSchema(ma.Schema):
    """One month column of a branch."""

    month = ma.fields.Integer()
    closed = ma.fields.Boolean(metadata={"description": "the month is closed (frozen)"})
    items = ma.fields.List(ma.fields.Nested(ComplianceItemSchema))


class ComplianceBranchSchema(ma.Schema):
    """One branch row of the matrix."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    founded_on = ma.fields.Date(allow_none=True)
    theme_day = ma.fields.Integer(allow_none=True)
    has_committee = ma.fields.Boolean()
    has_groups = ma.fields.Boolean()
    months = ma.fields.List(ma.fields.Nested(ComplianceMonthSchema))
    gaps = ma.fields.List(ma.fields.String())
    study_hours = ma.fields.Nested(lambda: BranchHoursSchema())


class ComplianceReportSchema(ma.Schema):
    """The 三会一课 matrix."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    year = ma.fields.Integer()
    quarter = ma.fields.Integer(allow_none=True)
    closed_periods = ma.fields.List(ma.fields.Nested(lambda: PeriodKeySchema()))
    branches = ma.fields.List(ma.fields.Nested(ComplianceBranchSchema))


class MemberRowSchema(ma.Schema):
    """A member's attendance figures (no phone: reports are shared)."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    attended = ma.fields.Integer()
    last_attended_at = LocalDateTime(allow_none=True)
    months_without_attendance = ma.fields.Integer()
    absence_flag = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "3 or 5 (warnings), 6 (treated as having left) — rule 4; Party "
            "members only, excused days skipped, none while excused"
        },
    )
    excused = ma.fields.Boolean(metadata={"description": "excused by the level above today"})
    points = ma.fields.Integer()
    review_grade = ma.fields.String(
        allow_none=True, metadata={"description": "the year's 民主评议 grade (none yet: null)"}
    )
    review_correction_deadline = ma.fields.Date(
        allow_none=True, metadata={"description": "限期改正 deadline of a failing grade"}
    )
    study_hours = ma.fields.Float(metadata={"description": "this year; the target is 32"})
    dues_unpaid_months = ma.fields.Integer(metadata={"description": "closed months unpaid"})
    dues_flag = ma.fields.Integer(allow_none=True, metadata={"description": "3, 5 or 6 (dues)"})
    away_at = ma.fields.String(allow_none=True, metadata={"description": "流动党员: where today"})
    away_place = ma.fields.String(allow_none=True)
    away_since = ma.fields.Date(allow_none=True)
    transfer_due = ma.fields.Boolean(
        metadata={"description": "应转接组织关系: away at one fixed place for 6 months or more"}
    )
    last_contact = ma.fields.Date(
        allow_none=True, metadata={"description": "last recorded contact"}
    )
    lost_contact = ma.fields.Boolean(
        metadata={"description": "失联: no contact, attendance or host entry for 6 months"}
    )


class MembersReportSchema(ma.Schema):
    """Members of a subtree."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    year = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(MemberRowSchema))


class MonthCountSchema(ma.Schema):
    """Attended activities in one month."""

    month = ma.fields.Integer()
    attended = ma.fields.Integer()


class MemberReportSchema(MemberRowSchema):
    """One member's report."""

    year = ma.fields.Integer()
    months = ma.fields.List(ma.fields.Nested(MonthCountSchema))


class StudyArgsSchema(ma.Schema):
    """Which subtree and period (at most a year), by day or by week."""

    org_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    by = ma.fields.String(load_default="week", validate=validate.OneOf(["day", "week"]))
    format = FORMAT


class StudyPointSchema(ma.Schema):
    """Participants on one day or in one week (starting `start`)."""

    start = ma.fields.Date()
    members = ma.fields.Integer()
    rate = ma.fields.Float()


class StudyRowSchema(ma.Schema):
    """One branch of the study report."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    members = ma.fields.Integer()
    participants = ma.fields.Integer(metadata={"description": "studied at least once"})
    participation_rate = ma.fields.Float(allow_none=True)
    average_points = ma.fields.Float(allow_none=True)
    quiz_accuracy = ma.fields.Float(allow_none=True)
    series = ma.fields.List(ma.fields.Nested(StudyPointSchema))


class TopLessonSchema(ma.Schema):
    """A lesson or article and how often it was completed with an effective dwell."""

    item_id = ma.fields.Integer()
    title = ma.fields.String()
    kind = ma.fields.String()
    completions = ma.fields.Integer()


class StudyReportSchema(ma.Schema):
    """Study participation per branch."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    from_ = ma.fields.Date(data_key="from", attribute="from")
    to = ma.fields.Date()
    by = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(StudyRowSchema))
    top_lessons = ma.fields.List(ma.fields.Nested(TopLessonSchema))


class StarsArgsSchema(ma.Schema):
    """Which subtree and year."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer(validate=YEAR)
    format = FORMAT


class StarRowSchema(ma.Schema):
    """A branch's components, score and stars."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    compliance = ma.fields.Float()
    attendance = ma.fields.Float()
    study = ma.fields.Float()
    score = ma.fields.Float(metadata={"description": "0–10 from the weighted components"})
    computed_stars = ma.fields.Integer()
    stars = ma.fields.Integer(metadata={"description": "final stars if set, else computed"})
    band = ma.fields.String()
    final = ma.fields.Boolean()
    reason = ma.fields.String(allow_none=True)
    set_at = LocalDateTime(allow_none=True)
    review_status = ma.fields.String(
        metadata={"description": "the year's 民主评议: none, open or closed"}
    )
    review_completed = ma.fields.Boolean(
        metadata={"description": "closed with every member graded; else its item is not met"}
    )
    review_excellent_share = ma.fields.Float(
        allow_none=True, metadata={"description": "share of the best grade (优秀) among graded"}
    )
    review_failing_share = ma.fields.Float(
        allow_none=True, metadata={"description": "share of the failing grade (不合格)"}
    )


class StarBoardSchema(ma.Schema):
    """Every branch's stars for a year."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    year = ma.fields.Integer()
    weights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    rows = ma.fields.List(ma.fields.Nested(StarRowSchema))


class StarSetSchema(ma.Schema):
    """The committee's final stars for a branch and year."""

    year = ma.fields.Integer(required=True, validate=YEAR)
    stars = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=10))
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class BranchHoursSchema(ma.Schema):
    """Study hours of a branch's members against 32 a year."""

    members = ma.fields.Integer()
    average_hours = ma.fields.Float()
    members_meeting_target = ma.fields.Integer()
    target_hours = ma.fields.Integer()


class PeriodKeySchema(ma.Schema):
    """A closed period: its kind and first day."""

    kind = ma.fields.String(metadata={"description": "month | quarter | year"})
    start = ma.fields.Date()


class ClosedPeriodsArgsSchema(ma.Schema):
    """Which year."""

    year = ma.fields.Integer(validate=YEAR)


class ClosedPeriodSchema(ma.Schema):
    """A closed (frozen) period."""

    kind = ma.fields.String()
    kind_label = ma.fields.String()
    start = ma.fields.Date()
    end = ma.fields.Date(metadata={"description": "last day (inclusive)"})
    closed_at = LocalDateTime()
    version = ma.fields.Integer(metadata={"description": "times frozen (reopening bumps it)"})


class ReopenSchema(ma.Schema):
    """Reopen a closed period (a committee decision): it is frozen again from today's data."""

    kind = ma.fields.String(required=True, validate=validate.OneOf(("month", "quarter", "year")))
    start = ma.fields.Date(required=True, metadata={"description": "the period's first day"})
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class FreshnessSchema(ma.Schema):
    """Where reports read from (DATABASE_REPLICA_URL) and how far behind the replica is."""

    source = ma.fields.String(metadata={"description": "replica | primary"})
    replica = ma.fields.String(metadata={"description": "ok | down | not_standby | absent"})
    replay_at = LocalDateTime(
        allow_none=True, metadata={"description": "the last primary commit the replica replayed"}
    )
    lag_bytes = ma.fields.Integer(
        allow_none=True, metadata={"description": "WAL the replica has still to replay"}
    )
    lag_seconds = ma.fields.Float(
        allow_none=True,
        metadata={"description": "0 when caught up, else now − replay_at: how old the data is"},
    )


def _date(value):
    return None if value is None else value.isoformat()


def dump_compliance(report: dict) -> dict:
    """ComplianceReportSchema().dump(report), by hand: a city's matrix is 150,000 items."""
    # the items and month rows are already in the schema's shape (compliance.shown_item),
    # so only the branch rows and dates are rebuilt; tests pin this equal to the schema dump
    branches = []
    for b in report["branches"]:
        row = {
            "org_id": b["org_id"],
            "org_name": b["org_name"],
            "founded_on": _date(b["founded_on"]),
            "theme_day": b["theme_day"],
            "has_committee": b["has_committee"],
            "has_groups": b["has_groups"],
            "months": b["months"],
            "gaps": b["gaps"],
        }
        if "study_hours" in b:
            h = b["study_hours"]
            row["study_hours"] = {
                "members": int(h["members"]),
                "average_hours": float(h["average_hours"]),
                "members_meeting_target": int(h["members_meeting_target"]),
                "target_hours": int(h["target_hours"]),
            }
        branches.append(row)
    return {
        "org_id": report["org_id"],
        "org_name": report["org_name"],
        "year": report["year"],
        "quarter": report["quarter"],
        "closed_periods": [
            {"kind": p["kind"], "start": _date(p["start"])} for p in report["closed_periods"]
        ],
        "branches": branches,
    }
