"""The pages people look at: server-rendered Jinja, one small script per page, local assets only.

The `web` blueprint holds what every page shares — security headers, the asset route, the
error page. Each page area is a child blueprint registered on it — `screen` (签到大屏) and
`console` (党建工作台, the committee's dashboard), `member` (the member app /m/ and the
scanned links /c/, /i/) — a module with its blueprint, its templates
under `templates/<area>/`, its script and styles under `static/`.
"""

from __future__ import annotations

from flask import Flask

from app.web.common import web


def register_web(app: Flask) -> None:
    """Register the page blueprints on the app."""
    from app.web import (  # noqa: F401 — each attaches its blueprint
        console,
        member,
        member_democracy,
        member_ledgers,
        member_requests,
        member_transfers,
        screen,
    )

    app.register_blueprint(web)
