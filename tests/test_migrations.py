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


def _before(revision: str) -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


def test_upgrade_completes_booth_sales_already_paid(app):
    from marketplace.orders.models import Order
    from tests.factories import make_order, make_seller, make_stall

    _fresh_database(app)
    try:
        upgrade(revision=_before("b7c1e2a9f4d0"))  # before paid booth sales were completed
        seller = make_seller()
        stall = make_stall(seller)
        booth = {"channel": "fair", "fulfilment": "booth_pickup", "created_by_id": seller.id,
                 "payment_method": "vietqr"}
        paid, unpaid = make_order(stall, **booth), make_order(stall, **booth)
        online = make_order(stall, paid=True, method="vietqr", payment_method="vietqr")
        paid.paid_amount = paid.total  # as "Đã nhận chuyển khoản" left it, still "placed"
        db.session.commit()
        ids = (paid.id, unpaid.id, online.id)
        db.session.remove()
        upgrade()
        statuses = [db.session.get(Order, i).status for i in ids]
        assert statuses == ["fulfilled", "placed", "placed"]
        events = [e.status for e in db.session.get(Order, ids[0]).events]
        assert events == ["placed", "fulfilled"]
    finally:
        db.session.remove()
        with db.engine.begin() as conn:
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.metadata.create_all(conn)
