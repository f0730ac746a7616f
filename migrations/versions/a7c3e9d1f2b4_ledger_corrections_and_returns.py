"""ledger corrections apart from refunds; marketplace returns stored as returns

Revision ID: a7c3e9d1f2b4
Revises: b7c1e2a9f4d0
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f2b4'
down_revision = 'b7c1e2a9f4d0'
branch_labels = None
depends_on = None

# Raw marketplace statuses that mean the goods came back (classified as "returned" from now on;
# earlier imports filed them as cancelled or in progress).
RETURNED_STATUSES = ("Trả hàng/Hoàn tiền", "Trả hàng / Hoàn tiền", "Đã trả hàng",
                     "Trả hàng", "Hoàn tiền", "Returned", "Return/Refund", "Return / Refund",
                     "Refunded", "Đã hoàn tiền")


def upgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))

    payment = sa.table('payment', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                       sa.column('order_id', sa.Integer))
    order = sa.table('order', sa.column('id', sa.Integer), sa.column('status', sa.String))
    cancelled = sa.select(order.c.id).where(order.c.status == 'cancelled')
    # A "reversal" written when an order was cancelled handed the money back: a refund.
    op.execute(payment.update()
               .where(payment.c.kind == 'reversal', payment.c.order_id.in_(cancelled))
               .values(kind='refund'))
    # Any other "reversal" undid a row recorded by mistake: a correction.
    op.execute(payment.update().where(payment.c.kind == 'reversal').values(kind='correction'))

    line = sa.table('imported_sale_line', sa.column('status_raw', sa.String),
                    sa.column('status_class', sa.String), sa.column('qty', sa.Integer),
                    sa.column('returned_qty', sa.Integer))
    op.execute(line.update().where(line.c.status_raw.in_(RETURNED_STATUSES))
               .values(status_class='returned', returned_qty=line.c.qty))


def downgrade():
    payment = sa.table('payment', sa.column('kind', sa.String))
    op.execute(payment.update().where(payment.c.kind == 'correction').values(kind='reversal'))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('reason')
