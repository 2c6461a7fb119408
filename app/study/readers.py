"""Who read a study item: every member it reaches in the caller's scope, with their progress."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth import Principal, path_filter
from app.errors import forbidden
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.study.access import get_item, staff_can_read
from app.study.models import ReadingSession

STATE_LABELS = {"done": "已读", "reading": "在读", "none": "未读"}
STATE_ORDER = {"none": 0, "reading": 1, "done": 2}


def readers(principal: Principal, item_id: int) -> dict[str, Any]:
    """The members the item reaches (its org's subtree, within the caller's read scope) and
    whether each has read it (a completed session), started it, or not opened it."""
    item = get_item(item_id)
    if not staff_can_read(principal, item.org):
        raise forbidden("无权查看该学习内容的阅读情况")
    members = db.session.execute(
        select(Member.id, Member.name, Organization.name)
        .join(Organization, Organization.id == Member.org_id)
        .where(
            Member.is_active.is_(True),
            Organization.path.like(item.org.path + "%"),
            path_filter(Organization.path, principal.read_paths()),
        )
        .order_by(Organization.path, Member.id)
    ).all()
    progress: dict[int, tuple[str, Any]] = {}
    ids = [m[0] for m in members]
    if ids:
        for member_id, status, completed_at in db.session.execute(
            select(
                ReadingSession.member_id, ReadingSession.status, ReadingSession.completed_at
            ).where(ReadingSession.item_id == item.id, ReadingSession.member_id.in_(ids))
        ):
            state = "done" if status == "completed" else "reading"
            if STATE_ORDER[state] > STATE_ORDER[progress.get(member_id, ("none", None))[0]]:
                progress[member_id] = (state, completed_at)
    rows = []
    for member_id, name, org_name in members:
        state, at = progress.get(member_id, ("none", None))
        rows.append(
            {
                "member_id": member_id,
                "name": name,
                "org_name": org_name,
                "state": state,
                "state_label": STATE_LABELS[state],
                "completed_at": at,
            }
        )
    rows.sort(key=lambda r: -STATE_ORDER[r["state"]])
    return {
        "item_id": item.id,
        "reached": len(rows),
        "read": sum(1 for r in rows if r["state"] == "done"),
        "items": rows,
    }
