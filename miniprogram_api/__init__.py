"""/api/mp/v1: what only the mini-program needs. Calls app/ services; app/ never imports this."""

from __future__ import annotations

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the mini-program blueprints on the application's smorest Api."""
    from miniprogram_api import democracy, subscriptions, views, web

    api.register_blueprint(views.blp)
    api.register_blueprint(subscriptions.blp)
    api.register_blueprint(web.blp)
    api.register_blueprint(democracy.blp)
