"""Organization (a tree with a materialised path), OrgRole and Enterprise."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db

ORG_TYPES = ("work_committee", "general_committee", "general_branch", "branch", "group")
ORG_TYPE_LABELS = {
    "work_committee": "党工委",
    "general_committee": "综合党委",
    "general_branch": "党总支",
    "branch": "党支部",
    "group": "党小组",
}
BUILD_MODES = ("standalone", "joint", "affiliated", "dispatched")
ROLES = ("secretary", "deputy_secretary", "organizer", "publicity", "discipline", "instructor")
ROLE_LABELS = {
    "secretary": "书记",
    "deputy_secretary": "副书记",
    "organizer": "组织委员",
    "publicity": "宣传委员",
    "discipline": "纪检委员",
    "instructor": "党建指导员",
}
# Roles that may create, edit and mark within their subtree; the others may read it.
MANAGE_ROLES = frozenset({"secretary", "deputy_secretary", "organizer", "instructor"})
# A branch committee (支委会) is made of these roles.
COMMITTEE_ROLES = frozenset(
    {"secretary", "deputy_secretary", "organizer", "publicity", "discipline"}
)


class Organization(db.Model):
    """A Party organisation; `path` is '/1/5/12/' so a subtree is a prefix match."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(f"type IN {ORG_TYPES!r}", name="type"),
        Index("ix_organizations_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(32))
    build_mode: Mapped[str | None] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(255), default="")
    depth: Mapped[int] = mapped_column(default=0)
    theme_day: Mapped[int | None] = mapped_column()  # 主题党日 fixed day of month
    # nothing is required of a branch before it was founded (NULL: before any record)
    founded_on: Mapped[date | None] = mapped_column(Date)
    # the committee's term in years (3; 5 for village and community branches)
    committee_term_years: Mapped[int | None] = mapped_column()
    public_ranking: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])

    def in_subtree_of(self, path: str) -> bool:
        """True when this org is the org with `path` or below it."""
        return self.path.startswith(path)


OPEN_ROLE = "until IS NULL"


class OrgRole(db.Model):
    """A role held on an org by a member or a console user; grants rights on its subtree
    from `since` (inclusive; NULL: before any record) to `until` (exclusive; NULL: open).

    An ended role stays as history (who sat on the committee when); at most one open grant
    per holder, org and role.
    """

    __tablename__ = "org_roles"
    __table_args__ = (
        CheckConstraint("(member_id IS NOT NULL) OR (user_id IS NOT NULL)", name="holder_present"),
        CheckConstraint("until IS NULL OR since IS NULL OR until > since", name="until_after"),
        Index(
            "uq_org_roles_member_open",
            "org_id",
            "member_id",
            "role",
            unique=True,
            sqlite_where=text(OPEN_ROLE),
            postgresql_where=text(OPEN_ROLE),
        ),
        Index(
            "uq_org_roles_user_open",
            "org_id",
            "user_id",
            "role",
            unique=True,
            sqlite_where=text(OPEN_ROLE),
            postgresql_where=text(OPEN_ROLE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship()


class Enterprise(db.Model):
    """A park enterprise and how the Party covers it (两个覆盖)."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    staff_count: Mapped[int] = mapped_column(default=0)
    above_scale: Mapped[bool] = mapped_column(default=False)
    high_tech: Mapped[bool] = mapped_column(default=False)
    # the org whose subtree this enterprise belongs to (the park) — scopes visibility
    park_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # organisation coverage: the branch built in or covering the enterprise
    covering_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    # work coverage without a branch: an instructor or liaison is dispatched
    work_covered: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    park_org: Mapped[Organization] = relationship(foreign_keys=[park_org_id])
    covering_org: Mapped[Organization | None] = relationship(foreign_keys=[covering_org_id])
