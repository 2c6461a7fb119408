"""Running the yearly 民主评议党员: who is reviewed, self-assessments, peer ratings, the
branch's decisions and the follow-up of a failing grade (限期改正, at most one year)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import literal, or_, select

from app.activities import expected
from app.activities.services import get_activity, valid_id
from app.audit import services as audit
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import PARTY_STATUSES, Member
from app.org.models import Organization
from app.reviews.models import (
    DEFAULT_GRADES,
    ReviewDecision,
    ReviewRating,
    ReviewRound,
    ReviewSelf,
)
from app.timeutil import local_day


def a_year_after(day: date) -> date:
    """The same day a year later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _round(round_id: int) -> ReviewRound:
    row = db.session.get(ReviewRound, round_id) if valid_id(round_id) else None
    if row is None:
        raise not_found("民主评议")
    return row


def managed_round(principal: Principal, round_id: int) -> ReviewRound:
    """A round of a branch the caller manages, or 404."""
    row = _round(round_id)
    if not principal.can_manage_org(row.org):
        raise not_found("民主评议")
    return row


def reviewees(row: ReviewRound) -> list[Member]:
    """The Party members reviewed: the linked meeting's expected members, else the branch's."""
    if row.activity is not None:
        return [m for m, r in expected.attendees(row.activity) if r.member_status in PARTY_STATUSES]
    return list(
        db.session.scalars(
            select(Member)
            .join(Organization, Organization.id == Member.org_id)
            .where(
                Organization.path.like(row.org.path + "%"),
                Member.is_active.is_(True),
                Member.status.in_(list(PARTY_STATUSES)),
            )
            .order_by(Member.id)
        )
    )


def readable_round(principal: Principal, round_id: int) -> ReviewRound:
    """A round the caller's scope covers (staff) or in which the member is reviewed."""
    row = _round(round_id)
    paths = principal.read_paths()
    if principal.is_staff and (paths is None or any(row.org.path.startswith(p) for p in paths)):
        return row
    if principal.member_id is not None and principal.member_id in {m.id for m in reviewees(row)}:
        return row
    raise not_found("民主评议")


def create_round(principal: Principal, data: dict[str, Any], now: datetime) -> ReviewRound:
    """Open a branch's review of a year (grades: the branch's, default 优秀…不合格)."""
    org = db.session.get(Organization, data["org_id"]) if valid_id(data["org_id"]) else None
    if org is None:
        raise not_found("组织")
    if not principal.can_manage_org(org):
        raise forbidden("无权管理该组织")
    activity = None
    if data.get("activity_id"):
        activity = get_activity(data["activity_id"])
        if activity.type != "democratic_review" or activity.org_id != org.id:
            raise APIError(
                400,
                "review.not_a_review_meeting",
                "请选择本支部的民主评议党员会议",
                {"activity_id": ["须为民主评议党员活动"]},
            )
    if db.session.scalar(
        select(ReviewRound.id).where(ReviewRound.org_id == org.id, ReviewRound.year == data["year"])
    ):
        raise APIError(409, "review.exists", "该年度的民主评议已经建立")
    grades = list(dict.fromkeys(data.get("grades") or DEFAULT_GRADES))
    if len(grades) < 2:
        raise APIError(400, "review.grades", "至少两个等次", {"grades": ["至少两个"]})
    row = ReviewRound(org_id=org.id, year=data["year"], activity=activity, grades=grades)
    row.org = org
    db.session.add(row)
    db.session.flush()
    audit.record(
        principal,
        action="review.create",
        entity_type="review",
        entity_id=row.id,
        org_id=org.id,
        now=now,
        new=str(row.year),
    )
    return row


def list_rounds(principal: Principal) -> list[ReviewRound]:
    """Rounds of the caller's scope (staff) and of the member's own branch (or above it)."""
    conds = []
    if principal.is_staff:
        conds.append(path_filter(Organization.path, principal.read_paths()))
    if principal.member is not None:
        conds.append(literal(principal.member.org.path).like(Organization.path + "%"))
    if not conds:
        return []
    stmt = (
        select(ReviewRound)
        .join(Organization, Organization.id == ReviewRound.org_id)
        .where(or_(*conds))
        .order_by(ReviewRound.year.desc(), ReviewRound.id)
    )
    return list(db.session.scalars(stmt))


def _open(row: ReviewRound) -> None:
    if row.status != "open":
        raise APIError(409, "review.closed", "本次民主评议已经结束")


def _reviewee(row: ReviewRound, principal: Principal) -> Member:
    if principal.member is None or principal.member_id not in {m.id for m in reviewees(row)}:
        raise APIError(403, "review.not_reviewed", "您不在本次民主评议的党员名单中")
    return principal.member


def put_self(principal: Principal, round_id: int, text: str) -> ReviewRound:
    """Write (or rewrite) the caller's self-assessment."""
    row = readable_round(principal, round_id)
    _open(row)
    member = _reviewee(row, principal)
    mine = db.session.scalar(
        select(ReviewSelf).where(ReviewSelf.round_id == row.id, ReviewSelf.member_id == member.id)
    )
    if mine is None:
        db.session.add(ReviewSelf(round_id=row.id, member_id=member.id, text=text))
    else:
        mine.text = text
    db.session.flush()
    return row


def put_ratings(principal: Principal, round_id: int, ratings: list[dict]) -> ReviewRound:
    """Rate other members of the branch (one grade each; rating again replaces)."""
    row = readable_round(principal, round_id)
    _open(row)
    member = _reviewee(row, principal)
    ids = {m.id for m in reviewees(row)} - {member.id}
    wrong = [r["member_id"] for r in ratings if r["member_id"] not in ids]
    bad = [r["grade"] for r in ratings if r["grade"] not in row.grades]
    if wrong or bad:
        raise APIError(
            400, "review.bad_rating", "评议对象或等次无效", {"ratings": ["含无效对象或等次"]}
        )
    existing = {
        r.ratee_id: r
        for r in db.session.scalars(
            select(ReviewRating).where(
                ReviewRating.round_id == row.id, ReviewRating.rater_id == member.id
            )
        )
    }
    for r in ratings:
        if r["member_id"] in existing:
            existing[r["member_id"]].grade = r["grade"]
        else:
            db.session.add(
                ReviewRating(
                    round_id=row.id, rater_id=member.id, ratee_id=r["member_id"], grade=r["grade"]
                )
            )
    db.session.flush()
    return row


def view(principal: Principal, row: ReviewRound) -> dict[str, Any]:
    """The round as the caller sees it: who is reviewed, and their own entries."""
    mine_self, mine = None, {}
    if principal.member_id is not None:
        mine_self = db.session.scalar(
            select(ReviewSelf.text).where(
                ReviewSelf.round_id == row.id, ReviewSelf.member_id == principal.member_id
            )
        )
        mine = dict(
            db.session.execute(
                select(ReviewRating.ratee_id, ReviewRating.grade).where(
                    ReviewRating.round_id == row.id, ReviewRating.rater_id == principal.member_id
                )
            ).all()
        )
    return {
        "id": row.id,
        "org_id": row.org_id,
        "year": row.year,
        "activity_id": row.activity_id,
        "grades": row.grades,
        "status": row.status,
        "members": [{"id": m.id, "name": m.name} for m in reviewees(row)],
        "my_self_assessment": mine_self,
        "my_ratings": [{"member_id": k, "grade": v} for k, v in sorted(mine.items())],
    }


def results(principal: Principal, round_id: int) -> list[dict[str, Any]]:
    """Per reviewed member: the self-assessment, the peer grades counted, the decision."""
    row = managed_round(principal, round_id)
    selves = dict(
        db.session.execute(
            select(ReviewSelf.member_id, ReviewSelf.text).where(ReviewSelf.round_id == row.id)
        ).all()
    )
    counts: dict[int, Counter] = {}
    for ratee, grade in db.session.execute(
        select(ReviewRating.ratee_id, ReviewRating.grade).where(ReviewRating.round_id == row.id)
    ):
        counts.setdefault(ratee, Counter())[grade] += 1
    decisions = {
        d.member_id: d
        for d in db.session.scalars(select(ReviewDecision).where(ReviewDecision.round_id == row.id))
    }
    out = []
    for m in reviewees(row):
        d = decisions.get(m.id)
        out.append(
            {
                "member_id": m.id,
                "name": m.name,
                "self_assessment": selves.get(m.id),
                "peer": [{"grade": g, "count": counts.get(m.id, Counter())[g]} for g in row.grades],
                "grade": d.grade if d else None,
                "correction_deadline": d.correction_deadline if d else None,
                "outcome": d.outcome if d else None,
                "outcome_on": d.outcome_on if d else None,
            }
        )
    return out


def _decision(row: ReviewRound, member_id: int) -> ReviewDecision | None:
    return db.session.scalar(
        select(ReviewDecision).where(
            ReviewDecision.round_id == row.id, ReviewDecision.member_id == member_id
        )
    )


def decide(
    principal: Principal, round_id: int, member_id: int, data: dict, now: datetime
) -> list[dict]:
    """The branch's grade for one member (the grades the round configured)."""
    row = managed_round(principal, round_id)
    _open(row)
    if member_id not in {m.id for m in reviewees(row)}:
        raise not_found("党员")
    if data["grade"] not in row.grades:
        raise APIError(
            400, "review.bad_grade", "等次无效", {"grade": [f"可选：{'、'.join(row.grades)}"]}
        )
    d = _decision(row, member_id)
    day = data.get("on") or local_day(now)
    if d is None:
        d = ReviewDecision(
            round_id=row.id, member_id=member_id, grade=data["grade"], decided_on=day
        )
        db.session.add(d)
    d.grade, d.note, d.decided_on = data["grade"], data.get("note") or "", day
    if d.grade != row.grades[-1]:
        d.correction_deadline = d.outcome = d.outcome_on = None
    db.session.flush()
    audit.record(
        principal,
        action="review.decide",
        entity_type="review",
        entity_id=row.id,
        org_id=row.org_id,
        member_id=member_id,
        now=now,
        new=d.grade,
    )
    return results(principal, round_id)


def follow_up(
    principal: Principal, round_id: int, member_id: int, data: dict, now: datetime
) -> list[dict]:
    """限期改正 for a failing grade: a deadline within a year of the decision, and the outcome."""
    row = managed_round(principal, round_id)
    d = _decision(row, member_id)
    if d is None or d.grade != row.grades[-1]:
        raise APIError(409, "review.not_failing", f"只有评为“{row.grades[-1]}”的党员需要限期改正")
    deadline = data["correction_deadline"]
    latest = a_year_after(d.decided_on)
    if not d.decided_on <= deadline <= latest:
        raise APIError(
            409,
            "review.deadline_too_far",
            "限期改正的期限不超过一年",
            {"latest": latest.isoformat()},
        )
    d.correction_deadline = deadline
    if data.get("outcome"):
        d.outcome, d.outcome_on = data["outcome"], data.get("outcome_on") or local_day(now)
    db.session.flush()
    return results(principal, round_id)


def close_round(principal: Principal, round_id: int, now: datetime) -> ReviewRound:
    """Close the round (entries are frozen)."""
    row = managed_round(principal, round_id)
    _open(row)
    row.status, row.closed_at = "closed", now
    db.session.flush()
    return row


def member_grades(member_id: int) -> list[dict[str, Any]]:
    """A member's review grades by year (their yearly record)."""
    rows = db.session.execute(
        select(ReviewRound.year, ReviewDecision.grade, ReviewDecision.correction_deadline)
        .join(ReviewRound, ReviewRound.id == ReviewDecision.round_id)
        .where(ReviewDecision.member_id == member_id)
        .order_by(ReviewRound.year.desc())
    ).all()
    return [{"year": y, "grade": g, "correction_deadline": c} for y, g, c in rows]


def mine(principal: Principal) -> list[dict[str, Any]]:
    """The caller's own grades."""
    if principal.member_id is None:
        raise forbidden("只有党员本人可以查看")
    return member_grades(principal.member_id)
