"""Star ratings (星级评定, seed 002: 6 stars the floor, 8 good, 10 best).

score = 10 × (w_compliance × compliance + w_attendance × attendance + w_study × study), where
compliance is the share of requirements met among those whose period has closed this year
(1.0 when none has closed yet), attendance the year's attendance rate, and study the share of
members who studied at least once this year. Weights come from STAR_WEIGHTS and are
normalised. The yearly 民主评议党员 item counts as met only when the meeting was held *and*
the year's review round is completed (closed, every member reviewed graded): a branch that
has not completed its review cannot reach full marks; the board shows the shares of the
best (优秀) and the failing (不合格) grades. The committee (a managing role above the
branch, or an admin) may set the final stars with a reason; every change is audited.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden
from app.extensions import db
from app.org.models import Organization
from app.org.services import get_org
from app.reports.models import StarRating
from app.reports.services import Scope, attendance_report, compliance_report
from app.reports.study import study_report
from app.reviews.summary import NO_REVIEW, branch_summaries

BANDS = ((10, "优秀"), (8, "良好"), (6, "合格"), (0, "待提升"))


def band(stars: int) -> str:
    """The Chinese band of a star count."""
    return next(label for floor, label in BANDS if stars >= floor)


def star_count(score: float) -> int:
    """Stars for a score: rounded half up (6.5 → 7, not Python's half-to-even 6), 0–10."""
    return max(0, min(10, math.floor(score + 0.5)))


def _weights() -> dict[str, float]:
    raw = current_app.config["STAR_WEIGHTS"]
    total = sum(raw.get(k, 0) for k in ("compliance", "attendance", "study")) or 1.0
    return {k: raw.get(k, 0) / total for k in ("compliance", "attendance", "study")}


def star_board(scope_org: Organization, year: int, now: datetime) -> dict[str, Any]:
    """Every branch of the subtree with its components, score, computed and final stars."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    compliance = compliance_report(scope_org, year, now)
    attendance = {
        r["org_id"]: r for r in attendance_report(Scope(scope_org, start, end), now)["rows"]
    }
    study = {
        r["org_id"]: r
        for r in study_report(scope_org, start, min(end, _today(now)), "week")["rows"]
    }
    finals = {
        r.org_id: r
        for r in db.session.scalars(
            select(StarRating).where(
                StarRating.year == year,
                StarRating.org_id.in_([b["org_id"] for b in compliance["branches"]]),
            )
        )
    }
    reviews = branch_summaries([b["org_id"] for b in compliance["branches"]], year)
    w = _weights()
    rows = []
    for branch in compliance["branches"]:
        review = reviews.get(branch["org_id"], NO_REVIEW)
        items = [i for m in branch["months"] for i in m["items"]]
        statuses = [_item_status(i, review) for i in items]
        met = statuses.count("met")
        closed = met + statuses.count("missed")
        parts = {
            "compliance": met / closed if closed else 1.0,
            "attendance": attendance.get(branch["org_id"], {}).get("rate") or 0.0,
            "study": study.get(branch["org_id"], {}).get("participation_rate") or 0.0,
        }
        score = round(10 * sum(w[k] * parts[k] for k in w), 2)
        computed = star_count(score)
        final = finals.get(branch["org_id"])
        stars = final.stars if final else computed
        rows.append(
            {
                "org_id": branch["org_id"],
                "org_name": branch["org_name"],
                **{k: round(v, 4) for k, v in parts.items()},
                "score": score,
                "computed_stars": computed,
                "stars": stars,
                "band": band(stars),
                "final": final is not None,
                "reason": final.reason if final else None,
                "set_at": final.set_at if final else None,
                "review_status": review["status"],
                "review_completed": review["completed"],
                "review_excellent_share": review["excellent_share"],
                "review_failing_share": review["failing_share"],
            }
        )
    return {
        "org_id": scope_org.id,
        "org_name": scope_org.name,
        "year": year,
        "weights": w,
        "rows": rows,
    }


def _item_status(item: dict[str, Any], review: dict[str, Any]) -> str:
    """A compliance item's status for the stars: a held 民主评议 meeting without a completed
    review round is not met."""
    if item["type"] == "democratic_review" and item["status"] == "met" and not review["completed"]:
        return "missed"
    return item["status"]


def _today(now: datetime) -> date:
    from app.timeutil import local_day

    return date.fromordinal(local_day(now).toordinal() + 1)


def set_stars(
    principal: Principal, org_id: int, year: int, stars: int, reason: str, now: datetime
) -> dict[str, Any]:
    """The committee fixes a branch's stars for a year, with a reason (audited)."""
    branch = get_org(org_id)
    if branch.type != "branch":
        raise APIError(400, "stars.not_a_branch", "只能为党支部评定星级", {"org_id": [branch.type]})
    parent = branch.parent
    # the branch's own secretary may not rate it: a managing role above it is needed
    if parent is None or not principal.can_manage_org(parent):
        raise forbidden("只有上级党组织可以评定星级")
    board = star_board(branch, year, now)
    computed = next(r for r in board["rows"] if r["org_id"] == branch.id)
    row = db.session.scalar(
        select(StarRating).where(StarRating.org_id == branch.id, StarRating.year == year)
    )
    old = row.stars if row else None
    if row is None:
        row = StarRating(org_id=branch.id, year=year)
        db.session.add(row)
    row.stars, row.reason, row.computed_score, row.set_at = stars, reason, computed["score"], now
    row.set_by_user_id = principal.user.id if principal.user else None
    row.set_by_member_id = principal.member_id
    audit.record(
        principal,
        action="stars.set",
        entity_type="star_rating",
        entity_id=None,
        org_id=branch.id,
        now=now,
        field=f"stars:{year}",
        old=old if old is not None else computed["computed_stars"],
        new=stars,
        reason=reason,
    )
    db.session.flush()
    return next(r for r in star_board(branch, year, now)["rows"] if r["org_id"] == branch.id)


def board_for(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The star board for the query's org (in scope) and year."""
    from app.reports.services import local_year, report_org

    org = report_org(principal, args.get("org_id"))
    return star_board(org, args.get("year") or local_year(now), now)
