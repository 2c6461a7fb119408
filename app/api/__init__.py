"""The /api/v1 blueprints, one thin module per domain."""

from __future__ import annotations

from app.openapi import Api


def register_blueprints(api: Api) -> None:
    """Register every /api/v1 blueprint (and the health checks) on the app's smorest Api."""
    from app.api import (
        activities,
        attendance,
        auth,
        enterprises,
        health,
        members,
        notifications,
        orgs,
        points,
        quiz,
        records,
        recruitment,
        reports,
        reviews,
        rooms,
        screen,
        servicedesk,
        study,
        surveys,
        templates,
        transfers,
        votes,
    )

    modules = (
        health,
        auth,
        orgs,
        members,
        enterprises,
        activities,
        attendance,
        notifications,
        reports,
        study,
        quiz,
        points,
        screen,
        records,
        templates,
        votes,
        recruitment,
        reviews,
        surveys,
        servicedesk,
        transfers,
        rooms,
    )
    for module in modules:
        api.register_blueprint(module.blp)
    from app.api.ledgers import register_ledgers  # dues, notices, posts, enterprises, visits

    register_ledgers(api)
