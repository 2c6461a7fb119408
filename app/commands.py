"""CLI commands registered in the factory: create-admin, seed-demo (scripts/ only wrap these)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db


def register_commands(app: Flask) -> None:
    """Attach the project's commands to `flask --app wsgi …`."""

    @app.cli.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--password", required=True, help="at least 8 characters")
    def create_admin(username: str, password: str) -> None:
        """Create a console administrator, or reset the password of an existing one."""
        from app.accounts.models import User
        from app.accounts.services import create_user, set_password
        from app.errors import APIError

        try:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                create_user(username, password, is_admin=True, display_name="系统管理员")
                click.echo(f"created admin {username}")
            else:
                set_password(user, password)
                user.is_admin = True
                click.echo(f"updated admin {username}")
            db.session.commit()
        except APIError as exc:
            raise click.ClickException(exc.message) from exc

    @app.cli.command("seed-demo")
    @click.option("--quiet", is_flag=True, help="no progress bar")
    def seed_demo(quiet: bool) -> None:
        """Load the demo park (idempotent: does nothing when it is already there)."""
        from app.demo import DEMO_LOGINS, seed_demo_park

        created = seed_demo_park(progress=not quiet)
        db.session.commit()
        click.echo("demo park loaded" if created else "demo park already present")
        for role, username, password in DEMO_LOGINS:
            click.echo(f"  {role}: {username} / {password}")

    @app.cli.command("run-scheduler")
    def run_scheduler_command() -> None:
        """Run the one scheduler process (reminders and pushes); never inside web workers."""
        from app.notify.scheduler import run_scheduler

        run_scheduler(app)

    @app.cli.group("reminders")
    def reminders() -> None:
        """Reminders, for operators and tests."""

    @reminders.command("run-due")
    @click.option("--now", "now_text", help="ISO 8601 time to run as (default: now)")
    @click.option("--no-push", is_flag=True, help="write the inbox only")
    def run_due_command(now_text: str | None, no_push: bool) -> None:
        """Write every reminder due at --now once, then push what is due."""
        from app.notify.push import push_due
        from app.notify.reminders import run_due
        from app.timeutil import ensure_aware, utcnow

        now = ensure_aware(datetime.fromisoformat(now_text)) if now_text else utcnow()
        added = run_due(now)
        db.session.commit()
        click.echo(f"inbox: {sum(added.values())} added {added}")
        if not no_push:
            click.echo(f"push: {push_due(app.extensions['wechat'], now)}")

    @app.cli.group("periods")
    def periods_group() -> None:
        """Closed (frozen) reporting periods."""

    @periods_group.command("close-due")
    @click.option("--now", "now_text", help="ISO 8601 time to run as (default: now)")
    def close_due_command(now_text: str | None) -> None:
        """Fix the attendee lists of closed check-in windows, then freeze every period that
        ended PERIOD_CLOSE_DAYS ago or more (idempotent)."""
        from app.activities.expected import fix_due_attendees
        from app.reports.periods import close_due_periods
        from app.timeutil import ensure_aware, utcnow

        now = ensure_aware(datetime.fromisoformat(now_text)) if now_text else utcnow()
        fixed = 0
        while batch := fix_due_attendees(now):
            fixed += batch
            db.session.commit()
        closed = close_due_periods(now)
        db.session.commit()
        click.echo(f"attendee lists fixed: {fixed}; periods closed: {len(closed)}")
        for kind, start in closed:
            click.echo(f"  {kind} {start}")

    @app.cli.command("db-is-empty")
    def db_is_empty() -> None:
        """Exit 0 when no organisation exists yet (scripts/run.sh seeds the demo then)."""
        from app.org.models import Organization

        if db.session.scalar(select(Organization.id).limit(1)) is not None:
            raise SystemExit(1)
