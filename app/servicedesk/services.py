"""Submitting, routing, handling, answering and rating requests; who may see what.

An anonymous request hides its submitter from everyone but the submitter and the assigned
handler: the committee's list, its exports and its reports say 匿名."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import Member
from app.org.models import Enterprise, Organization
from app.schemas import paginate
from app.servicedesk.models import (
    CLOSED,
    KIND_LABELS,
    STATUS_LABELS,
    TEAM_LABELS,
    Request,
    RequestRating,
    StaffAccount,
)
from app.timeutil import local_day

ANONYMOUS = "匿名"


def _invalid(field: str, message: str) -> APIError:
    return APIError(400, "validation_error", message, {field: [message]})


def _conflict(req: Request, action: str) -> APIError:
    return APIError(
        409,
        "request.invalid_transition",
        f"该诉求当前为“{STATUS_LABELS[req.status]}”，不能{action}",
        {"status": req.status},
    )


def _org_for(principal: Principal, enterprise: Enterprise | None) -> int:
    if enterprise is not None:
        return enterprise.covering_org_id or enterprise.park_org_id
    return principal.member_info.org_id


def _enterprise_for(principal: Principal, enterprise_id: int | None) -> Enterprise | None:
    if principal.light_info is not None:  # staff file for their own employer, always
        mine = principal.light_info.enterprise_id
        if enterprise_id not in (None, mine):
            raise _invalid("enterprise_id", "只能为本人所在企业提交")
        return db.session.get(Enterprise, mine)
    if enterprise_id is None:
        return None
    enterprise = db.session.get(Enterprise, enterprise_id)
    park = enterprise and db.session.get(Organization, enterprise.park_org_id)
    if enterprise is None or not enterprise.is_active or park is None:
        raise _invalid("enterprise_id", "企业不存在")
    if not principal.member_info.org_path.startswith(park.path):
        raise _invalid("enterprise_id", "只能选择本园区的企业")
    return enterprise


def submit(principal: Principal, data: dict[str, Any], now: datetime) -> tuple[Request, bool]:
    """File a request; a retry with the same idempotency key answers the first (created False)."""
    key = f"{principal.identity}:{data['idempotency_key']}"
    existing = db.session.scalar(select(Request).where(Request.idempotency_key == key))
    if existing is not None:
        return existing, False
    if data["kind"] == "appointment" and not data.get("team"):
        raise _invalid("team", "服务预约请选择发展服务团")
    if data["kind"] != "appointment" and data.get("team"):
        raise _invalid("team", "只有服务预约需要选择服务团")
    enterprise = _enterprise_for(principal, data.get("enterprise_id"))
    req = Request(
        kind=data["kind"],
        team=data.get("team") or None,
        title=data["title"].strip(),
        text=data["text"].strip(),
        enterprise_id=enterprise and enterprise.id,
        org_id=_org_for(principal, enterprise),
        anonymous=data["anonymous"],
        submitter_member_id=principal.member_id if principal.light_info is None else None,
        submitter_staff_id=principal.light_info and principal.light_info.id,
        idempotency_key=key,
        status="received",
        created_at=now,
        updated_at=now,
    )
    if not req.title or not req.text:
        raise _invalid("title" if not req.title else "text", "请填写标题和内容")
    try:
        with db.session.begin_nested():
            db.session.add(req)
    except IntegrityError:  # a concurrent twin with the same key won: answer it
        twin = db.session.scalar(select(Request).where(Request.idempotency_key == key))
        if twin is None:
            raise
        return twin, False
    return req, True


def _mine(principal: Principal):
    if principal.light_info is not None:
        return Request.submitter_staff_id == principal.light_info.id
    return Request.submitter_member_id == principal.member_id


def list_mine(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """The caller's own requests, newest first."""
    stmt = select(Request).where(_mine(principal)).order_by(Request.id.desc())
    page = paginate(stmt, args["page"], args["per_page"])
    page["items"] = describe_many(page["items"], principal, now)
    return page


def get_mine(principal: Principal, request_id: int, now: datetime) -> dict[str, Any]:
    """One of the caller's own requests (someone else's is a 404)."""
    req = db.session.scalar(select(Request).where(Request.id == request_id, _mine(principal)))
    if req is None:
        raise not_found("诉求")
    return describe_many([req], principal, now)[0]


def _handler_id(principal: Principal) -> int | None:
    return principal.user_info.id if principal.user_info else None


def handling_query(principal: Principal, args: dict[str, Any]):
    """Requests in the caller's read scope, or assigned to the caller as handler."""
    if not principal.is_staff and principal.user_info is None:
        raise forbidden("该功能仅限组织管理人员和办理人使用")
    stmt = select(Request).join(Organization, Organization.id == Request.org_id)
    scoped = path_filter(Organization.path, principal.read_paths())
    mine = _handler_id(principal)
    stmt = stmt.where(or_(scoped, Request.handler_user_id == mine) if mine else scoped)
    if args.get("status"):
        stmt = stmt.where(Request.status == args["status"])
    if args.get("kind"):
        stmt = stmt.where(Request.kind == args["kind"])
    if args.get("org_id"):
        org = db.session.get(Organization, args["org_id"])
        if org is None:
            raise not_found("组织")
        principal.require_read(org)
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    return stmt.order_by(Request.id.desc())


def list_handling(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """The handling inbox: newest first, filtered by status and kind."""
    page = paginate(handling_query(principal, args), args["page"], args["per_page"])
    page["items"] = describe_many(page["items"], principal, now)
    return page


def export_rows(principal: Principal, args: dict[str, Any], now: datetime) -> list[dict]:
    """Every request of the inbox's filter, as the export writes them."""
    rows = list(db.session.scalars(handling_query(principal, args).limit(10000)))
    return describe_many(rows, principal, now)


def _load(principal: Principal, request_id: int) -> Request:
    req = db.session.get(Request, request_id, with_for_update=True)
    if req is None:
        raise not_found("诉求")
    if not _may_read(principal, req):
        raise not_found("诉求")
    return req


def _may_read(principal: Principal, req: Request) -> bool:
    # by role only: being a member of the branch does not open its requests to you
    mine = _handler_id(principal)
    paths = principal.read_paths()
    in_scope = paths is None or any(req.org.path.startswith(p) for p in paths)
    return (mine is not None and req.handler_user_id == mine) or in_scope


def _may_handle(principal: Principal, req: Request) -> bool:
    mine = _handler_id(principal)
    return (mine is not None and req.handler_user_id == mine) or principal.can_manage_org(req.org)


def get_for_handling(principal: Principal, request_id: int, now: datetime) -> dict[str, Any]:
    """One request in the caller's scope or assigned to them."""
    return describe_many([_load(principal, request_id)], principal, now)[0]


def route(principal: Principal, request_id: int, data: dict[str, Any], now: datetime) -> Request:
    """The committee sends a request to a handler with a due date (again, while it is open)."""
    req = _load(principal, request_id)
    principal.require_manage(req.org)
    if req.status in CLOSED:
        raise _conflict(req, "再转交办理")
    handler = db.session.get(User, data["handler_user_id"])
    if handler is None or not handler.is_active:
        raise _invalid("handler_user_id", "办理人不存在或已停用")
    if data["due_on"] < local_day(now):
        raise _invalid("due_on", "办结期限不能早于今天")
    req.handler_user_id = handler.id
    req.due_on = data["due_on"]
    req.routed_at = now
    req.routed_by_user_id = _handler_id(principal)
    req.updated_at = now
    db.session.flush()
    return req


def start(principal: Principal, request_id: int, now: datetime) -> Request:
    """received → in progress (the handler, or whoever manages its org)."""
    req = _load(principal, request_id)
    if not _may_handle(principal, req):
        raise forbidden("只有办理人或园区党委可以办理该诉求")
    if req.status != "received":
        raise _conflict(req, "开始办理")
    if req.handler_user_id is None:
        raise APIError(
            409, "request.not_routed", "请先指定办理人和办结期限", {"status": req.status}
        )
    req.status = "in_progress"
    req.started_at = now
    req.updated_at = now
    db.session.flush()
    return req


def answer(principal: Principal, request_id: int, data: dict[str, Any], now: datetime) -> Request:
    """in progress → resolved / declined, with the written answer the submitter reads."""
    req = _load(principal, request_id)
    if not _may_handle(principal, req):
        raise forbidden("只有办理人或园区党委可以答复该诉求")
    if req.status != "in_progress":
        raise _conflict(req, "答复（请先开始办理）" if req.status == "received" else "再次答复")
    text = data["answer"].strip()
    if not text:
        raise _invalid("answer", "请填写答复内容")
    req.status = data["outcome"]
    req.answer = text
    req.answered_at = now
    req.answered_by = _who(principal)
    req.updated_at = now
    db.session.flush()
    return req


def _who(principal: Principal) -> str:
    if principal.user_info:
        return principal.user_info.display_name or principal.user_info.username
    return principal.member_info.name if principal.member_info else ""


def rate(principal: Principal, request_id: int, data: dict[str, Any], now: datetime) -> Request:
    """The submitter rates the answer 1–5, once (the rating's unique key)."""
    req = db.session.scalar(
        select(Request).where(Request.id == request_id, _mine(principal)).with_for_update()
    )
    if req is None:
        raise not_found("诉求")
    if req.status not in CLOSED:
        raise _conflict(req, "评价（答复后才能评价）")
    rated = APIError(409, "request.already_rated", "您已评价过该诉求")
    if db.session.scalar(select(RequestRating.id).where(RequestRating.request_id == req.id)):
        raise rated
    try:
        with db.session.begin_nested():
            db.session.add(
                RequestRating(
                    request_id=req.id,
                    score=data["score"],
                    comment=data["comment"].strip(),
                    created_at=now,
                )
            )
    except IntegrityError as exc:  # a concurrent twin rated first
        raise rated from exc
    return req


def is_overdue(req: Request, today: date) -> bool:
    """Past its due date and not answered by then."""
    return overdue(req.due_on, req.answered_at, today)


def overdue(due_on: date | None, answered_at: datetime | None, today: date) -> bool:
    """Past `due_on` and not answered by then (the report reads plain columns)."""
    if due_on is None:
        return False
    if answered_at is not None:
        return local_day(answered_at) > due_on
    return today > due_on


def describe_many(rows: list[Request], principal: Principal, now: datetime) -> list[dict]:
    """Requests as the caller may see them (an anonymous submitter only to self and handler)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    ratings = {
        r.request_id: r
        for r in db.session.scalars(select(RequestRating).where(RequestRating.request_id.in_(ids)))
    }
    members = _names(Member, {r.submitter_member_id for r in rows})
    staff = _names(StaffAccount, {r.submitter_staff_id for r in rows})
    users = {
        u.id: u.display_name or u.username
        for u in db.session.scalars(
            select(User).where(User.id.in_({r.handler_user_id for r in rows} - {None}))
        )
    }
    today, me = local_day(now), _handler_id(principal)
    out = []
    for r in rows:
        own = (
            r.submitter_staff_id is not None and r.submitter_staff_id == _light_id(principal)
        ) or (r.submitter_member_id is not None and r.submitter_member_id == principal.member_id)
        shown = own or not r.anonymous or (me is not None and r.handler_user_id == me)
        rating = ratings.get(r.id)
        out.append(
            {
                "id": r.id,
                "kind": r.kind,
                "kind_label": KIND_LABELS[r.kind],
                "team": r.team,
                "team_label": TEAM_LABELS.get(r.team or "", ""),
                "title": r.title,
                "text": r.text,
                "enterprise_id": r.enterprise_id,
                "enterprise_name": r.enterprise.name if r.enterprise else "",
                "org_id": r.org_id,
                "org_name": r.org.name,
                "anonymous": r.anonymous,
                "submitter_name": (
                    members.get(r.submitter_member_id) or staff.get(r.submitter_staff_id) or ""
                )
                if shown
                else ANONYMOUS,
                "submitter_kind": ("staff" if r.submitter_staff_id else "member")
                if shown
                else None,
                "status": r.status,
                "status_label": STATUS_LABELS[r.status],
                "handler_user_id": r.handler_user_id,
                "handler_name": users.get(r.handler_user_id, ""),
                "due_on": r.due_on,
                "overdue": is_overdue(r, today),
                "created_at": r.created_at,
                "routed_at": r.routed_at,
                "started_at": r.started_at,
                "answer": r.answer,
                "answered_at": r.answered_at,
                "answered_by": r.answered_by or "",
                "rating": {"score": rating.score, "comment": rating.comment} if rating else None,
            }
        )
    return out


def _light_id(principal: Principal) -> int | None:
    return principal.light_info.id if principal.light_info else None


def _names(model, ids: set[int | None]) -> dict[int, str]:
    ids = ids - {None}
    if not ids:
        return {}
    return {row.id: row.name for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def options(principal: Principal) -> dict[str, Any]:
    """What the filing form offers: kinds, the service teams, the enterprises one may name."""
    if principal.light_info is not None:
        rows = [db.session.get(Enterprise, principal.light_info.enterprise_id)]
    else:
        park_id = principal.member_info.park_id
        rows = list(
            db.session.scalars(
                select(Enterprise)
                .where(Enterprise.park_org_id == park_id, Enterprise.is_active.is_(True))
                .order_by(Enterprise.name)
            )
        ) if park_id else []  # fmt: skip
    return {
        "kinds": [{"value": k, "label": v} for k, v in KIND_LABELS.items()],
        "teams": [{"value": k, "label": v} for k, v in TEAM_LABELS.items()],
        "enterprises": [{"id": e.id, "name": e.name} for e in rows if e is not None],
        "account": "staff" if principal.light_info else "member",
        "name": principal.light_info.name if principal.light_info else principal.member_info.name,
    }


def handlers(principal: Principal) -> list[dict[str, Any]]:
    """Users the caller may route to: those holding a role in the caller's managed subtree."""
    from app.org.models import OrgRole

    if not principal.is_staff:
        raise forbidden("该功能仅限组织管理人员使用")
    stmt = (
        select(User)
        .join(OrgRole, OrgRole.user_id == User.id)
        .join(Organization, Organization.id == OrgRole.org_id)
        .where(User.is_active.is_(True), path_filter(Organization.path, principal.manage_paths()))
        .distinct()
        .order_by(User.id)
    )
    rows = {u.id: u for u in db.session.scalars(stmt)}
    if principal.user is not None:
        rows.setdefault(principal.user.id, principal.user)
    return [{"id": u.id, "name": u.display_name or u.username} for u in rows.values()]
