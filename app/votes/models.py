"""Vote, its candidates, the has-voted mark, the ballot (kept apart), and 留党察看 records.

Secrecy: a VoteMark says *who* voted (and how: app, paper, written opinion); a Ballot says
*what* was chosen. The two share nothing but the vote: ballots carry no voter, no time and
no sequential key, and every write re-shuffles the vote's ballots (app.votes.ballots), so
neither the row order nor the random keys nor PostgreSQL's per-row transaction id follow
the order in which members voted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.activities.models import Activity
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization

VOTE_KINDS = ("motion", "admission", "confirmation", "election")
VOTE_KIND_LABELS = {
    "motion": "表决事项",
    "admission": "接收预备党员",
    "confirmation": "预备党员转正",
    "election": "支部委员会选举",
}
VOTE_STATUSES = ("draft", "open", "closed")
VOTE_STATUS_LABELS = {"draft": "未开始", "open": "投票中", "closed": "已结束"}
CHOICES = ("yes", "no", "abstain")
CHOICE_LABELS = {"yes": "赞成", "no": "反对", "abstain": "弃权"}
CHANNELS = ("app", "paper", "written")
CHANNEL_LABELS = {"app": "线上投票", "paper": "纸质选票", "written": "书面意见"}


class Vote(db.Model):
    """One vote at a 党员大会: a motion or one candidate (yes/no/abstain), or an election."""

    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint(f"kind IN {VOTE_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {VOTE_STATUSES!r}", name="status"),
        Index("ix_votes_activity", "activity_id"),
        Index("ix_votes_org", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # the candidate of an admission or confirmation (or of a motion about one person)
    subject_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    seats: Mapped[int | None] = mapped_column()  # elections: how many are to be elected
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # fixed when the vote opens (the electorate) and when it closes (the tally)
    expected_voters: Mapped[int | None] = mapped_column()
    present_voters: Mapped[int | None] = mapped_column()
    ballots_cast: Mapped[int | None] = mapped_column()
    yes_count: Mapped[int | None] = mapped_column()
    no_count: Mapped[int | None] = mapped_column()
    abstain_count: Mapped[int | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # elections: the committee's term written from the result
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship()
    org: Mapped[Organization] = relationship()
    subject: Mapped[Member | None] = relationship(foreign_keys=[subject_member_id])
    candidates: Mapped[list[VoteCandidate]] = relationship(
        order_by="VoteCandidate.position", cascade="all, delete-orphan", back_populates="vote"
    )


class VoteCandidate(db.Model):
    """A candidate of an election (差额: more candidates than seats), with the result."""

    __tablename__ = "vote_candidates"
    __table_args__ = (UniqueConstraint("vote_id", "member_id", name="uq_vote_candidates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    votes: Mapped[int | None] = mapped_column()
    elected: Mapped[bool | None] = mapped_column()

    vote: Mapped[Vote] = relationship(back_populates="candidates")
    member: Mapped[Member] = relationship()


class VoteMark(db.Model):
    """That a member has voted (once: the primary key), and how — never what."""

    __tablename__ = "vote_marks"
    __table_args__ = (CheckConstraint(f"channel IN {CHANNELS!r}", name="channel"),)

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(8))


class Ballot(db.Model):
    """One choice on a secret ballot: a random key, the vote, the choice — nothing else.

    In an election each marked candidate is a row of its own (choice "yes"); a blank
    election ballot is one "abstain" row without candidate.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        CheckConstraint(f"choice IN {CHOICES!r}", name="choice"),
        Index("ix_ballots_vote", "vote_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    choice: Mapped[str] = mapped_column(String(8))
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("vote_candidates.id", ondelete="CASCADE")
    )


class PartyProbation(db.Model):
    """留党察看: a disciplinary probation from `from_on` to `to_on` (inclusive; NULL: open);
    a member under it has no vote (nor may be elected)."""

    __tablename__ = "party_probations"
    __table_args__ = (
        CheckConstraint("to_on IS NULL OR to_on >= from_on", name="probation_range"),
        Index("ix_party_probations_member", "member_id", "from_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    from_on: Mapped[date] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


SURVEY_STATUSES = ("open", "closed")


class Survey(db.Model):
    """A questionnaire to the members of an org's subtree; `questions` is a list of
    {kind: single|multiple|text, text, options}."""

    __tablename__ = "surveys"
    __table_args__ = (CheckConstraint(f"status IN {SURVEY_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(default=True)
    questions: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship()


class SurveyTaken(db.Model):
    """That a member answered a survey (once: the key)."""

    __tablename__ = "survey_taken"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SurveyAnswer(db.Model):
    """One answer sheet: a random key; the member only when the survey is named."""

    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_survey", "survey_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    answers: Mapped[list] = mapped_column(JSON)
