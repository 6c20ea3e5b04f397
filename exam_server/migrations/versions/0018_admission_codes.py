"""admission codes: short manual admission codes issued by a proctor, typed by the candidate

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import exam_server.core.db

revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'admission_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('issued_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('failed_tries', sa.Integer(), nullable=False),
        sa.Column('used_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_why', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_admission_codes_candidate_id_candidates')),
        sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_admission_codes_exam_id_exams')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_admission_codes_issued_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_codes')),
    )
    op.create_index(op.f('ix_admission_codes_candidate_id'), 'admission_codes', ['candidate_id'], unique=False)
    op.create_index(op.f('ix_admission_codes_exam_id'), 'admission_codes', ['exam_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_admission_codes_exam_id'), table_name='admission_codes')
    op.drop_index(op.f('ix_admission_codes_candidate_id'), table_name='admission_codes')
    op.drop_table('admission_codes')
