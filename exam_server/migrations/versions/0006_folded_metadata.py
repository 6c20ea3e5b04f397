"""folded copies of item metadata for accent-insensitive filters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from item_bank.text import fold

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = (('learning_outcome', sa.Text()), ('author', sa.String(length=200)), ('source', sa.String(length=300)))


def upgrade() -> None:
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(f'{name}_folded', kind, nullable=False, server_default=''))
    # Existing versions get their folded copies computed the same way the application does.
    versions = sa.table('item_versions', sa.column('id'), *(sa.column(n) for n, _ in COLUMNS),
                        *(sa.column(f'{n}_folded') for n, _ in COLUMNS))
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.id, *(versions.c[n] for n, _ in COLUMNS))).all():
        bind.execute(versions.update().where(versions.c.id == row.id).values(
            **{f'{n}_folded': fold(getattr(row, n) or '') for n, _ in COLUMNS}))
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.alter_column(f'{name}_folded', server_default=None, existing_type=kind)


def downgrade() -> None:
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        for name, _ in COLUMNS:
            batch_op.drop_column(f'{name}_folded')
