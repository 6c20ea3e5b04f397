"""jobs: background work (imports, exports, assembly) with status, progress, result and who asked

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import exam_server.core.db

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'succeeded', 'failed', name='jobstatus', native_enum=False, length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('input_name', sa.String(length=255), nullable=True),
    sa.Column('input_data', sa.LargeBinary(), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('result_name', sa.String(length=255), nullable=True),
    sa.Column('result_mimetype', sa.String(length=100), nullable=True),
    sa.Column('result_data', sa.LargeBinary(), nullable=True),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('worker', sa.String(length=128), nullable=False),
    sa.Column('created_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_jobs_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_owner_id_created_at', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_jobs_status_heartbeat_at', ['status', 'heartbeat_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_heartbeat_at')
        batch_op.drop_index('ix_jobs_owner_id_created_at')

    op.drop_table('jobs')