"""The attendance sheet, the live count, manual statuses, leave and make-up requests.

Stored statuses come from check-ins and manual changes; approved leave shows as `leave`
without a row of its own (a member on leave who comes anyway checks in normally); a member
with neither is `pending` until the window closes and `absent` after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError

from app.activities import expected as who
from app.activities.checkins import decorate_attendance, existing_attendance
from app.activities.leave import decorate_requests
from app.activities.models import (
    ATTENDED,
    SHEET_STATUS_LABELS,
    Activity,
    Attendance,
    AttendanceRequest,
)
from app.activities.services import (
    decorate,
    expected_condition,
    get_activity,
    is_expected,
    require_staff_read,
    valid_id,
)
from app.audit import services as audit
from app.auth import Principal
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.members.models import STATUS_LABELS, Member
from app.org.models import Organization
from app.points import services as points

LIVE_LATEST = 10
ATTENDANCE_POINT_ACTIONS = ("attendance_present", "attendance_late", "attendance_adjust")
KIND_LABELS = {"leave": "请假", "makeup": "补签"}


def rate(attended: int, expected: int, leave: int) -> float | None:
    """(present + late + makeup) / (expected − leave); None when nobody is counted."""
    base = expected - leave
    return round(attended / base, 4) if base > 0 else None


def _approved_leave(activity_id: int) -> dict[int, AttendanceRequest]:
    rows = db.session.scalars(
        select(AttendanceRequest).where(
            AttendanceRequest.activity_id == activity_id,
            AttendanceRequest.kind == "leave",
            AttendanceRequest.status == "approved",
        )
    )
    return {r.member_id: r for r in rows}


def derived_status(
    activity: Activity, row: Attendance | None, on_leave: bool, now: datetime
) -> str:
    """The sheet status: the stored one, else leave, else absent once the window closed."""
    if row is not None:
        return row.status
    if on_leave:
        return "leave"
    return "absent" if now >= activity.checkin_closes_at else "pending"


# --- the sheet -------------------------------------------------------------------------------


def attendance_sheet(principal: Principal, activity_id: int, now: datetime) -> dict[str, Any]:
    """Every expected attendee with a status; counts, rate, and the quorum of a 党员大会."""
    activity = get_activity(activity_id)
    require_staff_read(principal, activity.org)
    expected_rows = who.attendees(activity)
    members = [m for m, _ in expected_rows]
    pair = {m.id: p for m, p in expected_rows}
    rows = {
        r.member_id: r
        for r in db.session.scalars(select(Attendance).where(Attendance.activity_id == activity.id))
    }
    seen = {m.id for m in members}
    # members who attended but have since moved away or left still belong on the sheet
    extra = [rows[i].member for i in rows if i not in seen]
    leaves = _approved_leave(activity.id)
    counts = dict.fromkeys(SHEET_STATUS_LABELS, 0)
    items = []
    for member in [*members, *extra]:
        row = rows.get(member.id)
        status = derived_status(activity, row, member.id in leaves, now)
        counts[status] += 1
        leave = leaves.get(member.id)
        # the status and org the member had on the day (the snapshot), not today's
        was = pair[member.id].member_status if member.id in pair else member.status
        org = db.session.get(Organization, pair[member.id].org_id) if member.id in pair else None
        items.append(
            {
                "member_id": member.id,
                "name": member.name,
                "org_id": (org or member.org).id,
                "org_name": (org or member.org).name,
                "member_status": was,
                "member_status_label": STATUS_LABELS[was],
                "status": status,
                "status_label": SHEET_STATUS_LABELS[status],
                "checked_in_at": row.checked_in_at if row else None,
                "method": row.method if row else None,
                "flags": (["new_device"] if row and row.new_device else []),
                "reason": (row.reason if row else None) or (leave.reason if leave else None),
                "leave_request_id": leave.id if leave else None,
            }
        )
    expected = len(items)
    attended = sum(counts[s] for s in ATTENDED)
    return {
        "activity": decorate([activity], now)[0],
        "expected": expected,
        "counts": counts,
        "attended": attended,
        "rate": rate(attended, expected, counts["leave"]),
        "quorum": _quorum(activity, pair, items),
        "items": items,
    }


def _quorum(activity: Activity, pairs: dict[int, Any], items: list[dict]) -> dict | None:
    """Art. 11: quorate when present full members exceed half of the expected voters.

    Voters are the expected members who were full and not excused on the day (the
    snapshot's right); approved leave still counts as an expected voter.
    """
    if activity.type != "general_meeting":
        return None
    voters = [i for i in items if i["member_id"] in pairs and pairs[i["member_id"]].voter]
    present = sum(1 for i in voters if i["status"] in ATTENDED)
    expected = len(voters)
    return {
        "expected_voters": expected,
        "present_voters": present,
        "required": expected // 2 + 1,
        "quorate": expected > 0 and present * 2 > expected,
    }


def live(principal: Principal, activity_id: int, now: datetime) -> dict[str, Any]:
    """The projector's poll: counts and the latest arrivals, in four small queries."""
    activity = get_activity(activity_id)
    require_staff_read(principal, activity.org)
    return live_counts(activity, now)


def live_counts(activity: Activity, now: datetime) -> dict[str, Any]:
    """Counts and the latest arrivals of an activity (callers check who may see them)."""
    expected = db.session.scalar(
        select(func.count(Member.id))
        .join(Organization, Organization.id == Member.org_id)
        .where(expected_condition(activity))
    )
    counts = dict.fromkeys(("present", "late", "leave", "absent", "makeup"), 0)
    for status, n in db.session.execute(
        select(Attendance.status, func.count())
        .where(Attendance.activity_id == activity.id)
        .group_by(Attendance.status)
    ):
        counts[status] = n
    counts["leave"] += db.session.scalar(
        select(func.count(AttendanceRequest.id)).where(
            AttendanceRequest.activity_id == activity.id,
            AttendanceRequest.kind == "leave",
            AttendanceRequest.status == "approved",
            ~exists().where(
                Attendance.activity_id == activity.id,
                Attendance.member_id == AttendanceRequest.member_id,
            ),
        )
    )
    latest = db.session.execute(
        select(Attendance.member_id, Member.name, Attendance.status, Attendance.checked_in_at)
        .join(Member, Member.id == Attendance.member_id)
        .where(Attendance.activity_id == activity.id, Attendance.checked_in_at.is_not(None))
        .order_by(Attendance.checked_in_at.desc(), Attendance.id.desc())
        .limit(LIVE_LATEST)
    ).all()
    attended = counts["present"] + counts["late"] + counts["makeup"]
    return {
        "activity_id": activity.id,
        "title": activity.title,
        "phase": decorate([activity], now)[0].phase,
        "checkin_closes_at": activity.checkin_closes_at,
        "expected": expected,
        "present": counts["present"],
        "late": counts["late"],
        "leave": counts["leave"],
        "checked_in": counts["present"] + counts["late"],
        "rate": rate(attended, expected, counts["leave"]),
        "latest": [
            {
                "member_id": r.member_id,
                "name": r.name,
                "status": r.status,
                "status_label": SHEET_STATUS_LABELS[r.status],
                "checked_in_at": r.checked_in_at,
            }
            for r in latest
        ],
        "now": now,
    }


# --- manual statuses ---------------------------------------------------------------------------


def _require_marker(principal: Principal, activity: Activity, member: Member | None) -> None:
    """Managers of the hosting org, or of the member's own org, may mark and decide."""
    if principal.can_manage_org(activity.org):
        return
    if member is not None and principal.can_manage_org(member.org):
        return
    raise forbidden("无权修改该活动的考勤")


def _sync_points(activity: Activity, member_id: int, status: str, key: str, now: datetime):
    """Bring the member's attendance points for this activity in line with the new status."""
    want = {
        "present": points.rule_points("attendance_present"),
        "late": points.rule_points("attendance_late"),
    }.get(status, 0)
    have = points.source_total(member_id, "activity", activity.id, list(ATTENDANCE_POINT_ACTIONS))
    points.adjust(
        member_id,
        want - have,
        action="attendance_adjust",
        source_type="activity",
        source_id=activity.id,
        idempotency_key=key,
        reason=f"考勤调整：{activity.title}"[:200],
        now=now,
    )


def _apply_status(
    principal: Principal,
    activity: Activity,
    member: Member,
    status: str,
    reason: str,
    now: datetime,
    action: str,
) -> Attendance:
    """Set a member's stored status, write the audit row and re-balance the points."""
    row = existing_attendance(activity.id, member.id)
    old = derived_status(activity, row, member.id in _approved_leave(activity.id), now)
    if row is None:
        row = Attendance(
            activity_id=activity.id,
            member_id=member.id,
            status=status,
            method="manual",
            created_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # the member checked in at this very moment
            row = existing_attendance(activity.id, member.id)
            if row is None:
                raise
            old = row.status
    elif row.status == status:
        return decorate_attendance([row])[0]
    row.status = status
    row.method = "manual"
    row.reason = reason[:200]
    row.recorded_by_user_id = principal.user.id if principal.user else None
    row.recorded_by_member_id = principal.member_id
    row.updated_at = now
    db.session.flush()
    entry = audit.record(
        principal,
        action=action,
        entity_type="attendance",
        entity_id=row.id,
        org_id=activity.org_id,
        activity_id=activity.id,
        member_id=member.id,
        field="status",
        old=old,
        new=status,
        reason=reason,
        now=now,
    )
    _sync_points(activity, member.id, status, f"attendance-adjust:{entry.id}", now)
    return decorate_attendance([row])[0]


def _published(activity: Activity) -> None:
    if activity.status == "cancelled":
        raise APIError(409, "activity.cancelled", "活动已取消")
    if activity.status != "published":
        raise APIError(409, "activity.not_published", "活动尚未发布")


def set_status(
    principal: Principal, activity_id: int, member_id: int, data: dict[str, Any], now: datetime
) -> Attendance:
    """The secretary sets any status with a reason (补签, correcting a mistake …). Audited."""
    activity = get_activity(activity_id)
    member = db.session.get(Member, member_id) if valid_id(member_id) else None
    if member is None:
        raise not_found("党员")
    _require_marker(principal, activity, member)
    _published(activity)
    if now >= activity.checkin_closes_at:
        # 补录 after the window (e.g. from the paper sheet): the list is fixed as of its day
        who.fix_attendees(activity, now)
    if existing_attendance(activity.id, member.id) is None and not is_expected(activity, member):
        raise APIError(409, "activity.not_expected", "该党员不是本次活动的参加对象")
    return _apply_status(
        principal, activity, member, data["status"], data["reason"], now, "attendance.set_status"
    )


def decide(
    principal: Principal, request_id: int, data: dict[str, Any], now: datetime
) -> AttendanceRequest:
    """Approve or reject a pending request. Audited; an approved make-up marks `makeup`."""
    request_row = (
        db.session.get(AttendanceRequest, request_id, with_for_update=True)
        if valid_id(request_id)
        else None
    )  # locked: two secretaries deciding at once see each other's decision
    if request_row is None:
        raise not_found("申请")
    activity, member = request_row.activity, request_row.member
    _require_marker(principal, activity, member)
    if request_row.status != "pending":
        raise APIError(
            409,
            "leave.already_decided",
            "该申请已处理",
            {"status": request_row.status},
        )
    if data["approve"] and activity.status == "cancelled":
        raise APIError(409, "activity.cancelled", "活动已取消")
    new = "approved" if data["approve"] else "rejected"
    note = data.get("note") or ""
    request_row.status = new
    request_row.decided_at = now
    request_row.decided_by_user_id = principal.user.id if principal.user else None
    request_row.decided_by_member_id = principal.member_id
    request_row.decision_note = note
    db.session.flush()
    audit.record(
        principal,
        action=f"{request_row.kind}.decide",
        entity_type="attendance_request",
        entity_id=request_row.id,
        org_id=activity.org_id,
        activity_id=activity.id,
        member_id=member.id,
        field="status",
        old="pending",
        new=new,
        reason=note,
        now=now,
    )
    if data["approve"]:
        row = existing_attendance(activity.id, member.id)
        reason = f"{KIND_LABELS[request_row.kind]}申请：{request_row.reason}"
        if request_row.kind == "makeup" and (row is None or row.status not in ATTENDED):
            _apply_status(principal, activity, member, "makeup", reason, now, "makeup.approve")
        elif request_row.kind == "leave" and row is not None and row.status == "absent":
            _apply_status(principal, activity, member, "leave", reason, now, "leave.approve")
    return decorate_requests([request_row])[0]


def member_statuses(
    member: Member, activities: list[Activity], now: datetime
) -> dict[int, dict[str, Any]]:
    """The member's own status at several activities (for the home screen), in two queries."""
    ids = [a.id for a in activities]
    if not ids:
        return {}
    rows = {
        r.activity_id: r
        for r in db.session.scalars(
            select(Attendance).where(
                Attendance.member_id == member.id, Attendance.activity_id.in_(ids)
            )
        )
    }
    requests: dict[int, AttendanceRequest] = {}
    for r in db.session.scalars(
        select(AttendanceRequest)
        .where(
            and_(
                AttendanceRequest.member_id == member.id,
                AttendanceRequest.activity_id.in_(ids),
                AttendanceRequest.status.in_(("pending", "approved")),
            )
        )
        .order_by(AttendanceRequest.id)
    ):
        requests[r.activity_id] = r
    out = {}
    for a in activities:
        req = requests.get(a.id)
        on_leave = req is not None and req.kind == "leave" and req.status == "approved"
        status = derived_status(a, rows.get(a.id), on_leave, now)
        out[a.id] = {
            "status": status,
            "status_label": SHEET_STATUS_LABELS[status],
            "checked_in_at": rows[a.id].checked_in_at if a.id in rows else None,
            "request": None
            if req is None
            else {"id": req.id, "kind": req.kind, "status": req.status},
        }
    return out
