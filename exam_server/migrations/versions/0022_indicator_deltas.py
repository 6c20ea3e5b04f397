"""indicator_deltas: the durable queue between a change and the indicator cells

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('indicator_deltas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('bins', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_deltas'))
    )


def downgrade() -> None:
    op.drop_table('indicator_deltas')
