"""Points at the boundary: my points, leaderboards, rules, adjustments, ledgers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.fastdump import FastDumpSchema
from app.schemas import LocalDateTime, PageArgsSchema, id_field, page_of

SCOPES = ("branch", "park")
PERIODS = ("week", "month", "year", "all")


class LedgerEntrySchema(FastDumpSchema):
    """One ledger entry (append-only)."""

    id = ma.fields.Integer()
    action = ma.fields.String()
    label = ma.fields.String()
    delta = ma.fields.Integer()
    reason = ma.fields.String()
    source_type = ma.fields.String()
    source_id = ma.fields.Integer(allow_none=True)
    day = ma.fields.Date(metadata={"description": "Asia/Shanghai day the entry counts on"})
    created_at = LocalDateTime()


class StaffLedgerEntrySchema(LedgerEntrySchema):
    """A ledger entry as the committee sees it: whether it was revoked."""

    member_id = ma.fields.Integer()
    revoked = ma.fields.Boolean()


class RuleProgressSchema(FastDumpSchema):
    """Today's points of one rule as current / daily maximum (null: no daily cap)."""

    action = ma.fields.String()
    label = ma.fields.String()
    points = ma.fields.Integer(metadata={"description": "points per unit"})
    current = ma.fields.Integer()
    max = ma.fields.Integer(allow_none=True)


class TodaySchema(FastDumpSchema):
    """Today (Asia/Shanghai) in points."""

    day = ma.fields.Date()
    points = ma.fields.Integer()
    rules = ma.fields.List(ma.fields.Nested(RuleProgressSchema))


class PeriodsSchema(FastDumpSchema):
    """Points this week, month, year and in all."""

    week = ma.fields.Integer()
    month = ma.fields.Integer()
    year = ma.fields.Integer()
    all = ma.fields.Integer()


class StreakSchema(FastDumpSchema):
    """Consecutive days with study."""

    days = ma.fields.Integer()
    studied_today = ma.fields.Boolean()


class PointsMeSchema(FastDumpSchema):
    """Balance, today's progress per rule, period totals, streak and one page of history."""

    balance = ma.fields.Integer()
    today = ma.fields.Nested(TodaySchema)
    periods = ma.fields.Nested(PeriodsSchema)
    streak = ma.fields.Nested(StreakSchema)
    history = ma.fields.Nested(page_of(LedgerEntrySchema))
    now = LocalDateTime()


class LeaderboardArgsSchema(FastDumpSchema):
    """Which board: branch or park, which period; staff may name the org (`org_id`)."""

    scope = ma.fields.String(load_default="branch", validate=validate.OneOf(SCOPES))
    period = ma.fields.String(load_default="week", validate=validate.OneOf(PERIODS))
    org_id = id_field(metadata={"description": "a branch or park org (default: the caller's)"})
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=100))


class LeaderEntrySchema(FastDumpSchema):
    """One place on the board."""

    rank = ma.fields.Integer()
    member_id = ma.fields.Integer()
    name = ma.fields.String()
    org_name = ma.fields.String()
    points = ma.fields.Integer()


class MyRankSchema(FastDumpSchema):
    """The caller's own place."""

    member_id = ma.fields.Integer()
    points = ma.fields.Integer()
    rank = ma.fields.Integer()


class LeaderboardSchema(FastDumpSchema):
    """Top N (empty when the park keeps ranking private) and the caller's rank."""

    scope = ma.fields.String()
    period = ma.fields.String()
    period_key = ma.fields.String(metadata={"example": "2030-W20"})
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    public = ma.fields.Boolean()
    participants = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(LeaderEntrySchema))
    me = ma.fields.Nested(MyRankSchema, allow_none=True)
    now = LocalDateTime()


class RuleSchema(FastDumpSchema):
    """A point rule."""

    id = ma.fields.Integer()
    action = ma.fields.String()
    label = ma.fields.String()
    points = ma.fields.Integer()
    daily_count_cap = ma.fields.Integer(allow_none=True)
    daily_minute_cap = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    updated_at = LocalDateTime()


CAP = validate.Range(min=1, max=1000)


class RuleUpdateSchema(FastDumpSchema):
    """What the admin may change on a rule (null cap: no cap)."""

    label = ma.fields.String(validate=validate.Length(min=1, max=64))
    points = ma.fields.Integer(validate=validate.Range(min=0, max=100))
    daily_count_cap = ma.fields.Integer(allow_none=True, validate=CAP)
    daily_minute_cap = ma.fields.Integer(allow_none=True, validate=CAP)
    active = ma.fields.Boolean()


class AdjustmentSchema(FastDumpSchema):
    """`member_id` + `delta` (a correction), or `entry_id` (revoke that entry); a reason always."""

    member_id = id_field()
    delta = ma.fields.Integer(validate=validate.Range(min=-1000, max=1000))
    entry_id = id_field()
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    request_id = ma.fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "optional: a retried request with the same id appends once"},
    )

    @ma.validates_schema
    def _one_kind(self, data, **kwargs):
        if "reason" in data and not data["reason"].strip():
            raise ma.ValidationError("不能为空", "reason")
        if data.get("entry_id") is not None:
            if "member_id" in data or "delta" in data:
                raise ma.ValidationError("撤销时只需 entry_id 与 reason", "entry_id")
            return
        errors = {}
        if data.get("member_id") is None:
            errors["member_id"] = ["必填项"]
        if not data.get("delta"):
            errors["delta"] = ["须为非零整数"]
        if errors:
            raise ma.ValidationError(errors)


class LedgerArgsSchema(PageArgsSchema):
    """Whose ledger."""

    member_id = id_field(required=True)
