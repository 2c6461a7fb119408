"""Park enterprises (园区企业) and the 两个覆盖 figures: organisation and work coverage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from app.auth import Principal, path_filter
from app.errors import APIError
from app.extensions import db
from app.org.models import (
    Enterprise,
    Organization,
)
from app.org.services import get_org, get_readable_org
from app.schemas import paginate

# Branch rules of the 支部工作条例 (2018), shown as warnings on the org screens.


def _organisation_covered():
    """SQL: the enterprise has an active covering org (a dissolved branch covers nothing)."""
    covering = aliased(Organization)
    return (
        select(covering.id)
        .where(covering.id == Enterprise.covering_org_id, covering.is_active.is_(True))
        .exists()
    )


def _mark_covered(ent: Enterprise) -> Enterprise:
    ent.organisation_covered = ent.covering_org is not None and ent.covering_org.is_active
    return ent


def create_enterprise(principal: Principal, data: dict[str, Any]) -> Enterprise:
    """Register a park enterprise (the caller must manage the park org)."""
    park = get_org(data["park_org_id"])
    principal.require_manage(park)
    if data.get("covering_org_id") is not None:
        covering = get_org(data["covering_org_id"])
        if not covering.path.startswith(park.path):
            raise APIError(400, "enterprise.covering_org_outside_park", "覆盖组织须属于该园区", {})
    if data.get("credit_code") and db.session.scalar(
        select(Enterprise.id).where(Enterprise.credit_code == data["credit_code"])
    ):
        raise APIError(
            409,
            "enterprise.credit_code_taken",
            "该统一社会信用代码已登记",
            {"credit_code": ["已存在"]},
        )
    ent = Enterprise(**{k: v for k, v in data.items() if k != "organisation_covered"})
    db.session.add(ent)
    db.session.flush()
    return _mark_covered(ent)


def list_enterprises(principal: Principal, args: dict[str, Any]) -> dict:
    """Enterprises of the parks the caller may read, paged."""
    stmt = (
        select(Enterprise)
        .join(Organization, Organization.id == Enterprise.park_org_id)
        .where(Enterprise.is_active.is_(True))
        .where(path_filter(Organization.path, principal.read_paths()))
    )
    if "org_id" in args:
        org = get_readable_org(principal, args["org_id"])
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    if "covered" in args:
        cond = _organisation_covered()
        stmt = stmt.where(cond if args["covered"] else ~cond)
    page = paginate(stmt.order_by(Enterprise.id), args["page"], args["per_page"])
    for ent in page["items"]:
        _mark_covered(ent)
    return page


def coverage(principal: Principal, org_id: int | None) -> dict[str, Any]:
    """两个覆盖 figures: enterprises with a Party organisation, and with Party work."""
    covered = _organisation_covered()
    stmt = (
        select(
            func.count(Enterprise.id),
            func.coalesce(func.sum(Enterprise.staff_count), 0),
            func.sum(case((covered, 1), else_=0)),
            func.sum(case((covered | Enterprise.work_covered, 1), else_=0)),
        )
        .join(Organization, Organization.id == Enterprise.park_org_id)
        .where(Enterprise.is_active.is_(True))
        .where(path_filter(Organization.path, principal.read_paths()))
    )
    if org_id is not None:
        org = get_readable_org(principal, org_id)
        stmt = stmt.where(Organization.path.like(org.path + "%"))
    total, staff, org_cov, work_cov = db.session.execute(stmt).one()
    org_cov, work_cov = int(org_cov or 0), int(work_cov or 0)
    return {
        "enterprises": total,
        "staff": int(staff),
        "organisation_covered": org_cov,
        "work_covered": work_cov,
        "organisation_coverage_rate": round(org_cov / total, 4) if total else 0.0,
        "work_coverage_rate": round(work_cov / total, 4) if total else 0.0,
    }
