"""indicator mastery: per topic and cognitive level cells, the facts' mastery and its queue flag;
the exams' form reliability and flagged items from the psychometrics analysis; the term dimension

Revision ID: 0020
Revises: 0022
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import exam_server.core.db

revision = '0020'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('indicator_mastery_cells',
    sa.Column('exam_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('school_group', sa.String(length=16), nullable=False),
    sa.Column('dimension', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('candidates', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points_milli', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('max_points_milli', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('exam_id', 'unit_id', 'school_group', 'dimension', 'value',
                            name=op.f('pk_indicator_mastery_cells'))
    )
    op.create_table('indicator_form_quality',
    sa.Column('exam_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('form', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=True),
    sa.Column('sem_points', sa.Float(), nullable=True),
    sa.Column('mean_points', sa.Float(), nullable=False),
    sa.Column('sd_points', sa.Float(), nullable=False),
    sa.Column('computed_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('exam_id', 'form', name=op.f('pk_indicator_form_quality'))
    )
    op.create_table('indicator_flagged_items',
    sa.Column('exam_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('item_version_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('identifier', sa.String(length=128), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('p', sa.Float(), nullable=False),
    sa.Column('discrimination', sa.Float(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('computed_at', exam_server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('exam_id', 'item_version_id', name=op.f('pk_indicator_flagged_items'))
    )
    with op.batch_alter_table('indicator_exams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term', sa.String(length=16), nullable=False, server_default=''))
    # The term from the month the exam opened (engine.TERMS): HK1 September to January, HK2
    # February to May, HE June to August.
    op.execute("""UPDATE indicator_exams SET term = school_year || '-' || CASE
                      WHEN substr(month, 6, 2) IN ('09', '10', '11', '12', '01') THEN 'HK1'
                      WHEN substr(month, 6, 2) IN ('02', '03', '04', '05') THEN 'HK2' ELSE 'HE' END""")
    with op.batch_alter_table('indicator_exams', schema=None) as batch_op:
        batch_op.alter_column('term', server_default=None)
        batch_op.create_index(batch_op.f('ix_indicator_exams_term'), ['term'], unique=False)
    with op.batch_alter_table('indicator_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mastery', sa.JSON(), nullable=True))
        # Existing facts: counted as stale when scored, so the first refresh fills their mastery.
        batch_op.add_column(sa.Column('mastery_stale', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE indicator_facts SET mastery_stale = (score_centi IS NOT NULL)")
    with op.batch_alter_table('indicator_facts', schema=None) as batch_op:
        batch_op.alter_column('mastery_stale', server_default=None)
        batch_op.create_index('ix_indicator_facts_mastery_stale', ['exam_id', 'candidate_id'], unique=False,
                              postgresql_where=sa.text('mastery_stale'), sqlite_where=sa.text('mastery_stale'))


def downgrade() -> None:
    with op.batch_alter_table('indicator_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_facts_mastery_stale', postgresql_where=sa.text('mastery_stale'),
                            sqlite_where=sa.text('mastery_stale'))
        batch_op.drop_column('mastery_stale')
        batch_op.drop_column('mastery')
    with op.batch_alter_table('indicator_exams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_exams_term'))
        batch_op.drop_column('term')
    op.drop_table('indicator_flagged_items')
    op.drop_table('indicator_form_quality')
    op.drop_table('indicator_mastery_cells')
