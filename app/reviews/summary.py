"""What a year's 民主评议 says to the reports: per branch whether the review was completed
and the share of its best and failing grades (the star rating), and each member's grade of
the year (their yearly record)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.reviews.models import ReviewDecision, ReviewRound
from app.reviews.services import reviewees

NO_REVIEW = {
    "status": "none",
    "completed": False,
    "reviewed": 0,
    "graded": 0,
    "excellent_share": None,
    "failing_share": None,
}


def completed(row: ReviewRound, graded: set[int], reviewed: set[int]) -> bool:
    """Completed: the round is closed and every member reviewed has the branch's grade."""
    return row.status == "closed" and bool(reviewed) and reviewed <= graded


def branch_summaries(org_ids: list[int], year: int) -> dict[int, dict[str, Any]]:
    """Per branch with a round of `year`: status, completed, members reviewed and graded, and
    the shares of the best grade (优秀) and of the failing one (不合格) among those graded."""
    if not org_ids:
        return {}
    rounds = db.session.scalars(
        select(ReviewRound).where(ReviewRound.org_id.in_(org_ids), ReviewRound.year == year)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for row in rounds:
        decided = dict(
            db.session.execute(
                select(ReviewDecision.member_id, ReviewDecision.grade).where(
                    ReviewDecision.round_id == row.id
                )
            ).all()
        )
        reviewed = {m.id for m in reviewees(row)}
        counts = Counter(decided.values())
        n = len(decided)
        out[row.org_id] = {
            "status": row.status,
            "completed": completed(row, set(decided), reviewed),
            "reviewed": len(reviewed),
            "graded": n,
            "excellent_share": round(counts[row.grades[0]] / n, 4) if n else None,
            "failing_share": round(counts[row.grades[-1]] / n, 4) if n else None,
        }
    return out


def member_year_grades(scope_path: str, year: int) -> dict[int, dict[str, Any]]:
    """Per member of the subtree graded in a round of `year`: the grade and a failing
    grade's follow-up (限期改正 deadline, outcome)."""
    rows = db.session.execute(
        select(
            ReviewDecision.member_id,
            ReviewDecision.grade,
            ReviewDecision.correction_deadline,
            ReviewDecision.outcome,
        )
        .join(ReviewRound, ReviewRound.id == ReviewDecision.round_id)
        .join(Member, Member.id == ReviewDecision.member_id)
        .join(Organization, Organization.id == Member.org_id)
        .where(ReviewRound.year == year, Organization.path.like(scope_path + "%"))
        .order_by(ReviewRound.id)
    ).all()
    return {
        r.member_id: {
            "grade": r.grade,
            "correction_deadline": r.correction_deadline,
            "outcome": r.outcome,
        }
        for r in rows
    }
