"""Who may post study items and who may open them: the role rule and the scope conditions.

Kept apart from the item services so the quiz, the reader and the importer can ask these
questions without importing the services that in turn use them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app import versions
from app.auth import MemberInfo, Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.points.scope import path_ids
from app.study.models import QuizQuestion, StudyItem

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


def _staff_reads_item(principal: Principal, item: ItemSnapshot) -> bool:
    """staff_can_read for the item's org (from its path)."""
    paths = principal.read_paths()
    return paths is None or any(item.org_path.startswith(p) for p in paths)


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


def question_counts(ids: list[int]) -> dict[int, int]:
    """Active questions per item (items without any are absent)."""
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(QuizQuestion.item_id, func.count())
            .where(QuizQuestion.item_id.in_(ids), QuizQuestion.active.is_(True))
            .group_by(QuizQuestion.item_id)
        ).all()
    )


# the columns an item's readers use: its page, starting, completing and answering it
_SNAPSHOT_COLUMNS = (
    "id",
    "kind",
    "title",
    "summary",
    "body",
    "org_id",
    "publish_at",
    "minutes",
    "media_url",
    "is_active",
    "created_at",
    "updated_at",
)
_SNAPSHOTS = versions.VersionedCache(4096)


class ItemSnapshot:
    """An active item as its readers see it, kept per worker at the study and org versions (an
    edit of the item, its tags or questions, or of the org tree moves them in its transaction).
    Each request gets its own copy: the page decorates it."""

    def __init__(self, values: dict, shared: dict):
        self.__dict__.update(values)
        self.shared = shared  # org name, tags and question count (app.study.services.detail)
        self.tags = list(shared["tags"])


def item_snapshot(item_id: int) -> ItemSnapshot:
    """An active item for reading (its page, start, complete, a lesson's answers), or 404;
    read from the database only when the study or org version moved."""
    if not 0 < item_id <= MAX_ID:
        raise not_found("学习内容")
    version = versions.current(versions.STUDY, versions.ORGS)
    found = _SNAPSHOTS.get(item_id, version)
    if found is None:
        item = get_item(item_id)
        found = (
            {name: getattr(item, name) for name in _SNAPSHOT_COLUMNS} | {"org_path": item.org.path},
            {
                "org_name": item.org.name,
                "tags": tuple(item.tags),
                "question_count": question_counts([item.id]).get(item.id, 0),
            },
        )
        _SNAPSHOTS.put(item_id, version, found)
    return ItemSnapshot(*found)


def _not_published(item: StudyItem | ItemSnapshot) -> APIError:
    from app.timeutil import to_local

    return APIError(
        404,
        "study.not_published",
        "该学习内容尚未发布",
        {"publish_at": to_local(item.publish_at).isoformat()},
    )


def readable_item(principal: Principal, item_id: int, now: datetime) -> ItemSnapshot:
    """An item the caller may open: staff over its org (even scheduled), or a member it reaches
    once published (before: 404 `study.not_published`)."""
    item = item_snapshot(item_id)
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
) -> tuple[MemberInfo, ItemSnapshot]:
    """The member (the principal's cached profile) and a published item that reaches them
    (reading and answering)."""
    member = principal.member_info
    if member is None:
        raise APIError(403, "auth.member_required", "该功能仅限已绑定的党员使用")
    item = item_snapshot(item_id)
    if item.org_id not in scope_ids(member):
        raise not_found("学习内容")
    if item.publish_at > now:
        raise _not_published(item)
    return member, item
