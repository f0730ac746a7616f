"""Session version (sign out everywhere) and one-time password reset codes

Revision ID: cd0048e7f510
Revises: 190b326f92be
Create Date: 2026-12-03 13:32:50.201855

"""
from alembic import op
import sqlalchemy as sa
import marketplace.database


# revision identifiers, used by Alembic.
revision = 'cd0048e7f510'
down_revision = '190b326f92be'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('password_reset_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_password_reset_code_issued_by_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_password_reset_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_code'))
    )
    with op.batch_alter_table('password_reset_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_code_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('password_reset_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_code_user_id'))

    op.drop_table('password_reset_code')
