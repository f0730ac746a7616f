"""card checkout: expires_at (a card session never outlives its order); paid booth sales done

Booth sales paid by transfer used to stay "placed" after the seller saw the money arrive; a
booth sale counts as handed over once it is paid, so those already paid are completed here.

Revision ID: b7c1e2a9f4d0
Revises: fb2997bbcb18
Create Date: 2026-12-03 13:45:00.000000

"""
from alembic import op
import sqlalchemy as sa
import marketplace.database


# revision identifiers, used by Alembic.
revision = 'b7c1e2a9f4d0'
down_revision = 'fb2997bbcb18'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', marketplace.database.UTCDateTime(timezone=True),
                                      nullable=True))
    _complete_paid_booth_sales()


def _complete_paid_booth_sales():
    order = sa.table('order', sa.column('id', sa.Integer), sa.column('status', sa.String),
                     sa.column('channel', sa.String), sa.column('fulfilment', sa.String),
                     sa.column('created_by_id', sa.Integer), sa.column('total', sa.BigInteger),
                     sa.column('paid_amount', sa.BigInteger))
    event = sa.table('order_status_event', sa.column('order_id', sa.Integer),
                     sa.column('status', sa.String),
                     sa.column('at', marketplace.database.UTCDateTime(timezone=True)),
                     sa.column('by_id', sa.Integer), sa.column('note', sa.String))
    conn = op.get_bind()
    ids = conn.execute(sa.select(order.c.id).where(
        order.c.channel == 'fair', order.c.fulfilment == 'booth_pickup',
        order.c.created_by_id.is_not(None), order.c.status.in_(['placed', 'confirmed', 'ready']),
        order.c.paid_amount >= order.c.total,
    )).scalars().all()
    if not ids:
        return
    conn.execute(sa.update(order).where(order.c.id.in_(ids)).values(status='fulfilled'))
    now = marketplace.database.utcnow()
    conn.execute(sa.insert(event), [
        {'order_id': i, 'status': 'fulfilled', 'at': now, 'by_id': None, 'note': ''}
        for i in ids])


def downgrade():
    # The completed booth sales stay completed: they were handed over.
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
