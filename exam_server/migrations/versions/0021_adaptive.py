"""adaptive exams: the exam's CAT rules and pool snapshot, each adaptive paper's state, θ and its
SE on results; candidates' gender (for differential item functioning)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exams') as batch:
        batch.add_column(sa.Column('adaptive', sa.JSON(), nullable=True))
    with op.batch_alter_table('candidate_papers') as batch:
        batch.add_column(sa.Column('adaptive', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('adaptive_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('results') as batch:
        batch.add_column(sa.Column('theta', sa.Float(), nullable=True))
        batch.add_column(sa.Column('theta_se', sa.Float(), nullable=True))
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('gender', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.drop_column('gender')
    with op.batch_alter_table('results') as batch:
        batch.drop_column('theta_se')
        batch.drop_column('theta')
    with op.batch_alter_table('candidate_papers') as batch:
        batch.drop_column('adaptive_step')
        batch.drop_column('adaptive')
    with op.batch_alter_table('exams') as batch:
        batch.drop_column('adaptive')
