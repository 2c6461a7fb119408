"""Development commands: `dev-wechat` (a fake WeChat on loopback to try the mini-program login)
and `demo-invites` (links that log a browser in as a demo member)."""

from __future__ import annotations

import threading

import click
from flask import Flask

DEV_APPID = "wx-dev-appid"
DEV_SECRET = "dev-wechat-secret"  # noqa: S105 — the fake's own credential, printed for curl
DEV_OA_APPID = "wx-dev-oa-appid"
DEV_OA_SECRET = "dev-wechat-oa-secret"  # noqa: S105


def register(app: Flask) -> None:
    """Attach `dev-wechat` (development only)."""

    @app.cli.command("dev-wechat")
    @click.option("--port", default=8900, show_default=True, help="loopback port to listen on")
    def dev_wechat(port: int) -> None:
        """Serve a fake WeChat server API on 127.0.0.1 (refused with ENV_NAME=production)."""
        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("dev-wechat 仅用于开发环境：ENV_NAME=production 时拒绝启动")
        from app.devtools.fake_wechat import FakeWeChat

        fake = FakeWeChat(
            appid=DEV_APPID,
            secret=DEV_SECRET,
            oa_appid=DEV_OA_APPID,
            oa_secret=DEV_OA_SECRET,
            auto_codes=True,
        ).start(port)
        click.echo(f"fake WeChat listening on {fake.base_url} (Ctrl-C stops it)")
        click.echo("start the app with:")
        click.echo(
            f"  WECHAT_API_BASE={fake.base_url} WECHAT_APPID={DEV_APPID} "
            f"WECHAT_SECRET={DEV_SECRET} WECHAT_OA_APPID={DEV_OA_APPID} "
            f"WECHAT_OA_SECRET={DEV_OA_SECRET} scripts/run.sh"
        )
        click.echo('any wx.login code works: {"code": "alice"} is always openid dev-alice')
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()

    @app.cli.command("demo-invites")
    @click.option("--base", default="", help="the URL members open (default: PUBLIC_BASE_URL)")
    @click.option("--count", default=3, show_default=True, help="how many demo members")
    def demo_invites(base: str, count: int) -> None:
        """Fresh invite links for the first demo members of the demo secretary's branch."""
        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("demo-invites 仅用于开发环境")
        from sqlalchemy import select

        from app.accounts.models import User
        from app.extensions import db
        from app.identities import principal_for
        from app.members.models import Member
        from app.members.services import issue_invite
        from app.timeutil import utcnow

        user = db.session.scalar(select(User).where(User.username == "secretary"))
        principal = principal_for(f"u:{user.id}") if user else None
        branch = principal.grants[0].org_id if principal and principal.grants else None
        if branch is None:
            raise click.ClickException("no demo park here (flask --app wsgi seed-demo loads it)")
        members = db.session.scalars(
            select(Member)
            .where(Member.org_id == branch, Member.is_active.is_(True))
            .order_by(Member.id)
            .limit(count)
        ).all()
        root = (base or app.config["PUBLIC_BASE_URL"]).rstrip("/")
        now = utcnow()
        for member in members:
            invite = issue_invite(principal, member.id, now)
            click.echo(f"  {member.name}: {root}/i/{invite['code']}  (邀请码 {invite['code']})")
        db.session.commit()
