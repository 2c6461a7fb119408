"""Leave (请假) and make-up (补签) requests: filed by members, listed for their secretaries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.activities.checkins import existing_attendance
from app.activities.models import (
    ATTENDED,
    REQUEST_STATUS_LABELS,
    Activity,
    AttendanceRequest,
)
from app.activities.services import (
    get_activity,
    get_readable_activity,
    is_expected,
)
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.schemas import paginate

LIVE_LATEST = 10
ATTENDANCE_POINT_ACTIONS = ("attendance_present", "attendance_late", "attendance_adjust")
KIND_LABELS = {"leave": "请假", "makeup": "补签"}


def _own_activity(principal: Principal, activity_id: int) -> tuple[Activity, Member]:
    member = principal.member
    activity = get_readable_activity(principal, activity_id)
    if activity.status == "cancelled":
        raise APIError(410, "activity.cancelled", "活动已取消")
    if not is_expected(activity, member):
        raise APIError(403, "activity.not_expected", "您不是本次活动的参加对象")
    return activity, member


def _file_request(activity: Activity, member: Member, kind: str, reason: str, now: datetime):
    request_row = AttendanceRequest(
        activity_id=activity.id,
        member_id=member.id,
        kind=kind,
        reason=reason,
        status="pending",
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(request_row)
            db.session.flush()
    except IntegrityError as exc:
        raise APIError(
            409,
            f"{kind}.duplicate",
            "您已提交过申请，请等待支部书记审批" if kind == "leave" else "您已提交过补签申请",
        ) from exc
    return decorate_requests([request_row])[0]


def request_leave(
    principal: Principal, activity_id: int, reason: str, now: datetime
) -> AttendanceRequest:
    """A member asks for leave before the activity ends (one open request per activity)."""
    activity, member = _own_activity(principal, activity_id)
    if now >= activity.ends_at:
        raise APIError(409, "leave.too_late", "活动已结束，无法请假；如已参加可申请补签")
    row = existing_attendance(activity.id, member.id)
    if row is not None and row.status in ATTENDED:
        raise APIError(409, "leave.already_checked_in", "您已签到，无需请假")
    return _file_request(activity, member, "leave", reason, now)


def request_makeup(
    principal: Principal, activity_id: int, reason: str, now: datetime
) -> AttendanceRequest:
    """A member asks for 补签 after the window closed, until MAKEUP_REQUEST_DAYS after the end."""
    activity, member = _own_activity(principal, activity_id)
    if now < activity.checkin_closes_at:
        raise APIError(409, "makeup.too_early", "签到尚未结束，请直接扫码签到")
    deadline = activity.ends_at + timedelta(days=current_app.config["MAKEUP_REQUEST_DAYS"])
    if now > deadline:
        raise APIError(
            410,
            "makeup.window_passed",
            f"活动结束已超过{current_app.config['MAKEUP_REQUEST_DAYS']}天，不能再申请补签",
        )
    row = existing_attendance(activity.id, member.id)
    if row is not None and row.status in ATTENDED:
        raise APIError(409, "makeup.not_needed", "您已有签到记录，无需补签")
    return _file_request(activity, member, "makeup", reason, now)


def list_requests(principal: Principal, args: dict[str, Any]) -> dict:
    """Requests in the caller's role scope plus their own, newest first."""
    host = aliased(Organization)
    stmt = select(AttendanceRequest).join(Activity).join(host, host.id == Activity.org_id)
    mine = AttendanceRequest.member_id == principal.member_id
    if args.get("mine") or not principal.is_staff:
        if principal.member is None:
            raise forbidden("无权查看请假申请")
        stmt = stmt.where(mine)
    else:
        member_org = select(Member.id).join(Organization, Organization.id == Member.org_id)
        in_scope = or_(
            path_filter(host.path, principal.read_paths()),
            AttendanceRequest.member_id.in_(
                member_org.where(path_filter(Organization.path, principal.read_paths()))
            ),
        )
        stmt = stmt.where(or_(in_scope, mine) if principal.member else in_scope)
    if "activity_id" in args:
        activity = get_activity(args["activity_id"])
        if not (principal.is_staff or is_expected(activity, principal.member)):
            raise forbidden("无权查看该活动")
        stmt = stmt.where(AttendanceRequest.activity_id == activity.id)
    for key in ("status", "kind", "member_id"):
        if key in args:
            stmt = stmt.where(getattr(AttendanceRequest, key) == args[key])
    page = paginate(
        stmt.order_by(AttendanceRequest.created_at.desc(), AttendanceRequest.id.desc()),
        args["page"],
        args["per_page"],
    )
    decorate_requests(page["items"])
    return page


def decorate_requests(rows: list[AttendanceRequest]) -> list[AttendanceRequest]:
    """Attach names and labels for display."""
    for row in rows:
        row.member_name = row.member.name
        row.activity_title = row.activity.title
        row.activity_starts_at = row.activity.starts_at
        row.kind_label = KIND_LABELS[row.kind]
        row.status_label = REQUEST_STATUS_LABELS[row.status]
    return rows
