"""Fixtures for the production set: seeded PostgreSQL databases, flask commands, nginx."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from deploy.render_nginx import ROOT
from deploy.stack import nginx_available
from tests.conftest import PG_URL, _admin_engine, missing

SECRET = "deploy-test-secret"


def app_env(url: str, **extra: str) -> dict[str, str]:
    """The environment a production process gets (no Redis: each worker buffers scans itself)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "FLASK_"))}
    env.update(DATABASE_URL=url, SECRET_KEY=SECRET, PUBLIC_BASE_URL="http://127.0.0.1",
               PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def flask(url: str, *args: str) -> str:
    """Run `flask --app wsgi ARGS` against a database, as an operator would; return stdout."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=app_env(url), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Databases:
    """Create throwaway PostgreSQL databases on the test server; drop them all at the end."""

    def __init__(self) -> None:
        self.admin = _admin_engine()
        self.names: list[str] = []
        self._template: str | None = None

    def url(self, name: str) -> str:
        return sa.engine.make_url(PG_URL).set(database=name).render_as_string(False)

    def create(self, name: str | None = None) -> str:
        name = name or f"cho40_deploy_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def seeded(self) -> str:
        """A database built the production way: `flask db upgrade`, then `flask seed-demo`.

        Built once per run and copied (CREATE DATABASE ... TEMPLATE) for each caller.
        """
        if self._template is None:
            url = self.create()
            flask(url, "db", "upgrade")
            flask(url, "seed-demo")
            # The demo's old unpaid orders give their stock back now, not in the middle of a
            # test (without Redis each web worker runs the periodic jobs in a thread).
            flask(url, "orders", "expire")
            self._template = sa.engine.make_url(url).database
        name = f"cho40_deploy_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"'))
        self.names.append(name)
        return self.url(name)

    def close(self) -> None:
        for name in self.names:
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases():
    dbs = Databases()
    try:
        with dbs.admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        dbs.admin.dispose()
        missing("PostgreSQL", str(exc.orig).strip().splitlines()[0])
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def nginx():
    why = nginx_available()
    if why:
        missing("nginx", why)


def query(url: str, sql: str, **params):
    """Run one SQL statement on its own connection and return all rows."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def buyable_products(url: str, n: int, min_stock: int) -> list[tuple[str, int, int]]:
    """(code, id, stock) of products whose page offers "Thêm vào giỏ": active, in stock, and
    with no lot past its best-before date (such a page says "không bán")."""
    from marketplace.formatting import vn_today

    return [tuple(r) for r in query(url, (
        "SELECT p.code, p.id, p.stock FROM product p JOIN stall s ON s.id = p.stall_id "
        "WHERE p.active AND s.active AND p.stock >= :min_stock AND NOT EXISTS ("
        "  SELECT 1 FROM batch b WHERE b.product_id = p.id AND b.best_before < :today) "
        "ORDER BY p.id LIMIT :n"), n=n, min_stock=min_stock, today=vn_today())]
