"""Alembic, driven from the app: `exam-server db upgrade` and the test fixtures call this."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def all_models() -> None:
    """Import every feature's models so that Base.metadata knows all tables."""
    import exam_server.accounts.models
    import exam_server.admission.models
    import exam_server.analysis.models
    import exam_server.audit.models
    import exam_server.bank.models
    import exam_server.checkin.models
    import exam_server.exams.models
    import exam_server.indicators.models
    import exam_server.jobs.models
    import exam_server.live.models
    import exam_server.results.models  # noqa: F401
