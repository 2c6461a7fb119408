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
from app.points.models import MemberPoints, PointLedger, PointRule

__all__ = [
    "Activity",
    "Attendance",
    "AttendanceRequest",
    "AuditLog",
    "Enterprise",
    "InviteCode",
    "Member",
    "MemberPoints",
    "Notification",
    "NotificationOptOut",
    "OrgRole",
    "Organization",
    "PointLedger",
    "PointRule",
    "PushAttempt",
    "RevokedToken",
    "SchedulerLease",
    "SubscriptionCredit",
    "User",
    "WeChatAccessToken",
]
