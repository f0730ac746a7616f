"""Quantities and stock by weight (Numeric), selling steps, booth cash given and receipts

Revision ID: a3b5c7d9e1f2
Revises: e3a1d5c7b9f2
Create Date: 2026-12-03 17:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3b5c7d9e1f2'
down_revision = 'e3a1d5c7b9f2'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to change a column's type: its rows are copied, the old table
    dropped and the copy renamed. With foreign keys enforced, dropping a table other rows
    point at fails, so enforcement is paused around the rebuild (the pragma only takes effect
    outside a transaction: what the rebuild began is committed first)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.alter_column('stock', existing_type=sa.Integer(),
                              type_=sa.Numeric(12, 3), existing_nullable=False)
        batch_op.add_column(sa.Column('quantity_step', sa.Numeric(12, 3), server_default='1',
                                      nullable=False))
    # Weighed products already on sale are sold by 0.1 kg (or lít) from now on.
    op.execute("UPDATE product SET quantity_step = 0.1 WHERE unit IN ('kg', 'lít')")

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.alter_column('quantity', existing_type=sa.Integer(),
                              type_=sa.Numeric(12, 3), existing_nullable=False)

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cash_given', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('receipt_token', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_receipt_token'), ['receipt_token'],
                              unique=True)
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_receipt_token'))
        batch_op.drop_column('receipt_token')
        batch_op.drop_column('cash_given')

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.alter_column('quantity', existing_type=sa.Numeric(12, 3),
                              type_=sa.Integer(), existing_nullable=False,
                              postgresql_using='round(quantity)::integer')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('quantity_step')
        batch_op.alter_column('stock', existing_type=sa.Numeric(12, 3),
                              type_=sa.Integer(), existing_nullable=False,
                              postgresql_using='round(stock)::integer')
    _sqlite_foreign_keys(True)
