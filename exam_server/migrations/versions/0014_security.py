"""security: session generation and TOTP on users; the tamper-evident audit chain

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import exam_server.core.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'audit_records',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=48), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_records')),
    )
    op.create_index(op.f('ix_audit_records_exam_id'), 'audit_records', ['exam_id'], unique=False)
    op.create_index(op.f('ix_audit_records_kind'), 'audit_records', ['kind'], unique=False)
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_id', sa.BigInteger(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    op.execute("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade() -> None:
    op.drop_table('audit_head')
    op.drop_index(op.f('ix_audit_records_kind'), table_name='audit_records')
    op.drop_index(op.f('ix_audit_records_exam_id'), table_name='audit_records')
    op.drop_table('audit_records')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('totp_last_step')
        batch.drop_column('totp_secret')
        batch.drop_column('session_generation')
