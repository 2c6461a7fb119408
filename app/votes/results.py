"""What a vote shows (the tally only after the close), lists, the export, and the committee
written from an election's result (roles with their term: since / until history)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, literal, or_, select

from app.activities.services import get_activity
from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import STATUS_LABELS
from app.org.models import COMMITTEE_ROLES, ROLE_LABELS, Organization, OrgRole
from app.org.services import COMMITTEE_TERM_YEARS
from app.reports.exports import Column, export
from app.votes import services
from app.votes.models import CHANNEL_LABELS, VOTE_KIND_LABELS, VOTE_STATUS_LABELS, Vote, VoteMark

TERM_YEARS = (3, 5)


def view(principal: Principal, vote: Vote) -> dict[str, Any]:
    """The vote as the caller may see it: counts and outcome only once it is closed."""
    closed = vote.status == "closed"
    mine = None
    if principal.member_id is not None:
        mark = db.session.get(VoteMark, {"vote_id": vote.id, "member_id": principal.member_id})
        mine = mark.channel if mark else None
    out = {
        "id": vote.id,
        "activity_id": vote.activity_id,
        "activity_title": vote.activity.title,
        "org_id": vote.org_id,
        "kind": vote.kind,
        "kind_label": VOTE_KIND_LABELS[vote.kind],
        "title": vote.title,
        "description": vote.description,
        "subject_member_id": vote.subject_member_id,
        "subject_name": vote.subject.name if vote.subject else None,
        "seats": vote.seats,
        "status": vote.status,
        "status_label": VOTE_STATUS_LABELS[vote.status],
        "expected_voters": vote.expected_voters,
        "present_voters": vote.present_voters,
        "opened_at": vote.opened_at,
        "closed_at": vote.closed_at,
        "my_channel": mine,
        "candidates": [
            {
                "id": c.id,
                "member_id": c.member_id,
                "name": c.member.name,
                "votes": c.votes if closed else None,
                "elected": c.elected if closed else None,
            }
            for c in vote.candidates
        ],
        "term_starts_on": vote.term_starts_on,
        "term_ends_on": vote.term_ends_on,
        "result": None,
    }
    if closed:
        out["result"] = {
            "ballots_cast": vote.ballots_cast,
            "yes": vote.yes_count,
            "no": vote.no_count,
            "abstain": vote.abstain_count,
            "passed": vote.passed,
        }
    return out


def list_votes(principal: Principal, activity_id: int) -> list[dict[str, Any]]:
    """The votes of one meeting: staff of its scope, or its electors."""
    activity = get_activity(activity_id)
    staff = principal.is_staff and services._staff_reads(
        principal, Vote(org=activity.org, org_id=activity.org_id)
    )
    if not staff and principal.member_id not in services.electorate_ids(activity):
        raise not_found("活动")
    votes = db.session.scalars(
        select(Vote).where(Vote.activity_id == activity.id).order_by(Vote.id)
    ).all()
    return [view(principal, v) for v in votes]


RECENT_DAYS = 30  # how long a closed vote's result stays on the member's list


def member_votes(principal: Principal, now: datetime) -> list[dict[str, Any]]:
    """The member's votes: open ones where they are an elector, and those closed within the
    last 30 days (with their result), newest first."""
    member = principal.member
    if member is None:
        raise forbidden("只有党员本人可以投票")
    since = now - timedelta(days=RECENT_DAYS)
    votes = db.session.scalars(
        select(Vote)
        .join(Organization, Organization.id == Vote.org_id)
        .where(
            literal(member.org.path).like(Organization.path + "%"),
            or_(Vote.status == "open", and_(Vote.status == "closed", Vote.closed_at >= since)),
        )
        .order_by(Vote.id.desc())
    ).all()
    electorates: dict[int, set[int]] = {}
    out = []
    for v in votes:
        if v.activity_id not in electorates:
            electorates[v.activity_id] = services.electorate_ids(v.activity)
        if member.id in electorates[v.activity_id]:
            out.append(view(principal, v))
    return out


def turnout(principal: Principal, vote_id: int) -> list[dict[str, Any]]:
    """The electorate with presence and how each voted (channel only, never the choice)."""
    vote = services.managed_vote(principal, vote_id)
    rows = services.electorate(vote.activity)
    ids = {m.id for m, _ in rows}
    present = services.present_ids(vote.activity, ids)
    marks = services._marks(vote)
    return [
        {
            "member_id": m.id,
            "name": m.name,
            "status_label": STATUS_LABELS.get(r.member_status, r.member_status),
            "present": m.id in present,
            "channel": marks.get(m.id),
            "channel_label": CHANNEL_LABELS.get(marks.get(m.id), "未投票"),
        }
        for m, r in rows
    ]


EXPORT_COLUMNS = [
    Column("项目", "item", 22),
    Column("内容", "value", 30),
    Column("备注", "note", 24),
]


def export_vote(principal: Principal, vote_id: int, fmt: str):
    """The whole record of a closed vote: electorate, turnout, tally and outcome."""
    vote = services.managed_vote(principal, vote_id)
    if vote.status != "closed":
        raise APIError(409, "vote.not_closed", "表决结束后才能导出结果")
    rows: list[dict[str, Any]] = [
        {"item": "会议", "value": vote.activity.title},
        {"item": "表决事项", "value": vote.title, "note": VOTE_KIND_LABELS[vote.kind]},
        {"item": "应到有表决权党员", "value": vote.expected_voters},
        {"item": "实到有表决权党员", "value": vote.present_voters},
        {"item": "收回选票（含书面意见）", "value": vote.ballots_cast},
    ]
    if vote.kind == "election":
        rows.append({"item": "应选人数", "value": vote.seats})
        for c in vote.candidates:
            rows.append(
                {
                    "item": f"候选人 {c.member.name}",
                    "value": c.votes,
                    "note": "当选" if c.elected else "",
                }
            )
    else:
        rows += [
            {"item": "赞成", "value": vote.yes_count},
            {"item": "反对", "value": vote.no_count},
            {"item": "弃权", "value": vote.abstain_count},
        ]
    rows.append({"item": "结果", "value": "通过" if vote.passed else "未通过"})
    for r in turnout(principal, vote_id):
        rows.append(
            {
                "item": f"党员 {r['name']}",
                "value": "到会" if r["present"] else "未到会",
                "note": r["channel_label"],
            }
        )
    return export(fmt, f"表决结果-{vote.id}", f"{vote.title} 表决结果", EXPORT_COLUMNS, rows)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def apply_committee(
    principal: Principal, vote_id: int, data: dict[str, Any], now: datetime
) -> Vote:
    """Seat the elected as the new committee from `term_start`: the outgoing committee's
    roles end that day (kept as history), the new roles begin; the term is recorded."""
    vote = services.managed_vote(principal, vote_id, lock=True)
    if vote.kind != "election" or vote.status != "closed":
        raise APIError(409, "vote.not_a_closed_election", "只有已结束的选举才能产生新一届支委会")
    if vote.term_starts_on is not None:
        raise APIError(409, "vote.committee_already_seated", "本次选举的支委会已经产生")
    elected = {c.member_id for c in vote.candidates if c.elected}
    assignments = data["roles"]
    wrong = [a["member_id"] for a in assignments if a["member_id"] not in elected]
    if wrong or not assignments:
        raise APIError(400, "vote.not_elected", "只能为当选的委员分工", {"roles": ["含未当选者"]})
    if sum(1 for a in assignments if a["role"] == "secretary") > 1:
        raise APIError(400, "vote.two_secretaries", "书记只能有一名", {"roles": ["书记重复"]})
    start = data["term_start"]
    outgoing = db.session.scalars(
        select(OrgRole).where(
            OrgRole.org_id == vote.org_id,
            OrgRole.member_id.is_not(None),
            OrgRole.role.in_(list(COMMITTEE_ROLES)),
            OrgRole.until.is_(None),
        )
    ).all()
    for role in outgoing:
        if role.since is not None and role.since >= start:
            raise APIError(409, "vote.term_overlaps", "新任期须晚于现任委员的任职日期")
        role.until = start
    db.session.flush()
    for a in assignments:
        db.session.add(
            OrgRole(org_id=vote.org_id, member_id=a["member_id"], role=a["role"], since=start)
        )
    vote.term_starts_on = start
    years = data.get("term_years") or vote.org.committee_term_years or COMMITTEE_TERM_YEARS
    vote.term_ends_on = _add_years(start, years)
    db.session.flush()
    audit.record(
        principal,
        action="vote.committee",
        entity_type="vote",
        entity_id=vote.id,
        org_id=vote.org_id,
        now=now,
        new=", ".join(
            f"{a['member_id']}:{ROLE_LABELS.get(a['role'], a['role'])}" for a in assignments
        ),
    )
    return vote
