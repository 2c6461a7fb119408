"""Study items: who may post them, who sees them and when, the list, today's list, progress.

Bodies are Markdown rendered by the mini-program; the server stores them as text and refuses
raw HTML tags and script links on the way in (no HTML is ever produced here, so there is
nothing to sanitise on the way out).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from app.auth import Principal
from app.errors import APIError
from app.extensions import db
from app.members.models import Member
from app.org.services import get_org
from app.points.models import PointLedger
from app.schemas import paginate
from app.study.access import (
    ItemSnapshot,
    get_item,
    item_snapshot,
    member_visible,
    question_counts,
    require_post,
    scope_ids,
    staff_visible,
)
from app.study.models import (
    ITEM_KIND_LABELS,
    SOURCE,
    LessonAttempt,
    ReadingSession,
    StudyItem,
    StudyItemTag,
)
from app.study.progress import progress_entry, progress_of
from app.timeutil import local_day, local_midnight

_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")
_SCRIPT_LINK = re.compile(
    r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)\s*(javascript|vbscript|data|file):", re.I | re.M
)


def markdown_problem(text: str) -> str | None:
    """Why a Markdown text is refused (raw HTML, script links), or None when it is fine."""
    if _HTML_TAG.search(text):
        return "正文不能包含 HTML 标签，请使用 Markdown 排版"
    if _SCRIPT_LINK.search(text):
        return "链接只能使用 http(s) 地址"
    return None


# --- thresholds -----------------------------------------------------------------------------


def required_seconds(item: StudyItem) -> int:
    """Dwell after which a reading counts: 60 s for a brief, 60 % of the stated minutes else."""
    cfg = current_app.config
    if item.kind == "morning_brief":
        return int(cfg["STUDY_BRIEF_MIN_SECONDS"])
    return math.ceil(item.minutes * 60 * float(cfg["STUDY_LESSON_MIN_FRACTION"]))


def default_minutes(kind: str) -> int:
    """Stated minutes when the poster gives none (a brief is 晨会5分钟)."""
    cfg = current_app.config
    return int(
        cfg["STUDY_BRIEF_MINUTES"] if kind == "morning_brief" else cfg["STUDY_ARTICLE_MINUTES"]
    )


# --- create, change, withdraw ---------------------------------------------------------------


def _set_tags(item: StudyItem, tags: Iterable[str]) -> None:
    seen: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in seen:
            seen.append(tag)
    item.tag_rows = [StudyItemTag(tag=t, position=i) for i, t in enumerate(seen)]


def _check_kind_fields(kind: str, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if kind != "micro_lesson":
        if data.get("media_url"):
            errors["media_url"] = ["只有微课堂可以附带音视频"]
        if data.get("questions"):
            errors["questions"] = ["只有微课堂可以附带随堂测题目"]
    for field in ("body", "summary"):
        problem = markdown_problem(data.get(field) or "")
        if problem:
            errors[field] = [problem]
    if errors:
        raise APIError(400, "validation_error", "请求参数有误", {"fields": errors})


def _creator(principal: Principal) -> dict[str, int | None]:
    return {
        "created_by_user_id": principal.user.id if principal.user else None,
        "created_by_member_id": principal.member_id,
    }


def create_item(principal: Principal, data: dict[str, Any], now: datetime) -> StudyItem:
    """Post an item for an org's subtree (the park org: the whole park), visible at publish_at."""
    org = get_org(data["org_id"])
    require_post(principal, org)
    kind = data["kind"]
    if kind == "micro_lesson" and not data.get("minutes"):
        raise APIError(
            400,
            "validation_error",
            "请求参数有误",
            {"fields": {"minutes": ["微课堂须填写时长（分钟）"]}},
        )
    _check_kind_fields(kind, data)
    item = StudyItem(
        kind=kind,
        title=data["title"].strip(),
        summary=data.get("summary") or "",
        body=data.get("body") or "",
        org_id=org.id,
        org=org,
        publish_at=data.get("publish_at") or now,
        minutes=data.get("minutes") or default_minutes(kind),
        media_url=data.get("media_url") or None,
        created_at=now,
        updated_at=now,
        **_creator(principal),
    )
    _set_tags(item, data.get("tags") or [])
    db.session.add(item)
    db.session.flush()
    if data.get("questions"):
        from app.study.bank import add_lesson_questions

        add_lesson_questions(principal, item, data["questions"], now)
    return item


def update_item(
    principal: Principal, item_id: int, data: dict[str, Any], now: datetime
) -> StudyItem:
    """Change an item (re-scoping needs rights on both orgs; the kind never changes)."""
    item = get_item(item_id)
    require_post(principal, item.org)
    if "org_id" in data and data["org_id"] != item.org_id:
        org = get_org(data["org_id"])
        require_post(principal, org)
        item.org_id, item.org = org.id, org
    _check_kind_fields(item.kind, data)
    for key in ("title", "summary", "body", "publish_at", "minutes", "media_url"):
        if key in data:
            value = data[key]
            if key == "title":
                value = value.strip()
            elif key in ("summary", "body"):
                value = value or ""
            elif key == "minutes":
                value = value or default_minutes(item.kind)
            setattr(item, key, value)
    if "tags" in data:
        _set_tags(item, data["tags"] or [])
    item.updated_at = now
    db.session.flush()
    return item


def withdraw_item(principal: Principal, item_id: int, now: datetime) -> None:
    """Take an item down (soft: sessions, answers and points stay)."""
    item = get_item(item_id)
    require_post(principal, item.org)
    item.is_active = False
    item.updated_at = now
    db.session.flush()


# --- lists ------------------------------------------------------------------------------------


def _filters(stmt, args: dict[str, Any]):
    if "kind" in args:
        stmt = stmt.where(StudyItem.kind == args["kind"])
    if args.get("tag"):
        tagged = select(StudyItemTag.item_id).where(StudyItemTag.tag == args["tag"])
        stmt = stmt.where(StudyItem.id.in_(tagged))
    if args.get("q"):
        stmt = stmt.where(StudyItem.title.contains(args["q"], autoescape=True))
    if "org_id" in args:
        stmt = stmt.where(StudyItem.org_id == args["org_id"])
    return stmt


def list_items(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """What the caller may see: published items that reach the member, and (staff) every item
    in the subtrees they hold a role over, scheduled ones included. Newest first."""
    visible = []
    if principal.member is not None:
        visible.append(member_visible(principal.member, now))
    if principal.is_staff:
        visible.append(staff_visible(principal))
    if not visible:  # a console user without a role or a member profile
        return {"items": [], "page": args["page"], "per_page": args["per_page"], "total": 0}
    stmt = select(StudyItem).where(or_(*visible)).options(*_LOADS)
    stmt = _filters(stmt, args).order_by(StudyItem.publish_at.desc(), StudyItem.id.desc())
    page = paginate(stmt, args["page"], args["per_page"])
    decorate(page["items"], principal.member, now)
    return page


def today_items(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """Today's study for the member: today's morning briefs first, then the lessons and articles
    of the last STUDY_TODAY_DAYS days, each with the member's progress."""
    member = principal.member
    today = local_day(now)
    start_today = local_midnight(today)
    since = local_midnight(today - timedelta(days=current_app.config["STUDY_TODAY_DAYS"] - 1))
    brief = StudyItem.kind == "morning_brief"
    stmt = (
        select(StudyItem)
        .where(
            member_visible(member, now),
            or_(
                brief & (StudyItem.publish_at >= start_today),
                ~brief & (StudyItem.publish_at >= since),
            ),
        )
        .options(*_LOADS)
        .order_by(case((brief, 0), else_=1), StudyItem.publish_at.desc(), StudyItem.id.desc())
    )
    page = paginate(stmt, args["page"], args["per_page"])
    decorate(page["items"], member, now)
    return page


_LOADS = (selectinload(StudyItem.org), selectinload(StudyItem.tag_rows))


# --- decoration: status, counts and the member's progress -------------------------------------


def decorate(items: list[StudyItem], member: Member | None, now: datetime) -> list[StudyItem]:
    """Add display fields and, for a member, their progress (a handful of queries per page)."""
    ids = [i.id for i in items]
    counts = question_counts(ids)
    progress = _progress(member.id, items, now) if member is not None and items else {}
    for item in items:
        item.kind_label = ITEM_KIND_LABELS[item.kind]
        item.org_name = item.org.name
        item.status = "scheduled" if item.publish_at > now else "published"
        item.required_seconds = required_seconds(item)
        item.question_count = counts.get(item.id, 0)
        item.progress = progress.get(item.id)
    return items


def _progress(member_id: int, items: list[StudyItem], now: datetime) -> dict[int, dict]:
    ids = [i.id for i in items]
    sessions = db.session.scalars(
        select(ReadingSession).where(
            ReadingSession.member_id == member_id,
            ReadingSession.item_id.in_(ids),
            ReadingSession.status.in_(("open", "completed")),
        )
    )
    open_at: dict[int, datetime] = {}
    done_at: dict[int, datetime] = {}
    for s in sessions:
        if s.status == "open":
            open_at[s.item_id] = s.started_at
        elif s.item_id not in done_at or s.completed_at < done_at[s.item_id]:
            done_at[s.item_id] = s.completed_at
    earned = dict(
        db.session.execute(
            select(PointLedger.source_id, func.sum(PointLedger.delta))
            .where(
                PointLedger.member_id == member_id,
                PointLedger.source_type == SOURCE,
                PointLedger.source_id.in_(ids),
            )
            .group_by(PointLedger.source_id)
        ).all()
    )
    answered = set(
        db.session.scalars(
            select(LessonAttempt.item_id).where(
                LessonAttempt.member_id == member_id, LessonAttempt.item_id.in_(ids)
            )
        )
    )
    return {
        item.id: progress_entry(
            required_seconds(item),
            open_at.get(item.id),
            done_at.get(item.id),
            earned.get(item.id),
            item.id in answered,
            now,
        )
        for item in items
    }


def detail(principal: Principal, item: StudyItem | ItemSnapshot, now: datetime) -> ItemSnapshot:
    """One item decorated for the caller: progress, lesson questions, their graded sheet
    (the item with its org, tags and question count from the per-worker snapshot; the
    progress in one statement)."""
    from app.study.quiz import attempt_view, lesson_attempt, lesson_questions

    if isinstance(item, StudyItem):  # just created or changed: the snapshot at the new version
        item = item_snapshot(item.id)
    member = principal.member_info
    reaches = member is not None and item.org_id in scope_ids(member)
    shared = item.shared
    item.kind_label = ITEM_KIND_LABELS[item.kind]
    item.org_name = shared["org_name"]
    item.status = "scheduled" if item.publish_at > now else "published"
    item.required_seconds = required_seconds(item)
    item.question_count = shared["question_count"]
    item.progress = progress_of(member.id, item.id, item.required_seconds, now) if reaches else None
    item.questions = lesson_questions(item.id) if item.kind == "micro_lesson" else []
    answered = reaches and item.progress["answered"]
    attempt = lesson_attempt(member.id, item.id) if answered else None
    item.my_result = attempt_view(attempt) if attempt is not None else None
    return item
