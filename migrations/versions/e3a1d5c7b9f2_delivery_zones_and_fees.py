"""Delivery zones of stalls, and the delivery fee of an order

Revision ID: e3a1d5c7b9f2
Revises: cd0048e7f510
Create Date: 2026-12-03 17:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
import marketplace.database


# revision identifiers, used by Alembic.
revision = 'e3a1d5c7b9f2'
down_revision = 'cd0048e7f510'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delivery_zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stall_id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_codes', sa.String(length=2000), server_default='', nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('free_from', sa.BigInteger(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_delivery_zone_fee_not_negative')),
    sa.CheckConstraint('free_from IS NULL OR free_from >= 0', name=op.f('ck_delivery_zone_free_from_not_negative')),
    sa.ForeignKeyConstraint(['stall_id'], ['stall.id'], name=op.f('fk_delivery_zone_stall_id_stall'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_zone'))
    )
    with op.batch_alter_table('delivery_zone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_zone_stall_id'), ['stall_id'], unique=False)

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_fee', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('delivery_fee')

    with op.batch_alter_table('delivery_zone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_zone_stall_id'))

    op.drop_table('delivery_zone')
