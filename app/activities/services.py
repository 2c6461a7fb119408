"""Activities: create, edit, publish, cancel, list, the record; who is expected; phases."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.activities import expected, invitations, venue
from app.activities.expecting import member_expected_condition
from app.activities.models import (
    ACTIVITY_STATUS_LABELS,
    ACTIVITY_TYPE_LABELS,
    ATTENDED,
    PHASE_LABELS,
    Activity,
    Attendance,
    activity_invited_orgs,
)
from app.audit import services as audit
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found, validation_error
from app.extensions import db
from app.members.models import Member
from app.org.models import Organization
from app.org.services import get_org
from app.points import services as points
from app.schemas import paginate

MAX_DURATION = timedelta(days=7)
# what `decorate` reads, loaded in three queries for a whole page instead of three per row
DISPLAY_LOADS = (
    selectinload(Activity.org),
    selectinload(Activity.invited_orgs),
    selectinload(Activity.invited_members),
)
MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    """Whether an id from a URL could exist (out-of-range integers must not reach the engine)."""
    return 0 < value <= MAX_ID


# --- lookups and scope ---------------------------------------------------------------------


def get_activity(activity_id: int) -> Activity:
    """An activity by id, or 404."""
    activity = db.session.get(Activity, activity_id) if valid_id(activity_id) else None
    if activity is None:
        raise not_found("活动")
    return activity


def staff_can_read(principal: Principal, org: Organization) -> bool:
    """Admin, or a role (any) on the org or above it — a plain membership does not count."""
    paths = principal.read_paths()
    return paths is None or any(org.path.startswith(p) for p in paths)


def require_staff_read(principal: Principal, org: Organization) -> None:
    """403 unless the caller holds a role over the org (or is admin)."""
    if not staff_can_read(principal, org):
        raise forbidden("无权查看该组织的考勤")


def can_run_checkin(principal: Principal, activity: Activity) -> bool:
    """Managers of the hosting org, or of an invited org, may scan members in."""
    return principal.can_manage_org(activity.org) or any(
        principal.can_manage_org(o) for o in activity.invited_orgs
    )


def is_expected(activity: Activity, member: Member) -> bool:
    """Whether a member is expected (see app.activities.expected: as of the activity's day)."""
    return expected.is_expected(activity, member)


def expected_condition(activity: Activity):
    """SQL condition on Member: expected at `activity` (the one definition, as a condition)."""
    return Member.id.in_(expected.expected_ids_select(activity))


def expected_members(activity: Activity) -> list[Member]:
    """Every member expected at the activity, in org-tree order."""
    return [member for member, _ in expected.attendees(activity)]


def can_read_activity(principal: Principal, activity: Activity) -> bool:
    """Drafts: the hosting org's managers. Otherwise role holders over the host or an invited
    org, and every expected member."""
    if activity.status == "draft":
        return principal.can_manage_org(activity.org)
    if staff_can_read(principal, activity.org):
        return True
    if any(staff_can_read(principal, o) for o in activity.invited_orgs):
        return True
    return principal.member is not None and is_expected(activity, principal.member)


def get_readable_activity(principal: Principal, activity_id: int) -> Activity:
    """An activity the caller may see (404 missing, 403 out of scope)."""
    activity = get_activity(activity_id)
    if not can_read_activity(principal, activity):
        raise forbidden("无权查看该活动")
    return activity


def get_managed_activity(principal: Principal, activity_id: int) -> Activity:
    """An activity whose hosting org the caller manages (404 missing, 403 out of scope)."""
    activity = get_activity(activity_id)
    principal.require_manage(activity.org)
    return activity


# --- time ----------------------------------------------------------------------------------


def phase(activity: Activity, now: datetime) -> str:
    """upcoming → checkin_open → in_progress → ended, from the window and the times."""
    if now < activity.checkin_opens_at:
        return "upcoming"
    if now < activity.checkin_closes_at:
        return "checkin_open"
    if now < activity.ends_at:
        return "in_progress"
    return "ended"


def late_at(activity: Activity) -> datetime:
    """From this instant (exclusive) a check-in is `late`."""
    return activity.starts_at + timedelta(minutes=activity.late_after_minutes)


def set_window(activity: Activity) -> None:
    """Derive the window instants from the start and the window minutes."""
    activity.checkin_opens_at = activity.starts_at - timedelta(
        minutes=activity.checkin_opens_before_minutes
    )
    activity.checkin_closes_at = activity.starts_at + timedelta(
        minutes=activity.checkin_closes_after_minutes
    )


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise validation_error({"fields": {"ends_at": ["结束时间须晚于开始时间"]}})
    if ends_at - starts_at > MAX_DURATION:
        raise validation_error({"fields": {"ends_at": ["活动时长不能超过7天"]}})


# --- writing -------------------------------------------------------------------------------


def _apply_geofence(activity: Activity, geofence: dict[str, Any] | None) -> None:
    if geofence is None:
        activity.geofence_lat = activity.geofence_lng = activity.geofence_radius_m = None
        return
    activity.geofence_lat = geofence["lat"]
    activity.geofence_lng = geofence["lng"]
    activity.geofence_radius_m = (
        geofence.get("radius_m") or current_app.config["GEOFENCE_DEFAULT_RADIUS_M"]
    )


def create_activity(principal: Principal, data: dict[str, Any], now: datetime) -> Activity:
    """Create an activity in an org the caller manages (a draft unless `publish`)."""
    org = get_org(data["org_id"])
    principal.require_manage(org)
    _check_times(data["starts_at"], data["ends_at"])
    cfg = current_app.config
    activity = Activity(
        org_id=org.id,
        org=org,
        type=data["type"],
        title=data["title"].strip(),
        agenda=data.get("agenda") or "",
        location=(data.get("location") or "").strip(),
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        checkin_opens_before_minutes=_or(
            data.get("checkin_opens_before_minutes"), cfg["CHECKIN_OPENS_BEFORE_MINUTES"]
        ),
        checkin_closes_after_minutes=_or(
            data.get("checkin_closes_after_minutes"), cfg["CHECKIN_CLOSES_AFTER_MINUTES"]
        ),
        late_after_minutes=_or(data.get("late_after_minutes"), cfg["CHECKIN_LATE_AFTER_MINUTES"]),
        study_hours=data.get("study_hours"),
        status="published" if data.get("publish") else "draft",
        published_at=now if data.get("publish") else None,
        created_by_user_id=principal.user.id if principal.user else None,
        created_by_member_id=principal.member_id,
        created_at=now,
        updated_at=now,
    )
    set_window(activity)
    _apply_geofence(activity, data.get("geofence"))
    db.session.add(activity)
    db.session.flush()
    invitations.apply_invitations(
        principal, activity, data.get("invited_org_ids") or [], data.get("invited_member_ids") or []
    )
    venue.apply_room(principal, activity, data, now, lambda: len(expected_members(activity)))
    return activity


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def update_activity(
    principal: Principal, activity_id: int, data: dict[str, Any], now: datetime
) -> Activity:
    """Change an activity's fields; the check-in window follows a new start time."""
    activity = get_managed_activity(principal, activity_id)
    if activity.status == "cancelled":
        raise APIError(409, "activity.cancelled", "活动已取消，不能再修改")
    starts_at = data.get("starts_at", activity.starts_at)
    ends_at = data.get("ends_at", activity.ends_at)
    if "starts_at" in data or "ends_at" in data:
        _check_times(starts_at, ends_at)
    for key in (
        "type",
        "agenda",
        "starts_at",
        "ends_at",
        "checkin_opens_before_minutes",
        "checkin_closes_after_minutes",
        "late_after_minutes",
        "study_hours",
    ):
        if key in data:
            setattr(activity, key, data[key])
    for key in ("title", "location"):
        if key in data:
            setattr(activity, key, data[key].strip())
    if "geofence" in data:
        _apply_geofence(activity, data["geofence"])
    if "invited_org_ids" in data or "invited_member_ids" in data:
        invitations.apply_invitations(
            principal, activity, data.get("invited_org_ids"), data.get("invited_member_ids")
        )
    set_window(activity)
    activity.updated_at = now
    db.session.flush()
    venue.apply_room(principal, activity, data, now, lambda: len(expected_members(activity)))
    return activity


def publish_activity(principal: Principal, activity_id: int, now: datetime) -> Activity:
    """Draft → published (publishing again changes nothing)."""
    activity = get_managed_activity(principal, activity_id)
    if activity.status == "cancelled":
        raise APIError(409, "activity.cancelled", "活动已取消，不能发布")
    if activity.status == "draft":
        activity.status = "published"
        activity.published_at = now
        db.session.flush()
    return activity


def cancel_activity(principal: Principal, activity_id: int, reason: str, now: datetime) -> Activity:
    """Cancel an activity that has not ended; its codes die at once. Audited."""
    activity = get_managed_activity(principal, activity_id)
    if activity.status == "cancelled":
        return activity
    if now >= activity.ends_at:
        raise APIError(409, "activity.already_ended", "活动已结束，不能取消")
    old = activity.status
    activity.status = "cancelled"
    activity.cancelled_at = now
    activity.cancel_reason = reason
    audit.record(
        principal,
        action="activity.cancel",
        entity_type="activity",
        entity_id=activity.id,
        org_id=activity.org_id,
        activity_id=activity.id,
        field="status",
        old=old,
        new="cancelled",
        reason=reason,
        now=now,
    )
    venue.release(activity, reason, now)
    db.session.flush()
    return activity


def write_record(
    principal: Principal, activity_id: int, data: dict[str, Any], now: datetime
) -> Activity:
    """The meeting record after the start: summary, decisions, and volunteer hours.

    Volunteer hours award `volunteer_hour` points once to each member who attended.
    """
    activity = get_managed_activity(principal, activity_id)
    if activity.status != "published":
        raise APIError(409, "activity.not_published", "只有已发布的活动可以填写记录")
    if now < activity.starts_at:
        raise APIError(409, "activity.not_started", "活动开始后才能填写会议记录")
    hours = data.get("volunteer_hours")
    if hours is not None and activity.type != "volunteer":
        raise validation_error({"fields": {"volunteer_hours": ["只有志愿服务活动可以填写时长"]}})
    if "summary" in data:
        activity.summary = data["summary"]
    if "decisions" in data:
        activity.decisions = data["decisions"]
    if "volunteer_hours" in data and hours != activity.volunteer_hours:
        audit.record(
            principal,
            action="activity.volunteer_hours",
            entity_type="activity",
            entity_id=activity.id,
            org_id=activity.org_id,
            activity_id=activity.id,
            field="volunteer_hours",
            old=activity.volunteer_hours,
            new=hours,
            now=now,
        )
        activity.volunteer_hours = hours
        if hours:
            _award_volunteer_hours(activity, hours, now)
    activity.recorded_at = now
    db.session.flush()
    return activity


def _award_volunteer_hours(activity: Activity, hours: float, now: datetime) -> None:
    attendees = db.session.scalars(
        select(Attendance.member_id).where(
            Attendance.activity_id == activity.id, Attendance.status.in_(ATTENDED)
        )
    )
    for member_id in attendees:
        points.award(
            member_id,
            "volunteer_hour",
            source_type="activity",
            source_id=activity.id,
            idempotency_key=f"volunteer:{activity.id}:{member_id}",
            quantity=math.floor(hours),
            now=now,
        )


# --- reading -------------------------------------------------------------------------------


def list_activities(principal: Principal, args: dict[str, Any], now: datetime) -> dict:
    """Activities the caller may see, newest start first, filtered by subtree, type, period."""
    host, invited = aliased(Organization), aliased(Organization)
    stmt = select(Activity).join(host, host.id == Activity.org_id)
    visible = []
    read_paths = principal.read_paths()
    if read_paths is None:
        visible.append(True)
    elif read_paths:
        invited_in_scope = (
            select(activity_invited_orgs.c.activity_id)
            .join(invited, invited.id == activity_invited_orgs.c.org_id)
            .where(
                activity_invited_orgs.c.activity_id == Activity.id,
                activity_invited_orgs.c.status == "accepted",
                path_filter(invited.path, read_paths),
            )
        )
        visible.append(path_filter(host.path, read_paths) | exists(invited_in_scope))
    if principal.member is not None:
        visible.append(member_expected_condition(principal.member))
    if not visible:
        raise forbidden("无权查看活动")
    stmt = stmt.where(or_(*visible))
    # drafts only for the hosting org's managers
    stmt = stmt.where(
        or_(Activity.status != "draft", path_filter(host.path, principal.manage_paths()))
    )
    if "org_id" in args:
        org = get_org(args["org_id"])
        stmt = stmt.where(host.path.like(org.path + "%"))
    if "type" in args:
        stmt = stmt.where(Activity.type == args["type"])
    if "status" in args:
        stmt = stmt.where(Activity.status == args["status"])
    if "starts_from" in args:
        stmt = stmt.where(Activity.starts_at >= args["starts_from"])
    if "starts_before" in args:
        stmt = stmt.where(Activity.starts_at < args["starts_before"])
    if args.get("q"):
        stmt = stmt.where(Activity.title.contains(args["q"]))
    page = paginate(
        stmt.options(*DISPLAY_LOADS).order_by(Activity.starts_at.desc(), Activity.id.desc()),
        args["page"],
        args["per_page"],
    )
    decorate(page["items"], now)
    return page


def upcoming_for_member(member: Member, now: datetime, limit: int = 5) -> list[Activity]:
    """Published activities the member is expected at that have not ended, soonest first."""
    stmt = (
        select(Activity)
        .where(
            Activity.status == "published",
            (Activity.ends_at > now) | (Activity.checkin_closes_at > now),
            member_expected_condition(member),
        )
        .options(*DISPLAY_LOADS)
        .order_by(Activity.starts_at, Activity.id)
        .limit(limit)
    )
    return decorate(list(db.session.scalars(stmt)), now)


def decorate(activities: list[Activity], now: datetime) -> list[Activity]:
    """Attach labels, phase, the geofence object and invitation ids for display."""
    for a in activities:
        a.type_label = ACTIVITY_TYPE_LABELS[a.type]
        a.status_label = ACTIVITY_STATUS_LABELS[a.status]
        a.phase = phase(a, now)
        a.phase_label = PHASE_LABELS[a.phase]
        a.org_name = a.org.name
        a.late_at = late_at(a)
        a.geofence = (
            None
            if a.geofence_lat is None
            else {"lat": a.geofence_lat, "lng": a.geofence_lng, "radius_m": a.geofence_radius_m}
        )
        a.invited_org_ids = [o.id for o in a.invited_orgs]
        a.invited_member_ids = [m.id for m in a.invited_members]
    return activities


def audit_log(principal: Principal, args: dict[str, Any]) -> dict:
    """The audit log in the caller's scope; narrowed to one activity, only for its staff."""
    if "activity_id" in args:
        require_staff_read(principal, get_activity(args["activity_id"]).org)
    return audit.list_audit(principal, args)
