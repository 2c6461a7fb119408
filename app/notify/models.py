"""Inbox notifications, opt-outs, WeChat consent credits, push attempts, scheduler lease."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

# Reminder kinds (rule 8). The label is what the member sees in settings.
KINDS = {
    "activity_published": "活动发布通知",
    "activity_24h": "活动前一天提醒",
    "activity_1h": "活动前一小时提醒",
    "activity_not_checked_in": "活动开始未签到提醒",
    "morning_brief": "晨会5分钟提醒",
    "study_evening": "当日学习提醒",
    "political_birthday": "政治生日祝福",
    "compliance_gap": "三会一课未完成提醒",
    "absence_alert": "连续未参加组织生活提醒",
    "conversion_due": "预备党员转正到期提醒",
    # the park's ledgers (issue 19)
    "dues_owed": "党费交纳提醒",
    "dues_month_end": "月末党费未交提醒",
    "dues_arrears": "连续未交党费提醒",
    "notice": "通知公告",
    "notice_remind": "通知确认提醒",
    "visit_overdue": "企业走访提醒",
    "recruitment_due": "发展党员工作到期提醒",
    # requests (issue 21)
    "request_overdue": "诉求办理超期提醒",
    "request_escalated": "诉求超期督办提醒",
    # rooms and transfers (issue 21)
    "booking_decided": "活动室预约审批结果",
    "transfer_report_overdue": "转接报到超期提醒",
}

PUSH_PENDING = "pending"  # waiting to be pushed (maybe after quiet hours)
PUSH_QUEUED = "queued"  # handed to the task queue at push_after; nobody has claimed it yet
PUSH_SENDING = "sending"  # claimed by one sender; WeChat is being (or was) called
PUSH_SENT = "sent"
PUSH_SKIPPED = "skipped"  # no credit, no openid, opted out of push, WeChat not configured
PUSH_FAILED = "failed"  # gave up after the retry budget


class Notification(db.Model):
    """One reminder for one member; (member, kind, cause, day) is unique: at most once per cause."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "cause", "day", name="uq_notifications_natural"),
        Index("ix_notifications_member_unread", "member_id", "read_at"),
        Index("ix_notifications_push", "push_status", "push_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(String(64))  # e.g. "activity:12", "daily"
    day: Mapped[date] = mapped_column(Date)  # the local day the cause belongs to
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # page link and template fields
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_status: Mapped[str] = mapped_column(String(16), default=PUSH_PENDING)
    push_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    push_attempts: Mapped[int] = mapped_column(default=0)


class NotificationOptOut(db.Model):
    """A member's choice not to be pushed a kind of reminder (the inbox still gets it)."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (UniqueConstraint("member_id", "kind", name="uq_notification_opt_outs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionCredit(db.Model):
    """One-time subscribe-message consents left for a template (one per accept)."""

    __tablename__ = "subscription_credits"
    __table_args__ = (UniqueConstraint("member_id", "template_id", name="uq_subscription_credits"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    template_id: Mapped[str] = mapped_column(String(64))
    credits: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PushAttempt(db.Model):
    """Each try at a WeChat subscribe message, with WeChat's error code when it failed."""

    __tablename__ = "push_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    errcode: Mapped[int | None] = mapped_column()
    message: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerLease(db.Model):
    """Who runs the scheduler now; a second process waits until the lease lapses."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WeChatAccessToken(db.Model):
    """The stable_token, cached once for all workers and the scheduler."""

    __tablename__ = "wechat_access_tokens"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    token: Mapped[str] = mapped_column(String(512))
    expires_at: Mapped[float] = mapped_column(Float)  # epoch seconds, as the client uses


# APScheduler's SQLAlchemyJobStore table, declared here so the migration creates it and
# the job store never has to create tables itself.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    db.metadata,
    Column("id", String(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
