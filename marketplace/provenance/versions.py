"""The version number of public pages: writers bump it, the page cache compares copies to it.

It lives in Redis when REDIS_URL is set, else in the page_version table, so every worker and
instance shares it. Each process reads it at most every CHECK_EVERY seconds (a change shows
everywhere within 1 s) and at once after its own bump.
"""

from __future__ import annotations

import logging
import time

import redis
import sqlalchemy as sa
from flask import Flask, current_app

from marketplace.catalog.signals import pages_changed
from marketplace.extensions import db
from marketplace.provenance.models import PageVersion as Row

log = logging.getLogger(__name__)
CHECK_EVERY = 0.5
FAILURES = (redis.RedisError, sa.exc.SQLAlchemyError)


class PageVersion:
    """The shared page version, as one app reads and bumps it."""

    def __init__(self, app: Flask):
        self.app = app
        self.redis_url = app.config.get("REDIS_URL")
        self.key = f"{app.config.get('RATELIMIT_KEY_PREFIX') or 'cho40'}:pages:version"
        self.known: int | None = None
        self.read_at = float("-inf")
        self._redis = self._engine = None

    @classmethod
    def of(cls, app: Flask) -> PageVersion:
        found = app.extensions.get("page_version")
        if found is None:
            found = app.extensions["page_version"] = cls(app)
        return found

    def current(self) -> int | None:
        """Return the current version (None when it cannot be read: copies must not be used)."""
        now = time.monotonic()
        if now - self.read_at >= CHECK_EVERY:
            try:
                self.known = self._store(bump=False)
            except FAILURES as exc:
                log.warning("page version unreadable (%s); not serving copies", exc)
                self.known = None
            self.read_at = now
        return self.known

    def bump(self) -> None:
        try:
            self.known, self.read_at = self._store(bump=True), time.monotonic()
        except FAILURES as exc:
            log.error("could not bump the page version (%s)", exc)
            self.known = None

    def _store(self, *, bump: bool) -> int:
        if self.redis_url:
            if self._redis is None:
                self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=1)
            if bump:
                return int(self._redis.incr(self.key))
            return int(self._redis.get(self.key) or 0)
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        table = Row.__table__
        with self._engine.begin() as conn:
            if bump and not conn.execute(table.update().where(table.c.name == "pages")
                                         .values(version=table.c.version + 1)).rowcount:
                conn.execute(table.insert().values(name="pages", version=1))
            found = conn.execute(sa.select(table.c.version).where(table.c.name == "pages"))
            return int(found.scalar() or 0)


def invalidate_product_pages() -> None:
    """Tell every process that public product pages are out of date (call after commit)."""
    PageVersion.of(current_app._get_current_object()).bump()


@pages_changed.connect
def _on_catalog_change(_app, **_data) -> None:
    """The catalog changed a stall or product (catalog/signals.py): pages are out of date."""
    invalidate_product_pages()
