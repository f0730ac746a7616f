"""Fixtures for provenance tests."""

from __future__ import annotations

import pytest

from marketplace.extensions import db


@pytest.fixture
def extra_app(make_app):
    """Another app on the test database (a second worker); its connections close afterwards."""
    apps = []

    def factory(**overrides):
        new = make_app(**overrides)
        apps.append(new)
        return new

    yield factory
    for other in apps:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def served_app(live_server):
    """The app live_server serves; its pooled connections close after the test."""
    yield live_server.app
    with live_server.app.app_context():
        db.engine.dispose()
