"""Layered configuration and the production secret guard (no database needed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import create_app


def test_environment_overrides_defaults_with_types(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_ACCESS_MINUTES", "5")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("WECHAT_TIMEOUT_SECONDS", "2.5")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "TESTING": True})
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=5)
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["WECHAT_TIMEOUT_SECONDS"] == 2.5


def test_test_mapping_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TIMEZONE", "UTC")
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "TIMEZONE": "Asia/Shanghai"}
    )
    assert app.config["TIMEZONE"] == "Asia/Shanghai"


def test_postgres_urls_use_psycopg3(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://u@127.0.0.1/db", "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/db"
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is False and options["pool_recycle"] == 1800
    pinged = create_app(
        {"DATABASE_URL": "postgresql://u@127.0.0.1/db", "TESTING": True, "DB_POOL_PRE_PING": True}
    )
    assert pinged.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_default_database_is_sqlite_in_instance():
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/party.sqlite")


@pytest.mark.parametrize("secret", ["dev-only-secret-do-not-use-in-production", "short"])
def test_production_refuses_weak_secrets(secret, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": secret,
                "JWT_SECRET_KEY": "x" * 40,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
            }
        )


def test_links_follow_the_served_port_unless_a_public_url_is_set(monkeypatch, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("SERVED_ADDRESS", "127.0.0.1:5123")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True})
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5123"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://party.example.org")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True})
    assert app.config["PUBLIC_BASE_URL"] == "https://party.example.org"
    monkeypatch.delenv("PUBLIC_BASE_URL")
    monkeypatch.delenv("SERVED_ADDRESS")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True})
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
