"""Post and PostHolder (one current holding per member and post)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization

POST_KINDS = ("pioneer", "responsibility_area", "model", "shock_team")
POST_KIND_LABELS = {
    "pioneer": "党员先锋岗",
    "responsibility_area": "党员责任区",
    "model": "党员示范岗",
    "shock_team": "党员突击队",
}


class Post(db.Model):
    """A post a branch sets up in a workshop, a canteen, a project …"""

    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(f"kind IN {POST_KINDS!r}", name="kind"),
        Index("ix_posts_org_active", "org_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100), default="")
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL")
    )
    commitment: Mapped[str] = mapped_column(Text, default="")  # the public promise (承诺)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship()


class PostHolder(db.Model):
    """A member holding a post from `since` to `until` (NULL while current)."""

    __tablename__ = "post_holders"
    __table_args__ = (
        CheckConstraint("how IN ('claimed', 'assigned')", name="how"),
        # one current holding per member and post, whatever two requests race
        Index(
            "uq_post_holders_current",
            "post_id",
            "member_id",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
        Index("ix_post_holders_member", "member_id", "until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    how: Mapped[str] = mapped_column(String(10), default="assigned")
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    member: Mapped[Member] = relationship()
