"""Running a vote at a 党员大会: prepare, written opinions, open, cast, paper, close, read.

The electorate is the meeting's list of expected attendees (app.activities.expected, fixed
into the ActivityAttendee snapshot when the vote opens) with a voting right — full members
not excused that day — less those under 留党察看 that day. Presence is their attendance.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from app.activities import expected
from app.activities.models import ATTENDED, Activity, Attendance
from app.activities.services import get_activity, valid_id
from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.votes import ballots, rules
from app.votes.models import Ballot, PartyProbation, Vote, VoteCandidate, VoteMark

MEETING_TYPES = ("general_meeting",)


# --- lookups ---------------------------------------------------------------------------------


def _vote(vote_id: int, lock: bool = False) -> Vote:
    vote = (
        db.session.get(Vote, vote_id, with_for_update=lock, populate_existing=lock)
        if valid_id(vote_id)
        else None
    )
    if vote is None:
        raise not_found("表决")
    return vote


def managed_vote(principal: Principal, vote_id: int, lock: bool = False) -> Vote:
    """A vote the caller manages (a managing role over the meeting's org), or 403/404."""
    vote = _vote(vote_id, lock)
    if not principal.can_manage_org(vote.org):
        if principal.can_read_org(vote.org) and principal.is_staff:
            raise forbidden("无权管理该表决")
        raise not_found("表决")
    return vote


def readable_vote(principal: Principal, vote_id: int) -> Vote:
    """A vote of the caller's scope (staff) or of a meeting where the member is an elector."""
    vote = _vote(vote_id)
    if principal.is_staff and principal.can_read_org(vote.org) and _staff_reads(principal, vote):
        return vote
    if principal.member is not None and principal.member_id in electorate_ids(vote.activity):
        return vote
    raise not_found("表决")


def _staff_reads(principal: Principal, vote: Vote) -> bool:
    paths = principal.read_paths()
    return paths is None or any(vote.org.path.startswith(p) for p in paths)


# --- electorate ------------------------------------------------------------------------------


def under_probation(member_ids: list[int], day: date | None) -> set[int]:
    """Which of `member_ids` are under 留党察看 on `day`."""
    if not member_ids or day is None:
        return set()
    return set(
        db.session.scalars(
            select(PartyProbation.member_id).where(
                PartyProbation.member_id.in_(member_ids),
                PartyProbation.from_on <= day,
                or_(PartyProbation.to_on.is_(None), PartyProbation.to_on >= day),
            )
        )
    )


def electorate(activity: Activity) -> list[tuple[Member, Any]]:
    """(member, snapshot row) of the meeting's expected attendees entitled to vote."""
    rows = [(m, r) for m, r in expected.attendees(activity) if r.voter]
    barred = under_probation([m.id for m, _ in rows], activity.held_on)
    return [(m, r) for m, r in rows if m.id not in barred]


def electorate_ids(activity: Activity) -> set[int]:
    """The ids of the meeting's electorate."""
    return {m.id for m, _ in electorate(activity)}


def present_ids(activity: Activity, ids: set[int]) -> set[int]:
    """Which of `ids` attended the meeting (present, late or make-up)."""
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Attendance.member_id).where(
                Attendance.activity_id == activity.id,
                Attendance.member_id.in_(ids),
                Attendance.status.in_(list(ATTENDED)),
            )
        )
    )


def _marks(vote: Vote) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(VoteMark.member_id, VoteMark.channel).where(VoteMark.vote_id == vote.id)
        ).all()
    )


# --- preparing -------------------------------------------------------------------------------


def create_vote(principal: Principal, data: dict[str, Any], now: datetime) -> Vote:
    """A vote (draft) at a 党员大会 of an org the caller manages."""
    activity = get_activity(data["activity_id"])
    if not principal.can_manage_org(activity.org):
        raise forbidden("无权在该会议上组织表决")
    if activity.type not in MEETING_TYPES or activity.status == "cancelled":
        raise APIError(409, "vote.not_a_general_meeting", "表决须在支部党员大会上进行")
    kind = data["kind"]
    vote = Vote(
        activity_id=activity.id,
        org_id=activity.org_id,
        kind=kind,
        title=data["title"],
        description=data.get("description") or "",
        created_by_user_id=principal.user.id if principal.user else None,
        created_by_member_id=principal.member_id,
    )
    subject_id = data.get("subject_member_id")
    if kind in ("admission", "confirmation") and subject_id is None:
        raise APIError(
            400, "vote.subject_required", "请选择表决对象", {"subject_member_id": ["必填"]}
        )
    if subject_id is not None:
        subject = db.session.get(Member, subject_id) if valid_id(subject_id) else None
        if subject is None or not principal.can_manage_org(subject.org):
            raise APIError(
                400, "vote.subject_unknown", "表决对象不存在", {"subject_member_id": ["无效"]}
            )
        if kind == "confirmation" and subject.status != "probationary":
            raise APIError(409, "vote.not_probationary", "只有预备党员才能表决转正")
        vote.subject_member_id = subject.id
    if kind == "election":
        _add_candidates(vote, activity, data)
    db.session.add(vote)
    db.session.flush()
    audit.record(
        principal,
        action="vote.create",
        entity_type="vote",
        entity_id=vote.id,
        org_id=vote.org_id,
        now=now,
        activity_id=activity.id,
        new=vote.title,
    )
    return vote


def _add_candidates(vote: Vote, activity: Activity, data: dict[str, Any]) -> None:
    seats, ids = data.get("seats"), list(dict.fromkeys(data.get("candidate_ids") or []))
    if not seats:
        raise APIError(400, "vote.seats_required", "请填写应选人数", {"seats": ["必填"]})
    if len(ids) <= seats:
        # 差额选举: more candidates than seats
        raise APIError(
            400,
            "vote.not_competitive",
            "候选人数应多于应选人数（差额选举）",
            {"candidate_ids": [f"至少 {seats + 1} 名候选人"]},
        )
    eligible = electorate_ids(activity)
    wrong = [i for i in ids if i not in eligible]
    if wrong:
        raise APIError(
            400,
            "vote.candidate_not_eligible",
            "候选人须为本支部有表决权的正式党员",
            {"candidate_ids": [f"无效：{', '.join(map(str, wrong))}"]},
        )
    vote.seats = seats
    vote.candidates = [VoteCandidate(member_id=mid, position=i) for i, mid in enumerate(ids)]


def add_written_opinion(
    principal: Principal, vote_id: int, data: dict[str, Any], now: datetime
) -> Vote:
    """Enter an absent voter's 书面意见 before the vote opens (it counts as their ballot)."""
    vote = managed_vote(principal, vote_id, lock=True)
    if vote.status != "draft":
        raise APIError(409, "vote.not_draft", "书面意见须在表决开始前录入")
    if vote.kind == "election":
        raise APIError(409, "vote.no_written_in_election", "选举不接受书面意见")
    member_id = data["member_id"]
    if member_id not in electorate_ids(vote.activity):
        raise APIError(400, "vote.not_an_elector", "该党员没有表决权", {"member_id": ["无表决权"]})
    _mark(vote, member_id, "written")
    ballots.add(vote.id, [(data["choice"], None)])
    audit.record(
        principal,
        action="vote.written_opinion",
        entity_type="vote",
        entity_id=vote.id,
        org_id=vote.org_id,
        now=now,
        activity_id=vote.activity_id,
        member_id=member_id,
    )
    return vote


def _mark(vote: Vote, member_id: int, channel: str) -> None:
    """The has-voted mark; a second one for the same member is refused (the key)."""
    exists = db.session.get(VoteMark, {"vote_id": vote.id, "member_id": member_id})
    if exists is not None:
        raise APIError(409, "vote.already_voted", "已经投过票")
    db.session.add(VoteMark(vote_id=vote.id, member_id=member_id, channel=channel))
    db.session.flush()


# --- running ---------------------------------------------------------------------------------


def open_vote(principal: Principal, vote_id: int, now: datetime) -> Vote:
    """Open the vote when the quorum is present (more than half; 4/5 for an election)."""
    vote = managed_vote(principal, vote_id, lock=True)
    if vote.status != "draft":
        raise APIError(409, "vote.not_draft", "表决已经开始或结束")
    activity = vote.activity
    if activity.status != "published":
        raise APIError(409, "vote.meeting_not_published", "会议尚未发布")
    expected.fix_attendees(activity, now)
    ids = electorate_ids(activity)
    present = present_ids(activity, ids)
    quorum = rules.may_open_election if vote.kind == "election" else rules.may_open
    if not quorum(len(ids), len(present)):
        need = "五分之四" if vote.kind == "election" else "半数以上"
        raise APIError(
            409,
            "vote.no_quorum",
            f"到会有表决权的党员未达应到人数的{need}，不能表决",
            {"expected": len(ids), "present": len(present)},
        )
    vote.status, vote.opened_at = "open", now
    vote.expected_voters, vote.present_voters = len(ids), len(present)
    db.session.flush()
    return vote


def _choices(vote: Vote, data: dict[str, Any]) -> list[tuple[str, int | None]]:
    """One ballot's rows (validated): a choice, or the marked candidates of an election."""
    if vote.kind != "election":
        if data.get("choice") is None:
            raise APIError(
                400, "vote.choice_required", "请选择赞成、反对或弃权", {"choice": ["必填"]}
            )
        return [(data["choice"], None)]
    marked = list(dict.fromkeys(data.get("candidate_ids") or []))
    by_member = {c.member_id: c.id for c in vote.candidates}
    if any(m not in by_member for m in marked):
        raise APIError(
            400, "vote.unknown_candidate", "选票上有非候选人", {"candidate_ids": ["无效"]}
        )
    if len(marked) > (vote.seats or 0):
        raise APIError(
            400,
            "vote.too_many_marks",
            f"最多可选 {vote.seats} 人",
            {"candidate_ids": [f"最多 {vote.seats} 人"]},
        )
    return [("yes", by_member[m]) for m in marked] or [("abstain", None)]


def cast(principal: Principal, vote_id: int, data: dict[str, Any], now: datetime) -> Vote:
    """A present elector votes once from the app (secret: the mark and the ballot apart)."""
    member = principal.member
    if member is None:
        raise forbidden("只有党员本人可以投票")
    vote = readable_vote(principal, vote_id)
    vote = _vote(vote.id, lock=True)  # serialises the vote's ballot writes
    if vote.status != "open":
        raise APIError(409, "vote.not_open", "表决尚未开始或已经结束")
    if member.id not in electorate_ids(vote.activity):
        raise APIError(403, "vote.not_an_elector", "您在本次会议没有表决权")
    if member.id not in present_ids(vote.activity, {member.id}):
        raise APIError(409, "vote.not_present", "请先签到再投票")
    rows = _choices(vote, data)
    _mark(vote, member.id, "app")
    ballots.add(vote.id, rows)
    return vote


def record_paper(principal: Principal, vote_id: int, data: dict[str, Any], now: datetime) -> Vote:
    """The tellers enter the paper ballots and who handed one in (same count)."""
    vote = managed_vote(principal, vote_id, lock=True)
    if vote.status != "open":
        raise APIError(409, "vote.not_open", "表决尚未开始或已经结束")
    voters = list(dict.fromkeys(data["member_ids"]))
    papers = data["ballots"]
    if len(voters) != len(papers):
        raise APIError(
            400,
            "vote.paper_count_mismatch",
            "交回选票的人数与选票张数不一致",
            {"ballots": [f"{len(voters)} 人交回，录入 {len(papers)} 张"]},
        )
    eligible = electorate_ids(vote.activity)
    present = present_ids(vote.activity, set(voters))
    wrong = [m for m in voters if m not in eligible or m not in present]
    if wrong:
        raise APIError(
            400,
            "vote.not_an_elector",
            "名单中有无表决权或未到会的党员",
            {"member_ids": [f"无效：{', '.join(map(str, wrong))}"]},
        )
    rows = [row for paper in papers for row in _choices(vote, paper)]
    for member_id in voters:
        _mark(vote, member_id, "paper")
    ballots.add(vote.id, rows)
    audit.record(
        principal,
        action="vote.paper",
        entity_type="vote",
        entity_id=vote.id,
        org_id=vote.org_id,
        now=now,
        activity_id=vote.activity_id,
        new=len(papers),
    )
    return vote


def close_vote(principal: Principal, vote_id: int, now: datetime) -> Vote:
    """Close the vote and count: the tally and the outcome by the rules."""
    vote = managed_vote(principal, vote_id, lock=True)
    if vote.status != "open":
        raise APIError(409, "vote.not_open", "表决尚未开始或已经结束")
    tally(vote)
    vote.status, vote.closed_at = "closed", now
    db.session.flush()
    audit.record(
        principal,
        action="vote.close",
        entity_type="vote",
        entity_id=vote.id,
        org_id=vote.org_id,
        now=now,
        activity_id=vote.activity_id,
        new="通过" if vote.passed else "未通过",
    )
    return vote


def tally(vote: Vote) -> None:
    """Count the ballots (reproducible: the same rows give the same result)."""
    counts = dict(
        db.session.execute(
            select(Ballot.choice, func.count())
            .where(Ballot.vote_id == vote.id, Ballot.candidate_id.is_(None))
            .group_by(Ballot.choice)
        ).all()
    )
    vote.ballots_cast = db.session.scalar(
        select(func.count()).select_from(VoteMark).where(VoteMark.vote_id == vote.id)
    )
    # latecomers who signed in after the opening may vote: presence is read at the close
    ids = electorate_ids(vote.activity)
    vote.present_voters = max(vote.present_voters or 0, len(present_ids(vote.activity, ids)))
    expected_n = vote.expected_voters if vote.expected_voters is not None else len(ids)
    vote.yes_count = counts.get("yes", 0)
    vote.no_count = counts.get("no", 0)
    vote.abstain_count = counts.get("abstain", 0)
    if vote.kind != "election":
        vote.passed = rules.passes(vote.yes_count, expected_n)
        return
    per = dict(
        db.session.execute(
            select(Ballot.candidate_id, func.count())
            .where(Ballot.vote_id == vote.id, Ballot.candidate_id.is_not(None))
            .group_by(Ballot.candidate_id)
        ).all()
    )
    for cand in vote.candidates:
        cand.votes = per.get(cand.id, 0)
    outcome = rules.election_outcome(
        {c.id: c.votes for c in vote.candidates}, vote.present_voters or 0, vote.seats or 0
    )
    for cand in vote.candidates:
        cand.elected = cand.id in outcome.elected
    vote.yes_count = sum(per.values())
    vote.passed = len(outcome.elected) == vote.seats
