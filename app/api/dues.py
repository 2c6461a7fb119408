"""党费: bases, payments (single, several months, a branch's month), reversals, reductions,
hand-overs, my dues, the month sheet and 未交名单, the collection report (JSON/CSV/XLSX)."""

from __future__ import annotations

from app.api.reports import downloads
from app.auth import Access, access, current_principal
from app.dues import reports, services
from app.dues.schemas import (
    DuesBaseInSchema,
    DuesBaseSchema,
    DuesBulkPaymentInSchema,
    DuesCollectionArgsSchema,
    DuesCollectionSchema,
    DuesDecisionInSchema,
    DuesHandoverInSchema,
    DuesHandoverSchema,
    DuesMyDuesSchema,
    DuesPaymentInSchema,
    DuesPaymentResultSchema,
    DuesPaymentSchema,
    DuesRateSchema,
    DuesRateSetInSchema,
    DuesReductionArgsSchema,
    DuesReductionInSchema,
    DuesReductionSchema,
    DuesReversalInSchema,
    DuesSheetArgsSchema,
    DuesSheetSchema,
)
from app.extensions import db
from app.openapi import Blueprint
from app.reports.exports import export
from app.timeutil import local_day, utcnow

blp = Blueprint("dues", __name__, url_prefix="/api/v1/dues", description="Party dues 党费")


@blp.route("/me", methods=["GET"])
@blp.response(200, DuesMyDuesSchema)
@access(Access.MEMBER)
def me():
    """What I owe (months unpaid, this month's amount) and my ledger."""
    return reports.my_dues(current_principal(), utcnow())


@blp.route("/members/<int:member_id>/bases", methods=["GET"])
@blp.response(200, DuesBaseSchema(many=True))
@access(Access.AUTHENTICATED)
def bases(member_id):
    """A member's recorded bases, newest first (the member, or staff over them)."""
    return services.list_bases(current_principal(), member_id)


@blp.route("/members/<int:member_id>/bases", methods=["POST"])
@blp.arguments(DuesBaseInSchema)
@blp.response(201, DuesBaseSchema)
@access(Access.STAFF)
def set_base(data, member_id):
    """Record a member's base (income or fixed amount) from a month on (audited)."""
    row = services.set_base(current_principal(), member_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/members/<int:member_id>/ledger", methods=["GET"])
@blp.response(200, DuesPaymentSchema(many=True))
@access(Access.AUTHENTICATED)
def member_ledger(member_id):
    """A member's payments and reversals, newest first."""
    return services.ledger(current_principal(), member_id)


@blp.route("/payments", methods=["POST"])
@blp.arguments(DuesPaymentInSchema)
@blp.response(201, DuesPaymentResultSchema)
@blp.alt_response(200, schema=DuesPaymentResultSchema, description="A replayed idempotency key")
@access(Access.STAFF)
def pay(data):
    """Record one member's dues for one or several months (exactly once per key and month)."""
    payments, created = services.record_payments(current_principal(), data, utcnow())
    db.session.commit()
    return {"payments": payments, "created": created}, 201 if created else 200


@blp.route("/payments/bulk", methods=["POST"])
@blp.arguments(DuesBulkPaymentInSchema)
@blp.response(201, DuesPaymentResultSchema)
@blp.alt_response(200, schema=DuesPaymentResultSchema, description="A replayed idempotency key")
@access(Access.STAFF)
def pay_month(data):
    """Record a month's dues for the listed members of a branch (all or nothing)."""
    payments, created = services.record_month(current_principal(), data, utcnow())
    db.session.commit()
    return {"payments": payments, "created": created}, 201 if created else 200


@blp.route("/payments/<int:payment_id>/reversal", methods=["POST"])
@blp.arguments(DuesReversalInSchema)
@blp.response(201, DuesPaymentSchema)
@access(Access.STAFF)
def reverse(data, payment_id):
    """Correct a payment by an audited negative line (once per payment)."""
    row = services.reverse_payment(current_principal(), payment_id, data["reason"], utcnow())
    db.session.commit()
    return row


@blp.route("/reductions", methods=["GET"])
@blp.arguments(DuesReductionArgsSchema, location="query")
@blp.response(200, DuesReductionSchema(many=True))
@access(Access.STAFF)
def reductions(args):
    """Reduction and waiver requests in the caller's scope."""
    return services.list_reductions(current_principal(), args.get("org_id"), args.get("status"))


@blp.route("/reductions", methods=["POST"])
@blp.arguments(DuesReductionInSchema)
@blp.response(201, DuesReductionSchema)
@access(Access.STAFF)
def request_reduction(data):
    """The branch asks the level above to reduce or waive a member's dues (audited)."""
    row = services.request_reduction(current_principal(), data, utcnow())
    db.session.commit()
    return row


@blp.route("/reductions/<int:reduction_id>/decision", methods=["POST"])
@blp.arguments(DuesDecisionInSchema)
@blp.response(200, DuesReductionSchema)
@access(Access.STAFF)
def decide(data, reduction_id):
    """The level above approves or rejects a reduction (dated, audited)."""
    row = services.decide_reduction(current_principal(), reduction_id, data, utcnow())
    db.session.commit()
    return row


@blp.route("/handovers", methods=["POST"])
@blp.arguments(DuesHandoverInSchema)
@blp.response(201, DuesHandoverSchema)
@access(Access.STAFF)
def handover(data):
    """Record the dues a branch handed to the level above for a month."""
    row = services.record_handover(current_principal(), data, utcnow())
    db.session.commit()
    return row


@blp.route("/rates", methods=["GET"])
@blp.response(200, DuesRateSchema(many=True))
@access(Access.AUTHENTICATED)
def rates():
    """The brackets in force this month for every category."""
    return services.rates_in_force(local_day(utcnow()).replace(day=1))


@blp.route("/rates", methods=["POST"])
@blp.arguments(DuesRateSetInSchema)
@blp.response(201, DuesRateSchema(many=True))
@access(Access.ADMIN)
def set_rates(data):
    """Admin: a category's brackets from a month on (effective-dated data)."""
    rows = services.set_rates(current_principal(), data, utcnow())
    db.session.commit()
    return rows


@blp.route("/sheet", methods=["GET"])
@blp.arguments(DuesSheetArgsSchema, location="query")
@blp.response(200, DuesSheetSchema)
@blp.doc(responses=downloads(DuesSheetSchema))
@access(Access.STAFF)
def sheet(args):
    """A month's sheet of an org's paying members: base, due, paid, status, unpaid streak."""
    report = reports.month_sheet(current_principal(), args.get("org_id"), args["month"], utcnow())
    if args["format"] == "json":
        return report
    return export(args["format"], *reports.sheet_table(report, False))


@blp.route("/unpaid", methods=["GET"])
@blp.arguments(DuesSheetArgsSchema, location="query")
@blp.response(200, DuesSheetSchema)
@blp.doc(responses=downloads(DuesSheetSchema))
@access(Access.STAFF)
def unpaid(args):
    """未交名单: members of the org's subtree who have not paid the month."""
    report = reports.unpaid_list(current_principal(), args.get("org_id"), args["month"], utcnow())
    if args["format"] == "json":
        return report
    return export(args["format"], *reports.sheet_table(report, True))


@blp.route("/report", methods=["GET"])
@blp.arguments(DuesCollectionArgsSchema, location="query")
@blp.response(200, DuesCollectionSchema)
@blp.doc(responses=downloads(DuesCollectionSchema))
@access(Access.STAFF)
def collection(args):
    """Collection per branch and month of a year: due, paid, arrears, handed over."""
    now = utcnow()
    year = args.get("year") or local_day(now).year
    report = reports.collection(current_principal(), args.get("org_id"), year, now)
    if args["format"] == "json":
        return report
    return export(args["format"], *reports.collection_table(report))
