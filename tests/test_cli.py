"""The CLI: create-admin, seed-demo (idempotent), db-is-empty."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.members.models import Member
from app.org.models import Enterprise, Organization


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_admin_then_reset_password(runner, client):
    r = runner.invoke(args=["create-admin", "--username", "root", "--password", "s3cret-pass"])
    assert r.exit_code == 0, r.output
    assert "created" in r.output
    login = client.post("/api/v1/auth/login", json={"username": "root", "password": "s3cret-pass"})
    assert login.status_code == 200

    r = runner.invoke(args=["create-admin", "--username", "root", "--password", "another-pass"])
    assert "updated" in r.output
    assert count(User) == 1
    old = client.post("/api/v1/auth/login", json={"username": "root", "password": "s3cret-pass"})
    assert old.status_code == 401


def test_create_admin_refuses_a_short_password(runner):
    r = runner.invoke(args=["create-admin", "--username", "root", "--password", "short"])
    assert r.exit_code != 0
    assert "密码至少8位" in r.output
    assert count(User) == 0


def test_seed_demo_builds_the_park_once(runner, client):
    assert runner.invoke(args=["db-is-empty"]).exit_code == 0
    r = runner.invoke(args=["seed-demo", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "admin / demo12345" in r.output
    assert count(Organization, Organization.type == "branch") == 9
    assert count(Member) == 28
    assert count(Enterprise) > 9
    assert runner.invoke(args=["db-is-empty"]).exit_code == 1

    again = runner.invoke(args=["seed-demo", "--quiet"])
    assert "already present" in again.output
    assert count(Member) == 28

    # the printed logins work, and the secretary sees only their own branch
    token = client.post(
        "/api/v1/auth/login", json={"username": "secretary", "password": "demo12345"}
    ).json["access_token"]
    orgs = client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}).json
    assert orgs["total"] == 1 and orgs["items"][0]["type"] == "branch"
