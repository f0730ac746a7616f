"""once keys: one-time form keys stored with the result of their action

Revision ID: f5271ad10c2a
Revises: 0b9b08174210
Create Date: 2026-12-03 13:34:27.715717

"""
from alembic import op
import sqlalchemy as sa
import marketplace.database


# revision identifiers, used by Alembic.
revision = 'f5271ad10c2a'
down_revision = '0b9b08174210'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('once_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('guest', sa.String(length=64), nullable=True),
    sa.Column('result_ref', sa.String(length=255), nullable=False),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_once_key_actor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_once_key')),
    sa.UniqueConstraint('key', 'action', name=op.f('uq_once_key_key_action'))
    )


def downgrade():
    op.drop_table('once_key')
