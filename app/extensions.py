"""Unbound extension objects; the factory binds them. Nothing here touches an app at import.

The smorest Api is the exception: it holds one app's OpenAPI spec, so the factory makes one
per app (see app.openapi) and keeps it in ``app.extensions["smorest_api"]``.
"""

from __future__ import annotations

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.db import Base, RoutingSession

db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
