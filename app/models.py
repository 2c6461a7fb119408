"""Import every domain's models so that metadata (and Alembic) sees all tables."""

from app.accounts.models import DeviceToken, MemberDevice, RevokedToken, User
from app.activities.models import Activity, ActivityAttendee, Attendance, AttendanceRequest
from app.audit.models import AuditLog
from app.dues.models import DuesBase, DuesHandover, DuesPayment, DuesRate, DuesReduction
from app.fiveclears.models import EnterpriseChange, EnterpriseProfile
from app.members import history  # noqa: F401 — registers the history flush hook
from app.members.models import InviteCode, Member, MemberExcusal, MemberHistory
from app.notices.models import Notice, NoticeReceipt
from app.notify.models import (
    Notification,
    NotificationOptOut,
    PushAttempt,
    SchedulerLease,
    SubscriptionCredit,
    WeChatAccessToken,
)
from app.org.models import Enterprise, Organization, OrgRole
from app.points import scope  # noqa: F401 — keeps the ranking scope in step with moves
from app.points.models import MemberPointPeriod, MemberPoints, PointLedger, PointRule
from app.posts.models import Post, PostHolder
from app.records.models import ActivityAttachment
from app.recruitment.models import Applicant, ApplicantAssessment
from app.reports.models import ClosedPeriod, FrozenCompliance, FrozenFigure, StarRating
from app.reviews.models import ReviewDecision, ReviewRating, ReviewRound, ReviewSelf
from app.rooms.models import Booking, Room
from app.servicedesk import accounts  # noqa: F401 — registers the staff identity kind "s:"
from app.servicedesk.models import Request, RequestRating, StaffAccount, StaffInvite
from app.study.models import (
    DailyQuiz,
    LessonAttempt,
    QuizQuestion,
    ReadingSession,
    StudyDay,
    StudyItem,
    StudyItemTag,
)
from app.transfers.models import (
    MemberContact,
    MobileMembership,
    MobileParticipation,
    Transfer,
    TransferApproval,
)
from app.versions import CacheVersion
from app.visits.models import Assignment, Visit
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
    "Assignment",
    "Attendance",
    "AttendanceRequest",
    "AuditLog",
    "Ballot",
    "Booking",
    "CacheVersion",
    "ClosedPeriod",
    "DailyQuiz",
    "DeviceToken",
    "DuesBase",
    "DuesHandover",
    "DuesPayment",
    "DuesRate",
    "DuesReduction",
    "Enterprise",
    "EnterpriseChange",
    "EnterpriseProfile",
    "FrozenCompliance",
    "FrozenFigure",
    "InviteCode",
    "LessonAttempt",
    "Member",
    "MemberContact",
    "MemberDevice",
    "MemberExcusal",
    "MemberHistory",
    "MemberPointPeriod",
    "MemberPoints",
    "MobileMembership",
    "MobileParticipation",
    "Notice",
    "NoticeReceipt",
    "Notification",
    "NotificationOptOut",
    "OrgRole",
    "Organization",
    "PartyProbation",
    "PointLedger",
    "PointRule",
    "Post",
    "PostHolder",
    "PushAttempt",
    "QuizQuestion",
    "ReadingSession",
    "Request",
    "RequestRating",
    "ReviewDecision",
    "ReviewRating",
    "ReviewRound",
    "ReviewSelf",
    "RevokedToken",
    "Room",
    "SchedulerLease",
    "StaffAccount",
    "StaffInvite",
    "StarRating",
    "StudyDay",
    "StudyItem",
    "StudyItemTag",
    "SubscriptionCredit",
    "Survey",
    "SurveyAnswer",
    "SurveyTaken",
    "Transfer",
    "TransferApproval",
    "User",
    "Visit",
    "Vote",
    "VoteCandidate",
    "VoteMark",
    "WeChatAccessToken",
]
