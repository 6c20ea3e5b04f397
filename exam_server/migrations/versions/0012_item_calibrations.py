"""item_calibrations: IRT parameters per item version with provenance (exam, model, n, date)

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from exam_server.core.db import UTCDateTime

revision = '0012'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'item_calibrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_version_id', sa.Integer(), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('model', sa.String(length=8), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('n_candidates', sa.Integer(), nullable=False),
        sa.Column('model_loglik', sa.Float(), nullable=False),
        sa.Column('calibrated_by_id', sa.Integer(), nullable=False),
        sa.Column('calibrated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['calibrated_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['exam_id'], ['exams.id']),
        sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_item_calibrations_item_version_id', 'item_calibrations', ['item_version_id'])
    op.create_index('ix_item_calibrations_exam_id', 'item_calibrations', ['exam_id'])


def downgrade() -> None:
    op.drop_index('ix_item_calibrations_exam_id', table_name='item_calibrations')
    op.drop_index('ix_item_calibrations_item_version_id', table_name='item_calibrations')
    op.drop_table('item_calibrations')
