"""Dues at the boundary: amounts are integer fen in and out (with a 元 string beside them)."""

from __future__ import annotations

import re
from datetime import date

import marshmallow as ma
from marshmallow import validate

from app.dues.models import CATEGORIES, CATEGORY_LABELS, METHOD_LABELS, METHODS, REDUCTION_KINDS
from app.dues.rules import yuan
from app.schemas import LocalDateTime

MAX_FEN = 10**9  # 一千万元: far above any monthly income, and within a 32-bit column
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")


class Month(ma.fields.String):
    """A month as `YYYY-MM` (a full date is accepted and means its month)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:%Y-%m}"

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        match = _MONTH.match(value)
        if not match:
            raise ma.ValidationError("月份格式应为 YYYY-MM")
        year, month = int(match.group(1)), int(match.group(2))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ma.ValidationError("月份超出范围")
        return date(year, month, 1)


def Fen(**kw):
    """An integer amount in fen (分)."""
    kw.setdefault("validate", validate.Range(min=0, max=MAX_FEN))
    return ma.fields.Integer(strict=True, metadata={"description": "金额，单位：分"}, **kw)


def Yuan(attr: str):
    """The same amount as a 元 string, for display."""
    return ma.fields.Function(
        lambda obj: None if _get(obj, attr) is None else yuan(_get(obj, attr)),
        metadata={"description": "金额（元），仅供显示"},
    )


def _get(obj, attr):
    return obj.get(attr) if isinstance(obj, dict) else getattr(obj, attr, None)


class DuesBaseInSchema(ma.Schema):
    """A member's dues base from a month on."""

    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    base_fen = Fen(required=True)
    effective_from = Month(required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))


class DuesBaseSchema(ma.Schema):
    """A recorded base."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    category = ma.fields.String()
    category_label = ma.fields.Function(lambda o: CATEGORY_LABELS[o.category])
    base_fen = ma.fields.Integer()
    base_yuan = Yuan("base_fen")
    effective_from = Month()
    note = ma.fields.String()
    recorded_by = ma.fields.String()
    created_at = LocalDateTime()


class DuesPaymentInSchema(ma.Schema):
    """One member pays one or several months."""

    member_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    months = ma.fields.List(Month(), required=True, validate=validate.Length(min=1, max=24))
    method = ma.fields.String(load_default="cash", validate=validate.OneOf(METHODS))
    reference = ma.fields.String(load_default="", validate=validate.Length(max=64))
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))
    amount_fen = Fen(load_default=None, allow_none=True)
    idempotency_key = ma.fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9._:-]{8,64}$", error="8–64位字母、数字或 ._:-"),
        metadata={"description": "客户端生成的提交编号；重复提交返回同一结果"},
    )


class DuesBulkPaymentInSchema(ma.Schema):
    """Members of a branch pay one month (the month sheet)."""

    org_id = ma.fields.Integer(required=True)
    month = Month(required=True)
    member_ids = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1)),
        required=True,
        validate=validate.Length(min=1, max=500),
    )
    method = ma.fields.String(load_default="cash", validate=validate.OneOf(METHODS))
    reference = ma.fields.String(load_default="", validate=validate.Length(max=64))
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))
    idempotency_key = DuesPaymentInSchema._declared_fields["idempotency_key"]


class DuesPaymentSchema(ma.Schema):
    """A ledger line (a payment, or a negative reversal)."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    month = Month()
    kind = ma.fields.String()
    amount_fen = ma.fields.Integer()
    amount_yuan = Yuan("amount_fen")
    method = ma.fields.String()
    method_label = ma.fields.Function(lambda o: METHOD_LABELS.get(o.method, o.method))
    reference = ma.fields.String()
    reverses_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    recorded_by = ma.fields.String()
    recorded_at = LocalDateTime()


class DuesPaymentResultSchema(ma.Schema):
    """The payments a request recorded (or, replayed, had recorded)."""

    payments = ma.fields.List(ma.fields.Nested(DuesPaymentSchema))
    created = ma.fields.Boolean()


class DuesReversalInSchema(ma.Schema):
    """Why a payment is reversed."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class DuesReductionInSchema(ma.Schema):
    """A request to reduce or waive a member's dues for months."""

    member_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    kind = ma.fields.String(required=True, validate=validate.OneOf(REDUCTION_KINDS))
    amount_fen = Fen(load_default=0)
    from_month = Month(required=True)
    to_month = Month(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class DuesDecisionInSchema(ma.Schema):
    """The level above's decision."""

    approve = ma.fields.Boolean(required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class DuesReductionSchema(ma.Schema):
    """A reduction request and its decision."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    kind = ma.fields.String()
    amount_fen = ma.fields.Integer()
    from_month = Month()
    to_month = Month()
    reason = ma.fields.String()
    status = ma.fields.String()
    requested_by = ma.fields.String()
    requested_at = LocalDateTime()
    decided_by = ma.fields.String(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    decision_note = ma.fields.String()


class DuesReductionArgsSchema(ma.Schema):
    """Filters for reduction requests."""

    org_id = ma.fields.Integer()
    status = ma.fields.String(validate=validate.OneOf(("pending", "approved", "rejected")))


class DuesHandoverInSchema(ma.Schema):
    """What a branch handed to the level above for a month."""

    org_id = ma.fields.Integer(required=True)
    month = Month(required=True)
    amount_fen = Fen(required=True)
    handed_on = ma.fields.Date(required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))


class DuesHandoverSchema(DuesHandoverInSchema):
    """A recorded hand-over."""

    id = ma.fields.Integer()
    recorded_by = ma.fields.String()


class DuesMonthDueSchema(ma.Schema):
    """One month of a member: due, paid, status."""

    month = Month()
    due_fen = ma.fields.Integer()
    due_yuan = Yuan("due_fen")
    paid_fen = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "paid / unpaid / waived / no_base"})
    reduced = ma.fields.Boolean()


class DuesMyDuesSchema(ma.Schema):
    """What the member owes and their history."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    category = ma.fields.String(allow_none=True)
    category_label = ma.fields.String()
    base_fen = ma.fields.Integer(allow_none=True)
    this_month = ma.fields.Nested(DuesMonthDueSchema)
    owed_fen = ma.fields.Integer()
    owed_yuan = Yuan("owed_fen")
    owed_months = ma.fields.List(Month())
    months = ma.fields.List(ma.fields.Nested(DuesMonthDueSchema))
    ledger = ma.fields.List(ma.fields.Nested(DuesPaymentSchema))


FORMATS = ("json", "csv", "xlsx")


class DuesSheetArgsSchema(ma.Schema):
    """Which org and month."""

    org_id = ma.fields.Integer()
    month = Month(required=True)
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class DuesSheetRowSchema(ma.Schema):
    """One member on the month sheet."""

    member_id = ma.fields.Integer()
    name = ma.fields.String()
    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    category = ma.fields.String(allow_none=True)
    category_label = ma.fields.String()
    base_fen = ma.fields.Integer(allow_none=True)
    due_fen = ma.fields.Integer()
    due_yuan = Yuan("due_fen")
    paid_fen = ma.fields.Integer()
    status = ma.fields.String()
    status_label = ma.fields.String()
    reduced = ma.fields.Boolean()
    unpaid_streak = ma.fields.Integer(metadata={"description": "连续未交月数（含本月）"})


class DuesSheetSchema(ma.Schema):
    """A month sheet (or 未交名单) of an org's subtree."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    month = ma.fields.String()
    members = ma.fields.Integer()
    paid = ma.fields.Integer()
    unpaid = ma.fields.Integer()
    due_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    unpaid_fen = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(DuesSheetRowSchema))


class DuesCollectionArgsSchema(ma.Schema):
    """Which org and year."""

    org_id = ma.fields.Integer()
    year = ma.fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class DuesCollectionMonthSchema(ma.Schema):
    """One branch-month."""

    month = ma.fields.String()
    due_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    unpaid = ma.fields.Integer()


class DuesCollectionRowSchema(ma.Schema):
    """One branch's year."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    members = ma.fields.Integer()
    due_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    collected_fen = ma.fields.Integer()
    arrears_fen = ma.fields.Integer()
    handed_over_fen = ma.fields.Integer()
    by_month = ma.fields.List(ma.fields.Nested(DuesCollectionMonthSchema))


class DuesCollectionTotalsSchema(ma.Schema):
    """The year's totals."""

    members = ma.fields.Integer()
    due_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    collected_fen = ma.fields.Integer()
    arrears_fen = ma.fields.Integer()
    handed_over_fen = ma.fields.Integer()


class DuesCollectionSchema(ma.Schema):
    """Collection per branch and month of a year."""

    org_id = ma.fields.Integer()
    org_name = ma.fields.String()
    year = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(DuesCollectionRowSchema))
    totals = ma.fields.Nested(DuesCollectionTotalsSchema)


class DuesRateInSchema(ma.Schema):
    """One bracket of a new effective-dated rate set."""

    upper_fen = Fen(load_default=None, allow_none=True)
    rate_bp = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=10_000)
    )
    fixed_fen = Fen(load_default=None, allow_none=True)


class DuesRateSetInSchema(ma.Schema):
    """A category's brackets from a month on."""

    category = ma.fields.String(
        required=True, validate=validate.OneOf(("on_job", "retired", "low_income"))
    )
    effective_from = Month(required=True)
    brackets = ma.fields.List(
        ma.fields.Nested(DuesRateInSchema), required=True, validate=validate.Length(min=1, max=10)
    )


class DuesRateSchema(ma.Schema):
    """A bracket in force (or defaults when none were recorded)."""

    category = ma.fields.String()
    effective_from = Month()
    upper_fen = ma.fields.Integer(allow_none=True)
    rate_bp = ma.fields.Integer(allow_none=True)
    fixed_fen = ma.fields.Integer(allow_none=True)
