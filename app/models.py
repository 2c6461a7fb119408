"""Import every domain's models so that metadata (and Alembic) sees all tables."""

from app.accounts.models import RevokedToken, User
from app.activities.models import Activity, ActivityAttendee, Attendance, AttendanceRequest
from app.audit.models import AuditLog
from app.members import history  # noqa: F401 — registers the history flush hook
from app.members.models import InviteCode, Member, MemberExcusal, MemberHistory
from app.notify.models import (
    Notification,
    NotificationOptOut,
    PushAttempt,
    SchedulerLease,
    SubscriptionCredit,
    WeChatAccessToken,
)
from app.org.models import Enterprise, Organization, OrgRole
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger, PointRule
from app.records.models import ActivityAttachment
from app.recruitment.models import Applicant, ApplicantAssessment
from app.reports.models import ClosedPeriod, FrozenFigure, StarRating
from app.reviews.models import ReviewDecision, ReviewRating, ReviewRound, ReviewSelf
from app.study.models import (
    DailyQuiz,
    LessonAttempt,
    QuizQuestion,
    ReadingSession,
    StudyDay,
    StudyItem,
    StudyItemTag,
)
from app.votes.models import (
    Ballot,
    PartyProbation,
    Survey,
    SurveyAnswer,
    SurveyTaken,
    Vote,
    VoteCandidate,
    VoteMark,
)

__all__ = [
    "Activity",
    "ActivityAttachment",
    "ActivityAttendee",
    "Applicant",
    "ApplicantAssessment",
    "Attendance",
    "AttendanceRequest",
    "AuditLog",
    "Ballot",
    "ClosedPeriod",
    "DailyQuiz",
    "Enterprise",
    "FrozenFigure",
    "InviteCode",
    "LessonAttempt",
    "Member",
    "MemberExcusal",
    "MemberHistory",
    "MemberPointPeriod",
    "MemberPoints",
    "Notification",
    "NotificationOptOut",
    "OrgRole",
    "Organization",
    "PartyProbation",
    "PointLedger",
    "PointRule",
    "PushAttempt",
    "QuizQuestion",
    "ReadingSession",
    "ReviewDecision",
    "ReviewRating",
    "ReviewRound",
    "ReviewSelf",
    "RevokedToken",
    "SchedulerLease",
    "StarRating",
    "StudyDay",
    "StudyItem",
    "StudyItemTag",
    "SubscriptionCredit",
    "Survey",
    "SurveyAnswer",
    "SurveyTaken",
    "User",
    "Vote",
    "VoteCandidate",
    "VoteMark",
    "WeChatAccessToken",
]
