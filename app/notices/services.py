"""Posting notices to an audience, the member's list, reading and confirming (exactly once
per member through the unique receipt), read counts, and the one reminder a sender may send."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import case, func, insert, or_, select, update

from app.audit.services import actor_name
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.notices.models import Notice, NoticeReceipt
from app.notify.services import Reminder, write_reminder
from app.org.models import Organization
from app.org.services import get_org
from app.schemas import paginate
from app.timeutil import local_day

# CommonMark without raw HTML: a notice cannot carry script or markup of its own
_markdown = MarkdownIt("commonmark", {"html": False})
BATCH = 1000


def render(body: str) -> str:
    """The notice's Markdown as safe HTML."""
    return _markdown.render(body or "")


def _audience_ids(principal: Principal, org: Organization, data: dict[str, Any]) -> list[int]:
    active = Member.is_active.is_(True)
    if data["audience"] == "subtree":
        stmt = (
            select(Member.id)
            .join(Organization, Organization.id == Member.org_id)
            .where(active, Organization.path.like(org.path + "%"))
        )
    elif data["audience"] == "orgs":
        if not data.get("org_ids"):
            raise APIError(
                400, "validation_error", "请求参数有误", {"fields": {"org_ids": ["请选择组织"]}}
            )
        orgs = [get_org(i) for i in data["org_ids"]]
        if any(not principal.can_manage_org(o) for o in orgs):
            raise forbidden("只能向所管理的组织发通知")
        stmt = (
            select(Member.id)
            .join(Organization, Organization.id == Member.org_id)
            .where(active, or_(*(Organization.path.like(o.path + "%") for o in orgs)))
        )
    else:
        wanted = set(data.get("member_ids") or [])
        if not wanted:
            raise APIError(
                400, "validation_error", "请求参数有误", {"fields": {"member_ids": ["请选择党员"]}}
            )
        members = db.session.scalars(select(Member).where(Member.id.in_(wanted), active)).all()
        if len(members) != len(wanted) or any(not principal.can_manage_org(m.org) for m in members):
            raise forbidden("只能向所管理的党员发通知")
        return sorted(wanted)
    return sorted(set(db.session.scalars(stmt)))


def create_notice(principal: Principal, data: dict[str, Any], now: datetime) -> Notice:
    """Post a notice; its audience is fixed now (one receipt per member)."""
    org = get_org(data["org_id"])
    principal.require_manage(org)
    ids = _audience_ids(principal, org, data)
    if not ids:
        raise APIError(422, "notice.empty_audience", "接收范围内没有党员", {})
    notice = Notice(
        org_id=org.id,
        title=data["title"],
        body=data.get("body", ""),
        attachments=data.get("attachments", []),
        audience=data["audience"],
        audience_org_ids=data.get("org_ids", []) if data["audience"] == "orgs" else [],
        audience_member_ids=ids if data["audience"] == "members" else [],
        publish_at=data.get("publish_at") or now,
        pinned=data.get("pinned", False),
        needs_confirmation=data.get("needs_confirmation", False),
        created_by=actor_name(principal)[:64],
        created_at=now,
    )
    db.session.add(notice)
    db.session.flush()
    for start in range(0, len(ids), BATCH):
        db.session.execute(
            insert(NoticeReceipt),
            [{"notice_id": notice.id, "member_id": i} for i in ids[start : start + BATCH]],
        )
    db.session.flush()
    return with_counts([notice])[0]


def with_counts(notices: list[Notice]) -> list[Notice]:
    """Attach audience, read and confirmed counts (one GROUP BY for the page)."""
    ids = [n.id for n in notices]
    counts = (
        {
            r.notice_id: r
            for r in db.session.execute(
                select(
                    NoticeReceipt.notice_id,
                    func.count().label("audience"),
                    func.sum(case((NoticeReceipt.read_at.is_not(None), 1), else_=0)).label("read"),
                    func.sum(case((NoticeReceipt.confirmed_at.is_not(None), 1), else_=0)).label(
                        "confirmed"
                    ),
                )
                .where(NoticeReceipt.notice_id.in_(ids))
                .group_by(NoticeReceipt.notice_id)
            )
        }
        if ids
        else {}
    )
    for n in notices:
        row = counts.get(n.id)
        n.audience_count = int(row.audience) if row else 0
        n.read_count = int(row.read or 0) if row else 0
        n.confirmed_count = int(row.confirmed or 0) if row else 0
        n.unread_count = n.audience_count - n.read_count
        n.body_html = render(n.body)
    return notices


def list_sent(principal: Principal, args: dict[str, Any]) -> dict:
    """Notices of orgs in the caller's scope, pinned first, newest first, with counts."""
    stmt = (
        select(Notice)
        .join(Organization, Organization.id == Notice.org_id)
        .where(
            path_filter(Organization.path, principal.read_paths()), Notice.withdrawn_at.is_(None)
        )
    )
    if "org_id" in args:
        org = get_org(args["org_id"])
        principal.require_read(org)
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    page = paginate(
        stmt.order_by(Notice.pinned.desc(), Notice.publish_at.desc(), Notice.id.desc()),
        args["page"],
        args["per_page"],
    )
    with_counts(page["items"])
    return page


def _mine_stmt(member_id: int, now: datetime):
    return (
        select(Notice, NoticeReceipt)
        .join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
        .where(
            NoticeReceipt.member_id == member_id,
            Notice.publish_at <= now,
            Notice.withdrawn_at.is_(None),
        )
    )


def _as_mine(notice: Notice, receipt: NoticeReceipt) -> Notice:
    notice.read_at, notice.confirmed_at = receipt.read_at, receipt.confirmed_at
    notice.body_html = render(notice.body)
    return notice


def list_mine(member: Member, args: dict[str, Any], now: datetime) -> dict:
    """The member's published notices (pinned first), with their read and confirmed times."""
    stmt = _mine_stmt(member.id, now)
    if args.get("unconfirmed"):
        stmt = stmt.where(Notice.needs_confirmation.is_(True), NoticeReceipt.confirmed_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    per_page, page = args["per_page"], args["page"]
    rows = db.session.execute(
        stmt.order_by(Notice.pinned.desc(), Notice.publish_at.desc(), Notice.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "items": [_as_mine(n, r) for n, r in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "unconfirmed": unconfirmed_count(member.id, now),
    }


def unconfirmed_count_query(member_id: int, now: datetime):
    """A select counting the published notices the member is asked to confirm and has not
    (home folds it into its one counters statement)."""
    return (
        select(func.count())
        .select_from(NoticeReceipt)
        .join(Notice, Notice.id == NoticeReceipt.notice_id)
        .where(
            NoticeReceipt.member_id == member_id,
            NoticeReceipt.confirmed_at.is_(None),
            Notice.needs_confirmation.is_(True),
            Notice.publish_at <= now,
            Notice.withdrawn_at.is_(None),
        )
    )


def unconfirmed_count(member_id: int, now: datetime) -> int:
    """Published notices the member is asked to confirm and has not."""
    return db.session.scalar(unconfirmed_count_query(member_id, now))


def get_notice(principal: Principal, notice_id: int, now: datetime) -> Notice:
    """Staff in scope see it with counts; an audience member sees it and it counts as read."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.withdrawn_at is not None:
        raise not_found("通知")
    if principal.is_staff and principal.can_read_org(notice.org):
        with_counts([notice])
        receipt = _receipt(principal, notice) if principal.member else None
        notice.read_at = receipt.read_at if receipt else None
        notice.confirmed_at = receipt.confirmed_at if receipt else None
        return notice
    receipt = _receipt(principal, notice)
    if receipt is None or notice.publish_at > now:
        raise not_found("通知")
    db.session.execute(
        update(NoticeReceipt)
        .where(NoticeReceipt.id == receipt.id, NoticeReceipt.read_at.is_(None))
        .values(read_at=now)
    )
    db.session.refresh(receipt)
    return _as_mine(notice, receipt)


def _receipt(principal: Principal, notice: Notice) -> NoticeReceipt | None:
    if principal.member is None:
        return None
    return db.session.scalar(
        select(NoticeReceipt).where(
            NoticeReceipt.notice_id == notice.id, NoticeReceipt.member_id == principal.member.id
        )
    )


def confirm(principal: Principal, notice_id: int, now: datetime) -> Notice:
    """The member confirms having read the notice; a repeat keeps the first time."""
    notice = db.session.get(Notice, notice_id)
    receipt = _receipt(principal, notice) if notice is not None else None
    if receipt is None or notice.publish_at > now or notice.withdrawn_at is not None:
        raise not_found("通知")
    if not notice.needs_confirmation:
        raise APIError(409, "notice.no_confirmation", "该通知无需确认", {})
    # one conditional UPDATE: of two concurrent confirmations only the first sets the time
    db.session.execute(
        update(NoticeReceipt)
        .where(NoticeReceipt.id == receipt.id, NoticeReceipt.confirmed_at.is_(None))
        .values(confirmed_at=now, read_at=func.coalesce(NoticeReceipt.read_at, now))
    )
    db.session.refresh(receipt)
    return _as_mine(notice, receipt)


def _managed(principal: Principal, notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None or not principal.is_staff or not principal.can_read_org(notice.org):
        raise not_found("通知")
    principal.require_manage(notice.org)
    return notice


def receipts(principal: Principal, notice_id: int) -> dict[str, Any]:
    """Counts and who has not read or not confirmed (the sender's view)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or not principal.is_staff or not principal.can_read_org(notice.org):
        raise not_found("通知")
    with_counts([notice])
    rows = db.session.execute(
        select(Member.id, Member.name, Organization.name.label("org_name"), NoticeReceipt)
        .join(NoticeReceipt, NoticeReceipt.member_id == Member.id)
        .join(Organization, Organization.id == Member.org_id)
        .where(NoticeReceipt.notice_id == notice.id)
        .order_by(Organization.path, Member.id)
    ).all()
    people = [
        {
            "member_id": r.id,
            "name": r.name,
            "org_name": r.org_name,
            "read_at": r.NoticeReceipt.read_at,
            "confirmed_at": r.NoticeReceipt.confirmed_at,
        }
        for r in rows
    ]
    return {
        "notice_id": notice.id,
        "title": notice.title,
        "needs_confirmation": notice.needs_confirmation,
        "audience": notice.audience_count,
        "read": notice.read_count,
        "unread": notice.unread_count,
        "confirmed": notice.confirmed_count,
        "reminded_at": notice.reminded_at,
        "not_read": [p for p in people if p["read_at"] is None],
        "not_confirmed": [p for p in people if p["confirmed_at"] is None]
        if notice.needs_confirmation
        else [],
    }


def update_notice(principal: Principal, notice_id: int, data: dict[str, Any], now) -> Notice:
    """Pin or unpin, or withdraw a notice."""
    notice = _managed(principal, notice_id)
    if "pinned" in data:
        notice.pinned = data["pinned"]
    if data.get("withdrawn"):
        notice.withdrawn_at = notice.withdrawn_at or now
    db.session.flush()
    return with_counts([notice])[0]


def remind(principal: Principal, notice_id: int, now: datetime) -> dict[str, Any]:
    """Remind those who have not confirmed (or not read) — once per notice."""
    notice = _managed(principal, notice_id)
    if notice.publish_at > now:
        raise APIError(409, "notice.not_published", "通知尚未发布", {})
    taken = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.reminded_at.is_(None))
        .values(reminded_at=now)
    ).rowcount
    if not taken:
        raise APIError(409, "notice.already_reminded", "已提醒过一次", {})
    pending = NoticeReceipt.confirmed_at if notice.needs_confirmation else NoticeReceipt.read_at
    ids = list(
        db.session.scalars(
            select(NoticeReceipt.member_id).where(
                NoticeReceipt.notice_id == notice.id, pending.is_(None)
            )
        )
    )
    added = write_reminder(
        Reminder(
            kind="notice_remind",
            cause=f"notice:{notice.id}",
            day=local_day(notice.publish_at),
            title="请确认通知" if notice.needs_confirmation else "您有未读通知",
            body=notice.title,
            member_ids=ids,
            data={"notice_id": notice.id, "page": f"pages/notice/detail?id={notice.id}"},
        ),
        now,
    )
    return {"notice_id": notice.id, "reminded": added, "reminded_at": now}


def announce_due(now: datetime) -> list[Reminder]:
    """Scheduler rule: notices whose time has come → every audience member's inbox, once."""
    due = db.session.scalars(
        select(Notice)
        .where(
            Notice.announced_at.is_(None),
            Notice.publish_at <= now,
            Notice.publish_at > now - timedelta(days=7),  # never flood with old notices
            Notice.withdrawn_at.is_(None),
        )
        .order_by(Notice.id)
    ).all()
    out = []
    for notice in due:
        notice.announced_at = now  # committed with the inbox rows by the tick
        ids = db.session.scalars(
            select(NoticeReceipt.member_id).where(NoticeReceipt.notice_id == notice.id)
        ).all()
        out.append(
            Reminder(
                kind="notice",
                cause=f"notice:{notice.id}",
                day=local_day(notice.publish_at),
                title="新通知" + ("（请确认）" if notice.needs_confirmation else ""),
                body=notice.title,
                member_ids=ids,
                data={"notice_id": notice.id, "page": f"pages/notice/detail?id={notice.id}"},
            )
        )
    return out


RULES = [announce_due]
