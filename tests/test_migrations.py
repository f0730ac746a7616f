"""Migrations build the schema from nothing and agree with the models, on both backends."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
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


def test_old_reversals_become_refunds_or_corrections_and_returns_are_returns(app):
    """The data migration sorts yesterday's rows into today's kinds."""
    _fresh_database(app)
    at = "2026-12-01 03:00:00"
    try:
        # Just before the ledger migration, wherever the chain puts it.
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        upgrade(revision=script.get_revision("a7c3e9d1f2b4").down_revision)
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO \"user\" (id, email, name, password_hash, role, active, created_at) "
                "VALUES (1, 'ban@cho40.test', 'Bán', 'x', 'seller', true, :at)"), {"at": at})
            conn.execute(sa.text(
                "INSERT INTO stall (id, owner_id, name, slug, story, active, search_text, "
                "created_at) VALUES (1, 1, 'Gian', 'gian', '', true, '', :at)"), {"at": at})
            for order_id, status in ((1, "placed"), (2, "cancelled")):
                conn.execute(sa.text(
                    "INSERT INTO \"order\" (id, code, access_token, stall_id, customer_name, "
                    "customer_phone, delivery_address, note, channel, fulfilment, "
                    "payment_method, status, total, paid_amount, placed_at) VALUES (:id, :code, "
                    "'t', 1, 'Khách', '', '', '', 'fair', 'booth_pickup', 'cash', :status, "
                    "45000, 0, :at)"),
                    {"id": order_id, "code": f"ORD{order_id}", "status": status, "at": at})
            rows = [(1, 1, 45000, "payment", None), (2, 1, -45000, "reversal", 1),
                    (3, 2, 45000, "payment", None), (4, 2, -45000, "reversal", 3)]
            for pid, order_id, amount, kind, reverses in rows:
                conn.execute(sa.text(
                    "INSERT INTO payment (id, order_id, method, amount, kind, provider_ref, "
                    "reverses_id, created_at) VALUES (:id, :o, 'cash', :a, :k, :ref, :r, :at)"),
                    {"id": pid, "o": order_id, "a": amount, "k": kind, "ref": f"ref-{pid}",
                     "r": reverses, "at": at})
            for n, raw, cls in ((1, "Trả hàng/Hoàn tiền", "in_progress"),
                                (2, "Đã hủy", "cancelled")):
                conn.execute(sa.text(
                    "INSERT INTO imported_sale_line (stall_id, platform, external_order_id, "
                    "line_key, created_at_source, status_raw, status_class, product_name, "
                    "seller_sku, variation, qty, returned_qty, net_amount, buyer_province, "
                    "source_file, source_row) VALUES (1, 'shopee', :ext, :ext, :at, :raw, "
                    ":cls, '', 'SKU', '', 2, 0, 90000, '', '', 0)"),
                    {"ext": f"E{n}", "at": at, "raw": raw, "cls": cls})
        upgrade()
        with db.engine.connect() as conn:
            kinds = conn.execute(sa.text("SELECT id, kind FROM payment ORDER BY id")).all()
            lines = conn.execute(sa.text(
                "SELECT external_order_id, status_class, returned_qty FROM imported_sale_line "
                "ORDER BY external_order_id")).all()
        # The cancelled order's money went back to the customer; the other was a mistake.
        assert [tuple(r) for r in kinds] == [(1, "payment"), (2, "correction"),
                                             (3, "payment"), (4, "refund")]
        assert [tuple(r) for r in lines] == [("E1", "returned", 2), ("E2", "cancelled", 0)]
    finally:
        with db.engine.begin() as conn:
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.metadata.create_all(conn)


def _before(revision: str) -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


# Columns later migrations add that the ORM writes: lent to the old schema for its rows.
_LENT_COLUMNS = (
    '"user" ADD COLUMN session_version INTEGER NOT NULL DEFAULT 1',
    "product ADD COLUMN quantity_step NUMERIC(12, 3) NOT NULL DEFAULT 1",
    '"order" ADD COLUMN cash_given BIGINT',
    '"order" ADD COLUMN receipt_token VARCHAR(32)',
    '"order" ADD COLUMN delivery_fee BIGINT NOT NULL DEFAULT 0',
)


def test_upgrade_completes_booth_sales_already_paid(app):
    from marketplace.orders.models import Order
    from tests.factories import make_order, make_seller, make_stall

    _fresh_database(app)
    try:
        upgrade(revision=_before("b7c1e2a9f4d0"))  # before paid booth sales were completed
        # The ORM's user has a later migration's column: lend it for the rows made here.
        with db.engine.begin() as conn:
            for stmt in _LENT_COLUMNS:
                conn.execute(sa.text(f"ALTER TABLE {stmt}"))
        seller = make_seller()
        stall = make_stall(seller)
        booth = {"channel": "fair", "fulfilment": "booth_pickup", "created_by_id": seller.id,
                 "payment_method": "vietqr"}
        paid, unpaid = make_order(stall, **booth), make_order(stall, **booth)
        # Paid amounts set directly: no payment rows, whose columns later migrations add.
        online = make_order(stall, payment_method="vietqr")
        online.paid_amount = online.total
        paid.paid_amount = paid.total  # as "Đã nhận chuyển khoản" left it, still "placed"
        db.session.commit()
        ids = (paid.id, unpaid.id, online.id)
        db.session.remove()
        with db.engine.begin() as conn:
            for stmt in _LENT_COLUMNS:
                table, _add, _col, column = stmt.split()[:4]
                conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
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
