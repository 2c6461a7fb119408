"""Who may post study items and who may open them: the role rule and the scope conditions.

Kept apart from the item services so the quiz, the reader and the importer can ask these
questions without importing the services that in turn use them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.auth import MemberInfo, Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.points.scope import path_ids
from app.study.models import StudyItem

MAX_ID = 2**31 - 1
POST_ROLE = "publicity"  # 宣传委员 posts study content besides the managing roles


def post_paths(principal: Principal) -> list[str] | None:
    """Subtrees the caller may post study content in (None: everywhere, for the admin)."""
    if principal.is_admin:
        return None
    return [g.org_path for g in principal.grants if g.manages or g.role == POST_ROLE]


def can_post(principal: Principal, org: Organization) -> bool:
    """Managers (书记 …, the committee for the park) and 宣传委员 of the org or above it."""
    paths = post_paths(principal)
    return paths is None or any(org.path.startswith(p) for p in paths)


def require_post(principal: Principal, org: Organization) -> None:
    """403 unless the caller may post study content for `org`'s subtree."""
    if not can_post(principal, org):
        raise forbidden("无权为该组织发布学习内容")


def staff_can_read(principal: Principal, org: Organization) -> bool:
    """A role over the org (any role) or the admin: sees scheduled items too."""
    paths = principal.read_paths()
    return paths is None or any(org.path.startswith(p) for p in paths)


def _staff_reads_item(principal: Principal, item: StudyItem) -> bool:
    """staff_can_read for the item's org, loading the org only for a caller with roles."""
    paths = principal.read_paths()
    return paths is None or (bool(paths) and staff_can_read(principal, item.org))


def scope_ids(member: Member | MemberInfo) -> list[int]:
    """The member's org and every org above it: items posted to any of them reach the member."""
    return path_ids(member.org_path if isinstance(member, MemberInfo) else member.org.path)


def member_visible(member: Member, now: datetime):
    """SQL condition on StudyItem: published, active, posted to the member's org or above."""
    return (
        StudyItem.is_active.is_(True)
        & StudyItem.org_id.in_(scope_ids(member))
        & (StudyItem.publish_at <= now)
    )


def staff_visible(principal: Principal):
    """SQL condition on StudyItem: in a subtree the caller holds a role over (scheduled too)."""
    orgs = select(Organization.id).where(path_filter(Organization.path, principal.read_paths()))
    return StudyItem.is_active.is_(True) & StudyItem.org_id.in_(orgs)


def get_item(item_id: int) -> StudyItem:
    """An active item by id, or 404."""
    item = db.session.get(StudyItem, item_id) if 0 < item_id <= MAX_ID else None
    if item is None or not item.is_active:
        raise not_found("学习内容")
    return item


def _not_published(item: StudyItem) -> APIError:
    from app.timeutil import to_local

    return APIError(
        404,
        "study.not_published",
        "该学习内容尚未发布",
        {"publish_at": to_local(item.publish_at).isoformat()},
    )


def readable_item(principal: Principal, item_id: int, now: datetime) -> StudyItem:
    """An item the caller may open: staff over its org (even scheduled), or a member it reaches
    once published (before: 404 `study.not_published`)."""
    item = get_item(item_id)
    if _staff_reads_item(principal, item):
        return item
    member = principal.member_info  # the cached profile: its org path is all this needs
    if member is None or item.org_id not in scope_ids(member):
        raise not_found("学习内容")
    if item.publish_at > now:
        raise _not_published(item)
    return item


def studyable_item(
    principal: Principal, item_id: int, now: datetime
) -> tuple[MemberInfo, StudyItem]:
    """The member (the principal's cached profile) and a published item that reaches them
    (reading and answering)."""
    member = principal.member_info
    if member is None:
        raise APIError(403, "auth.member_required", "该功能仅限已绑定的党员使用")
    item = get_item(item_id)
    if item.org_id not in scope_ids(member):
        raise not_found("学习内容")
    if item.publish_at > now:
        raise _not_published(item)
    return member, item
