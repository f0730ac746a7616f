"""Fixtures: every app test runs once on SQLite and once on PostgreSQL, each isolated.

Set TEST_BACKENDS=sqlite (or postgresql) to run one backend only. Under CI=true a missing
PostgreSQL, Redis or Chromium fails the run instead of skipping.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask import g, has_app_context
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.extensions import db as _db

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _reuse_url_builders() -> None:
    """Build each route's URL builder once per test process, not once per app.

    Every test makes a fresh app, and Werkzeug compiles a Python function (ast + compile())
    for each of the ~140 routes, twice: 80 % of create_app and, over ~3,000 tests, most of the
    suite's time. The builder's code depends only on the rule, its defaults and its converters'
    kinds, and it takes the rule as an argument, so one compiled function serves every app.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict = {}

    def cached(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace),
               tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
               tuple((k, type(c).__qualname__, c.regex) for k, c in self._converters.items()),
               append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = cached


_reuse_url_builders()
PASSWORD = "matkhau-123"


# Instants the suite is also run at, whatever the hour CI starts: either side of Vietnam's
# midnight (17:00 UTC) at a month's end, in the evening hours (UTC) that once failed, and just
# after UTC midnight. The machine's own zone changes too, so nothing may lean on it.
ANY_HOUR = {
    "vn-23h59": ("2026-06-30T16:59:30+00:00", "UTC"),
    "vn-00h00": ("2026-06-30T17:00:30+00:00", "UTC"),
    "utc-23h30": ("2026-06-30T23:30:00+00:00", "America/Los_Angeles"),
    "utc-00h30": ("2026-07-01T00:30:00+00:00", "Pacific/Kiritimati"),
}


def pytest_configure(config):
    """Compile the message catalogs the app serves, so a bare `pytest` runs the i18n tests."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "marketplace" / "translations"
    for po in root.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        tmp = mo.with_suffix(f".mo.{os.getpid()}")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=True)
        tmp.replace(mo)  # atomic: parallel runs never read half a file


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only run on the PostgreSQL backend only (deselected elsewhere)."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("postgres_only") and params.get("database_url") != (
                "postgresql"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def missing(what: str, why: str):
    """Skip on a developer's machine; fail under CI=true."""
    message = f"{what} unavailable: {why}"
    if CI:
        pytest.fail(message + " (CI=true: required)", pytrace=False)
    pytest.skip(message)


def _admin_engine():
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def _pg_database():
    """Create a throwaway PostgreSQL database for this run (runs may overlap)."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        missing("PostgreSQL", str(exc.orig).strip().splitlines()[0])
    name = f"cho40_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not wait for the disk at each commit (the demo commits
        # once per record through the services); what a test reads is the same.
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = sa.engine.make_url(PG_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A database URL for the backend under test, with the schema created once."""
    if request.param == "postgresql":
        url = request.getfixturevalue("_pg_database")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(_test_config(url))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    return url


def _test_config(url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://cho40.test",
        "SERVER_NAME": None,
        "STRIPE_SECRET_KEY": None,
        "STRIPE_WEBHOOK_SECRET": None,
        "JOBS_MODE": "eager",
        "REDIS_URL": None,
        "MAIL_SERVER": None,
        "ZALO_ACCESS_TOKEN": None,
        "SMS_GATEWAY_URL": None,
    }
    if url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 15}}
    else:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    config.update(extra)
    return config


class TestClient(FlaskClient):
    """A test client whose every request starts with a fresh `g`.

    Tests keep an app context pushed (for factories and queries); Flask reuses it for
    requests, so Flask-Babel's locale and Flask-Login's user cached in `g` would leak from
    one request into the next. Real requests never share `g`.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


def _wipe(app) -> None:
    """Empty every table so the next test starts clean."""
    with app.app_context():
        _db.session.remove()
        tables = _db.metadata.sorted_tables
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # One round trip of DELETEs: far cheaper than TRUNCATE on small tables.
                conn.exec_driver_sql(
                    "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(tables))
                )
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())
        _db.engine.dispose()


@pytest.fixture
def make_app(database_url):
    """Build extra apps on the same database with config overrides (e.g. CSRF on)."""
    apps = []

    def factory(**overrides):
        app = create_app(_test_config(database_url, **overrides))
        app.test_client_class = TestClient
        apps.append(app)
        return app

    yield factory
    if apps:
        same_db = [a for a in apps if a.config["SQLALCHEMY_DATABASE_URI"] == database_url]
        _wipe(same_db[0] if same_db else create_app(_test_config(database_url)))
        for each in apps:  # close every pooled connection (live servers open their own)
            with each.app_context():
                _db.session.remove()
                _db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def backend(app) -> str:
    return _db.engine.dialect.name


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, user_or_login, password: str = PASSWORD):
        login = user_or_login
        if not isinstance(login, str):
            login = user_or_login.email or user_or_login.phone
        return self._client.post("/login", data={"login": login, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def redis_url():
    """A Redis database for tests that need shared storage."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        missing("Redis", str(exc))
    return REDIS_URL


@pytest.fixture
def live_server(app, make_app):
    """Serve the app (CSRF on, as in production) over HTTP on a free local port, in a thread."""
    with serving(make_app(WTF_CSRF_ENABLED=True)) as server:
        yield server


@contextmanager
def serving(app):
    """Serve a WSGI app over HTTP on a free local port in a thread; server.url is its base."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        missing("Chromium", f"{CHROMIUM} not found (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        missing("Playwright", str(exc))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(params=list(ANY_HOUR))
def any_hour(request):
    """Run the test with the clock (and the machine's zone) set to each of ANY_HOUR's instants."""
    instant, zone = ANY_HOUR[request.param]
    moment = datetime.fromisoformat(instant).astimezone(ZoneInfo(zone))
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


@pytest.fixture
def unique() -> str:
    return secrets.token_hex(3)
