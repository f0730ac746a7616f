"""Migrations build the schema from nothing and agree with the models, on both backends."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from marketplace.extensions import db


def _fresh_database(app):
    """Drop every table so `flask db upgrade` starts from an empty database."""
    with db.engine.begin() as conn:
        db.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_from_nothing_matches_the_models(app):
    _fresh_database(app)
    try:
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"user", "stall", "product", "order", "payment"} <= tables
    finally:
        # Leave the schema as the other tests expect it (create_all, no alembic table).
        with db.engine.begin() as conn:
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.metadata.create_all(conn)
