"""The park's ledgers (issue 19): dues, notices, posts, the enterprise ledger and visits."""

from __future__ import annotations

from app.openapi import Api


def register_ledgers(api: Api) -> None:
    """Register the ledgers' /api/v1 blueprints."""
    from app.api import dues, enterprise_ledger, notices, posts, visits

    for module in (dues, notices, posts, enterprise_ledger, visits):
        api.register_blueprint(module.blp)
