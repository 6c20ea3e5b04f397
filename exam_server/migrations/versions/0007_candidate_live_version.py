"""candidates.live_version: orders the proctor page's candidate updates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.alter_column('live_version', server_default=None, existing_type=sa.Integer())


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('live_version')
