"""scan flag on scan events; page version for the provenance page cache

Revision ID: 7c1e2a9d4b10
Revises: a7c3e9d1f2b4
Create Date: 2026-12-03 13:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e2a9d4b10'
down_revision = 'a7c3e9d1f2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('page_version',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_page_version'))
    )
    with op.batch_alter_table('scan_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qr', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('scan_event', schema=None) as batch_op:
        batch_op.drop_column('qr')
    op.drop_table('page_version')
