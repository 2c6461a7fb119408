"""The enterprise ledger: read and change an enterprise's five clears (each change kept),
and the coverage mode every enterprise calls for (seed 001, 支部工作条例 art. 6):

- a branch of its own (standalone) → `standalone` 已单建;
- 3 or more full members and no branch of its own → `should_standalone` 应单建 (a gap);
- 1–2 full members → `joint_or_affiliated` 联建/挂靠 (met when an org covers it);
- no members → `dispatched` 派驻 (met when an instructor is assigned, or an org covers it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.audit.services import actor_name
from app.auth import Principal, path_filter
from app.errors import APIError, forbidden, not_found
from app.extensions import db
from app.fiveclears.models import EnterpriseChange, EnterpriseProfile
from app.org.models import Enterprise, Organization
from app.org.services import get_org
from app.visits.models import Assignment

MODES = ("standalone", "should_standalone", "joint_or_affiliated", "dispatched")
MODE_LABELS = {
    "standalone": "已单建",
    "should_standalone": "应单建",
    "joint_or_affiliated": "联建/挂靠",
    "dispatched": "派驻指导员",
}
ENTERPRISE_FIELDS = (
    "name",
    "industry",
    "staff_count",
    "above_scale",
    "high_tech",
    "covering_org_id",
    "work_covered",
)
PROFILE_FIELDS = (
    "operating_status",
    "operating_note",
    "staff_note",
    "party_members",
    "full_members",
    "investor_name",
    "investor_is_member",
    "party_org_status",
    "entered_on",
    "last_checked_on",
)


def coverage_mode(full_members: int, own_branch: bool, covered: bool, instructor: bool):
    """(mode, met) for an enterprise — the rule above as a pure function."""
    if own_branch:
        return "standalone", True
    if full_members >= 3:
        return "should_standalone", False
    if full_members >= 1:
        return "joint_or_affiliated", covered
    return "dispatched", instructor or covered


def _own_branch(ent: Enterprise, sharing: int) -> bool:
    """A standalone branch covering this enterprise alone (one shared with another
    enterprise is that enterprise's branch: this one is attached to it, 挂靠)."""
    org = ent.covering_org
    return bool(
        org is not None
        and org.is_active
        and org.type in ("branch", "general_branch")
        and org.build_mode == "standalone"
        and sharing <= 1
    )


def sharing_counts(org_ids) -> dict[int, int]:
    """How many active enterprises each covering org covers."""
    ids = [i for i in set(org_ids) if i is not None]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Enterprise.covering_org_id, func.count())
            .where(Enterprise.covering_org_id.in_(ids), Enterprise.is_active.is_(True))
            .group_by(Enterprise.covering_org_id)
        ).all()
    )


def _covered(ent: Enterprise) -> bool:
    return ent.covering_org is not None and ent.covering_org.is_active


def current_assignees(enterprise_ids: list[int]) -> dict[int, list[Assignment]]:
    """Current assignments per enterprise."""
    out: dict[int, list[Assignment]] = {i: [] for i in enterprise_ids}
    if enterprise_ids:
        for a in db.session.scalars(
            select(Assignment).where(
                Assignment.enterprise_id.in_(enterprise_ids), Assignment.until.is_(None)
            )
        ):
            out[a.enterprise_id].append(a)
    return out


def _profile(ent: Enterprise) -> EnterpriseProfile:
    profile = db.session.get(EnterpriseProfile, ent.id)
    if profile is None:  # an enterprise registered before the ledger: empty clears
        profile = EnterpriseProfile(
            enterprise_id=ent.id,
            operating_status="normal",
            operating_note="",
            staff_note="",
            party_members=0,
            full_members=0,
            investor_name="",
            investor_is_member=False,
            party_org_status="none",
        )
    return profile


def _shape(ent, profile: EnterpriseProfile, assignees: list[Assignment], sharing=None):
    instructor = any(a.kind == "instructor" for a in assignees)
    if sharing is None:
        sharing = sharing_counts([ent.covering_org_id])
    own = _own_branch(ent, sharing.get(ent.covering_org_id, 0))
    mode, met = coverage_mode(profile.full_members, own, _covered(ent), instructor)
    ent.profile = profile
    ent.organisation_covered = _covered(ent)
    ent.coverage_mode, ent.coverage_met = mode, met
    ent.coverage_mode_label = MODE_LABELS[mode]
    ent.assignees = assignees
    return ent


def _is_assignee(principal: Principal, ent_id: int) -> bool:
    if principal.member is None:
        return False
    return (
        db.session.scalar(
            select(Assignment.id).where(
                Assignment.enterprise_id == ent_id,
                Assignment.member_id == principal.member.id,
                Assignment.until.is_(None),
            )
        )
        is not None
    )


def readable_enterprise(principal: Principal, enterprise_id: int) -> Enterprise:
    """An active enterprise the caller may read (staff over its park, or its instructor)."""
    ent = db.session.get(Enterprise, enterprise_id)
    if ent is None or not ent.is_active:
        raise not_found("企业")
    if principal.is_staff and principal.can_read_org(ent.park_org):
        return ent
    if _is_assignee(principal, ent.id):
        return ent
    raise not_found("企业")


def get_enterprise(principal: Principal, enterprise_id: int) -> Enterprise:
    """An enterprise with its five clears, assignees and coverage mode."""
    ent = readable_enterprise(principal, enterprise_id)
    return _shape(ent, _profile(ent), current_assignees([ent.id])[ent.id])


def update_enterprise(principal: Principal, enterprise_id: int, data: dict[str, Any], now):
    """Change an enterprise's fields and five clears; every changed field is kept in history."""
    ent = readable_enterprise(principal, enterprise_id)
    if not (principal.can_manage_org(ent.park_org) or _is_assignee(principal, ent.id)):
        raise forbidden("无权修改该企业台账")
    reason = data.pop("reason", "")
    if data.get("covering_org_id") is not None:
        covering = get_org(data["covering_org_id"])
        if not covering.path.startswith(ent.park_org.path):
            raise APIError(400, "enterprise.covering_org_outside_park", "覆盖组织须属于该园区", {})
    profile = _profile(ent)
    new_party = data.get("party_members", profile.party_members)
    if data.get("full_members", profile.full_members) > new_party:
        raise APIError(
            400,
            "validation_error",
            "请求参数有误",
            {"fields": {"full_members": ["正式党员数不能多于党员数"]}},
        )
    who = actor_name(principal)[:64]
    changes = []
    for field, value in data.items():
        target = ent if field in ENTERPRISE_FIELDS else profile
        old = getattr(target, field)
        if old == value:
            continue
        setattr(target, field, value)
        changes.append(
            EnterpriseChange(
                enterprise_id=ent.id,
                field=field,
                old_value=None if old is None else _text(old),
                new_value=None if value is None else _text(value),
                reason=reason,
                changed_by=who,
                changed_at=now,
            )
        )
    if changes:
        profile.updated_at = now
        if db.session.get(EnterpriseProfile, ent.id) is None:
            db.session.add(profile)
        db.session.add_all(changes)
    db.session.flush()
    db.session.refresh(ent)
    return _shape(ent, profile, current_assignees([ent.id])[ent.id])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:500]


def history(principal: Principal, enterprise_id: int) -> list[EnterpriseChange]:
    """Every recorded change of an enterprise, newest first."""
    ent = readable_enterprise(principal, enterprise_id)
    return list(
        db.session.scalars(
            select(EnterpriseChange)
            .where(EnterpriseChange.enterprise_id == ent.id)
            .order_by(EnterpriseChange.changed_at.desc(), EnterpriseChange.id.desc())
        )
    )


def _scope_org(principal: Principal, org_id: int | None) -> Organization | None:
    if org_id is None:
        if not principal.is_staff:
            raise forbidden("无权查看")
        return None
    org = get_org(org_id)
    if not principal.is_staff or not principal.can_read_org(org):
        raise forbidden("无权查看该组织")
    return org


def coverage_report(principal: Principal, org_id: int | None) -> dict[str, Any]:
    """Every enterprise's coverage mode, and counts by mode for all, 规上 and 高新."""
    org = _scope_org(principal, org_id)
    stmt = (
        select(Enterprise)
        .join(Organization, Organization.id == Enterprise.park_org_id)
        .where(Enterprise.is_active.is_(True))
        .where(path_filter(Organization.path, principal.read_paths()))
    )
    if org is not None:
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    enterprises = list(db.session.scalars(stmt.order_by(Enterprise.id)))
    ids = [e.id for e in enterprises]
    profiles = (
        {
            p.enterprise_id: p
            for p in db.session.scalars(
                select(EnterpriseProfile).where(EnterpriseProfile.enterprise_id.in_(ids))
            )
        }
        if ids
        else {}
    )
    assignees = current_assignees(ids)
    sharing = sharing_counts(e.covering_org_id for e in enterprises)
    rows = []
    for ent in enterprises:
        _shape(ent, profiles.get(ent.id) or _profile(ent), assignees[ent.id], sharing)
        rows.append(
            {
                "enterprise_id": ent.id,
                "name": ent.name,
                "above_scale": ent.above_scale,
                "high_tech": ent.high_tech,
                "staff_count": ent.staff_count,
                "party_members": ent.profile.party_members,
                "full_members": ent.profile.full_members,
                "covering_org_name": ent.covering_org.name if ent.covering_org else None,
                "instructors": "、".join(
                    a.member.name for a in ent.assignees if a.kind == "instructor"
                ),
                "mode": ent.coverage_mode,
                "mode_label": ent.coverage_mode_label,
                "met": ent.coverage_met,
                "last_checked_on": ent.profile.last_checked_on,
            }
        )

    def counts(subset: list[dict]) -> dict[str, Any]:
        return {
            "enterprises": len(subset),
            "gaps": sum(1 for r in subset if not r["met"]),
            "by_mode": [
                {
                    "mode": m,
                    "label": MODE_LABELS[m],
                    "count": sum(1 for r in subset if r["mode"] == m),
                    "met": sum(1 for r in subset if r["mode"] == m and r["met"]),
                }
                for m in MODES
            ],
        }

    return {
        "org_id": org.id if org else None,
        "org_name": org.name if org else "全部园区",
        "all": counts(rows),
        "above_scale": counts([r for r in rows if r["above_scale"]]),
        "high_tech": counts([r for r in rows if r["high_tech"]]),
        "rows": rows,
    }
