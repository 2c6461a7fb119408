"""Fixtures: the app through the factory, a fresh migrated database per test, factories.

Every app-level test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.
The schema always comes from the Alembic migrations (never create_all): SQLite copies a
migrated template file per test; PostgreSQL migrates once and truncates between tests.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import text

from app import create_app, fastdump
from app.extensions import db
from miniprogram_api import register as register_miniprogram_api
from tests.fake_wechat import fake_wechat  # noqa: F401 — the loopback WeChat fixture

# every FastDumpSchema dump in the suite is compared with marshmallow's own (a difference fails)
fastdump.VERIFY = True

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PG_SKIP = "PostgreSQL tests skipped: set TEST_DATABASE_URL (scripts/test.sh explains)"
TEST_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def pytest_report_header(config):
    """Say up front whether the PostgreSQL half of the suite runs."""
    return f"PostgreSQL: {PG_URL}" if PG_URL else PG_SKIP


def _pg_test_url() -> str:
    """A database of our own beside the one named (one per test process — each xdist worker
    is one — so runs and workers never meet)."""
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path=f"/{_pg_prefix()}{os.getpid()}"))


def _pg_prefix() -> str:
    return f"{urlsplit(PG_URL).path.lstrip('/') or 'postgres'}_party_"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody else's live process
    return True


def _drop_stale_pg_databases() -> list[str]:
    """Drop this suite's databases whose test process is gone (a run killed before its
    teardown); a live process's database — another run, another worker — is left alone."""
    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    prefix = _pg_prefix()
    with psycopg.connect(admin, autocommit=True) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)
        ).fetchall()
    stale = [
        name
        for (name,) in names
        if name[len(prefix) :].isdigit() and not _pid_alive(int(name[len(prefix) :]))
    ]
    for name in stale:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return stale


def _pg_admin(*statements: str) -> None:
    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def make_test_app(database_url: str, **extra):
    """The full app (both API surfaces) configured for tests."""
    config = {
        "TESTING": True,
        "ENV_NAME": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_SECRET,
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "https://party.example.test",
        "LOG_LEVEL": "WARNING",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs ~50 ms per fixture user
        "SCHEDULER_STARTING_SECONDS": 0,  # /readyz: `absent` at once unless a test says
        "LEADERBOARD_CACHE_SECONDS": 0,  # tests read their own writes at once
        "SCREEN_CACHE_SECONDS": 0,
    }
    config.update(extra)
    return create_app(config, surfaces=[register_miniprogram_api])


def _migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated to head once per session."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    _migrate(make_test_app(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_database():
    """A PostgreSQL database migrated to head once per session."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    url = _pg_test_url()
    name = urlsplit(url).path.lstrip("/")
    _drop_stale_pg_databases()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    _migrate(make_test_app(url))
    yield url
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    """Which engine this test runs on."""
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path):
    """A fresh, migrated, empty database for one test."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_database")
    yield url
    # truncate after the test so the next one starts empty
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app_config():
    """Per-test config overrides (a test may override this fixture)."""
    return {}


@pytest.fixture
def app(database_url, fake_wechat, app_config, tmp_path):
    """The application, bound to this test's database and the fake WeChat."""
    application = make_test_app(
        database_url,
        ATTACHMENT_DIR=str(tmp_path / "attachments"),
        WECHAT_APPID=fake_wechat.appid,
        WECHAT_SECRET=fake_wechat.secret,
        WECHAT_API_BASE=fake_wechat.base_url,
        WECHAT_TIMEOUT_SECONDS=1.0,
        **app_config,
    )
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """The test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The CLI runner."""
    return app.test_cli_runner()


# --- factories -----------------------------------------------------------------------------


@pytest.fixture
def make_org(app):
    """Create an org (path maintained as the service does)."""
    from app.org.models import Organization

    def _make(name="测试支部", type="branch", parent=None, build_mode=None, **kw):
        org = Organization(
            name=name,
            type=type,
            parent_id=parent.id if parent else None,
            build_mode=build_mode or ("standalone" if type == "branch" else None),
            depth=(parent.depth + 1) if parent else 0,
            **kw,
        )
        db.session.add(org)
        db.session.flush()
        org.path = f"{parent.path if parent else '/'}{org.id}/"
        db.session.commit()
        return org

    return _make


@pytest.fixture
def make_member(app):
    """Create a member in an org."""
    from app.members.models import Member

    counter = iter(range(10_000))

    def _make(org, name=None, status="full", phone=None, **kw):
        n = next(counter)
        member = Member(
            name=name or f"党员{n}",
            status=status,
            phone=phone if phone is not None else f"139{n:08d}",
            org_id=org.id,
            **kw,
        )
        db.session.add(member)
        db.session.commit()
        return member

    return _make


@pytest.fixture
def make_user(app):
    """Create a console user (optionally linked to a member)."""
    from app.accounts.services import create_user

    def _make(username, password="password123", **kw):
        user = create_user(username, password, **kw)
        db.session.commit()
        return user

    return _make


@pytest.fixture
def grant(app):
    """Give a member or user a role on an org."""
    from app.org.models import OrgRole

    def _grant(org, role="secretary", member=None, user=None):
        row = OrgRole(
            org_id=org.id,
            role=role,
            member_id=member.id if member else None,
            user_id=user.id if user else None,
        )
        db.session.add(row)
        db.session.commit()
        return row

    return _grant


@pytest.fixture
def auth_headers(app):
    """Bearer headers for a user or a member (access token unless told otherwise)."""
    from app.accounts.models import User
    from app.members.models import Member

    def _headers(who, **kw):
        if isinstance(who, User):
            identity = f"u:{who.id}"
        elif isinstance(who, Member):
            identity = f"m:{who.id}"
        else:
            identity = str(who)
        return {"Authorization": f"Bearer {create_access_token(identity=identity, **kw)}"}

    return _headers


@dataclass
class Park:
    """A small park: committee → branches A and B, members, a secretary, staff and admin."""

    work: object
    park: object
    branch_a: object
    branch_b: object
    member_a: object
    member_a2: object
    member_b: object
    secretary_a: object
    committee: object
    admin: object
    headers: SimpleNamespace


@pytest.fixture
def park(make_org, make_member, make_user, grant, auth_headers):
    """The roles every authorization test needs, with their headers."""
    work = make_org("管委会党工委", "work_committee")
    park_org = make_org("园区综合党委", "general_committee", work)
    branch_a = make_org("A企业党支部", "branch", park_org)
    branch_b = make_org("B企业党支部", "branch", park_org)
    member_a = make_member(branch_a, name="张三")
    member_a2 = make_member(branch_a, name="李四")
    member_b = make_member(branch_b, name="王五")
    secretary_a = make_member(branch_a, name="赵书记")
    grant(branch_a, "secretary", member=secretary_a)
    committee = make_user("committee", display_name="园区综合党委")
    grant(park_org, "secretary", user=committee)
    admin = make_user("admin", is_admin=True)
    headers = SimpleNamespace(
        member_a=auth_headers(member_a),
        member_b=auth_headers(member_b),
        secretary_a=auth_headers(secretary_a),
        committee=auth_headers(committee),
        admin=auth_headers(admin),
    )
    return Park(
        work,
        park_org,
        branch_a,
        branch_b,
        member_a,
        member_a2,
        member_b,
        secretary_a,
        committee,
        admin,
        headers,
    )


# --- activities and check-in (issue 3) -------------------------------------------------------


@pytest.fixture
def point_rules(app):
    """The default point rules (PostgreSQL tests truncate the migration's seed rows)."""
    from app.points.services import ensure_default_rules

    ensure_default_rules()
    db.session.commit()


@pytest.fixture
def principal_of(app):
    """The Principal a service sees for a user or a member (as the access decorator builds it)."""
    from app.accounts.models import User
    from app.identities import principal_for

    def _principal(who):
        return principal_for(f"u:{who.id}" if isinstance(who, User) else f"m:{who.id}")

    return _principal


@pytest.fixture
def make_activity(app):
    """Create an activity directly (published, starting now, 2 h long, default window)."""
    from datetime import timedelta

    from app.activities.models import Activity
    from app.activities.services import set_window
    from app.members.models import Member
    from app.org.models import Organization
    from app.timeutil import utcnow

    def _make(
        org,
        *,
        starts_at=None,
        ends_at=None,
        type="theme_day",
        title=None,
        status="published",
        invited_orgs=(),
        invited_members=(),
        geofence=None,
        **kw,
    ):
        starts_at = starts_at or utcnow()
        cfg = app.config
        activity = Activity(
            org_id=org.id,
            type=type,
            title=title or f"{org.name}活动",
            starts_at=starts_at,
            ends_at=ends_at or starts_at + timedelta(hours=2),
            status=status,
            checkin_opens_before_minutes=kw.pop(
                "checkin_opens_before_minutes", cfg["CHECKIN_OPENS_BEFORE_MINUTES"]
            ),
            checkin_closes_after_minutes=kw.pop(
                "checkin_closes_after_minutes", cfg["CHECKIN_CLOSES_AFTER_MINUTES"]
            ),
            late_after_minutes=kw.pop("late_after_minutes", cfg["CHECKIN_LATE_AFTER_MINUTES"]),
            **kw,
        )
        if geofence is not None:
            activity.geofence_lat, activity.geofence_lng, activity.geofence_radius_m = geofence
        activity.org = db.session.get(Organization, org.id)
        activity.invited_orgs = [db.session.get(Organization, o.id) for o in invited_orgs]
        activity.invited_members = [db.session.get(Member, m.id) for m in invited_members]
        set_window(activity)
        db.session.add(activity)
        db.session.commit()
        return activity

    return _make


# --- study and points (issue 4) ---------------------------------------------------------------


@pytest.fixture
def make_item(app):
    """Create a study item directly (published a minute before `publish_at`'s default)."""
    from datetime import timedelta

    from app.study.models import StudyItem
    from app.timeutil import utcnow

    def _make(org, kind="morning_brief", *, title=None, publish_at=None, minutes=None, **kw):
        defaults = {"morning_brief": 5, "micro_lesson": 10, "article": 3}
        item = StudyItem(
            kind=kind,
            title=title or f"{kind}学习",
            body=kw.pop("body", "学习内容正文"),
            org_id=org.id,
            publish_at=publish_at or utcnow() - timedelta(minutes=1),
            minutes=minutes or defaults[kind],
            **kw,
        )
        db.session.add(item)
        db.session.commit()
        return item

    return _make


@pytest.fixture
def make_question(app):
    """Create a bank question (or a lesson's, with `item`)."""
    from app.study.models import TRUE_FALSE_OPTIONS, QuizQuestion

    counter = iter(range(100_000))

    def _make(org, kind="single", *, answer=("A",), options=None, item=None, **kw):
        n = next(counter)
        if options is None:
            options = TRUE_FALSE_OPTIONS if kind == "true_false" else ["甲", "乙", "丙", "丁"]
        question = QuizQuestion(
            org_id=org.id,
            item_id=item.id if item else None,
            kind=kind,
            stem=kw.pop("stem", f"第{n}题：以下哪项正确？"),
            options=list(options),
            answer=list(answer),
            explanation=kw.pop("explanation", f"第{n}题的解析"),
            tags=kw.pop("tags", []),
            **kw,
        )
        db.session.add(question)
        db.session.commit()
        return question

    return _make


# --- pages in a real browser (issue 7) ---------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# headless, and nothing that reaches the network on its own
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app):
    """The app on a real threaded server on a loopback port (for the browser), per test."""
    import logging
    import threading

    from werkzeug.serving import make_server

    request_log = logging.getLogger("werkzeug")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # werkzeug's request threads are daemons nobody joins: a request still running when the
    # test ends would hand its database connection back after the app fixture disposed the
    # pool, and the connection would be collected open in a later test. Track and join them.
    workers: list[threading.Thread] = []

    def process_request(request, client_address):
        worker = threading.Thread(
            target=server.process_request_thread, args=(request, client_address), daemon=True
        )
        workers.append(worker)
        worker.start()

    server.process_request = process_request
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        for worker in workers:
            worker.join(timeout=10)
        server.server_close()
        request_log.setLevel(level)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module; skipped when missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(scripts/test.sh installs Debian's chromium with apt-get where it can)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh browser page (its own context) at 1920×1080, closed before the server stops."""
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
