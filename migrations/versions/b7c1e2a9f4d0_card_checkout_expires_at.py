"""card checkout: expires_at (a card session never outlives its order)

Revision ID: b7c1e2a9f4d0
Revises: d284adf5f8a7
Create Date: 2026-12-03 13:45:00.000000

"""
from alembic import op
import sqlalchemy as sa
import marketplace.database


# revision identifiers, used by Alembic.
revision = 'b7c1e2a9f4d0'
down_revision = 'd284adf5f8a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', marketplace.database.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
