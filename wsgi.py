"""Composition root: the app that gunicorn and `flask --app wsgi` serve, with both API surfaces."""

from app import create_app
from miniprogram_api import register as register_miniprogram_api


def make_app(config=None):
    """The full application: the core /api/v1 plus the mini-program /api/mp/v1."""
    return create_app(config, surfaces=[register_miniprogram_api])


app = make_app()
# `celery -A wsgi:celery_app worker --queues push` (None without BROKER_URL)
celery_app = app.extensions.get("celery")
