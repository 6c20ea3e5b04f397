"""live at scale: the connection slot as a lease (live_nodes), the live event log, due_at for the
sweeper, the proctor page's version on the attempt (candidates.live_version goes)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import exam_server.core.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'live_nodes',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('started_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_nodes')),
    )
    op.create_index(op.f('ix_live_nodes_heartbeat_at'), 'live_nodes', ['heartbeat_at'], unique=False)
    op.create_table(
        'live_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=True),
        sa.Column('candidate_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_live_events_candidate_id_candidates')),
        sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_live_events_exam_id_exams')),
        sa.ForeignKeyConstraint(['room_id'], ['exam_rooms.id'], name=op.f('fk_live_events_room_id_exam_rooms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_events')),
    )
    op.create_index('ix_live_events_exam_room', 'live_events', ['exam_id', 'room_id'], unique=False)
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('connection_node', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('state_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('scored_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_attempts_scored_at'), ['scored_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_connection_node'), ['connection_node'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_offline_since'), ['offline_since'], unique=False)
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.alter_column('state_version', server_default=None, existing_type=sa.Integer())
    # Running attempts of an existing database: due "now", so the sweeper's next pass checks each
    # with the exact clock and either closes it or writes its real due time.
    op.execute("UPDATE attempts SET due_at = COALESCE(started_at, created_at) WHERE status IN ('in_progress', 'paused')")
    # Until now every submitted or closed attempt was scored when it finished.
    op.execute("UPDATE attempts SET scored_at = finished_at WHERE status IN ('submitted', 'closed')")
    with op.batch_alter_table('answer_events', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_events_attempt_id')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('live_version')


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('answer_events', schema=None) as batch_op:
        batch_op.create_index('ix_answer_events_attempt_id', ['attempt_id'], unique=False)
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempts_offline_since'))
        batch_op.drop_index(batch_op.f('ix_attempts_connection_node'))
        batch_op.drop_index(batch_op.f('ix_attempts_due_at'))
        batch_op.drop_index(batch_op.f('ix_attempts_scored_at'))
        batch_op.drop_column('scored_at')
        batch_op.drop_column('state_version')
        batch_op.drop_column('device')
        batch_op.drop_column('connection_node')
        batch_op.drop_column('due_at')
    op.drop_index('ix_live_events_exam_room', table_name='live_events')
    op.drop_table('live_events')
    op.drop_index(op.f('ix_live_nodes_heartbeat_at'), table_name='live_nodes')
    op.drop_table('live_nodes')
