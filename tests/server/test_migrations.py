"""The Alembic migrations produce exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from exam_server.core.db import Base
from exam_server.core.migrate import all_models


def test_models_and_migrations_agree(database_url):
    all_models()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    # The trigram index exists only in the migration (PostgreSQL-only, not expressible portably).
    diff = [d for d in diff if not (d[0] == "remove_index" and d[1].name == "ix_item_versions_search_trgm")]
    assert diff == []
