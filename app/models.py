"""Import every domain's models so that metadata (and Alembic) sees all tables."""

from app.accounts.models import RevokedToken, User
from app.activities.models import Activity, Attendance, AttendanceRequest
from app.audit.models import AuditLog
from app.members.models import InviteCode, Member
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
from app.reports.models import StarRating
from app.study.models import (
    DailyQuiz,
    LessonAttempt,
    QuizQuestion,
    ReadingSession,
    StudyDay,
    StudyItem,
    StudyItemTag,
)
from app.versions import CacheVersion

__all__ = [
    "Activity",
    "Attendance",
    "AttendanceRequest",
    "AuditLog",
    "CacheVersion",
    "DailyQuiz",
    "Enterprise",
    "InviteCode",
    "LessonAttempt",
    "Member",
    "MemberPointPeriod",
    "MemberPoints",
    "Notification",
    "NotificationOptOut",
    "OrgRole",
    "Organization",
    "PointLedger",
    "PointRule",
    "PushAttempt",
    "QuizQuestion",
    "ReadingSession",
    "RevokedToken",
    "SchedulerLease",
    "StarRating",
    "StudyDay",
    "StudyItem",
    "StudyItemTag",
    "SubscriptionCredit",
    "User",
    "WeChatAccessToken",
]
