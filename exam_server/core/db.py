"""The database: declarative base, one engine per app, one session per request or CLI call.

Services only flush; the request (or CLI command) boundary commits, so a request either writes
everything it meant to or nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, any_, bindparam, create_engine, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def among(column, values):
    """`column IN values`; on PostgreSQL `column = ANY(:array)`: one parameter however many values,
    so the statement's text stays short and the same (psycopg caches its conversion of a statement
    only below 4 KB: a room's 2,000 ids as 2,000 placeholders were re-parsed on every pass)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def make_engine(url: str, *, pool_size: int = 20, max_overflow: int = 30, pool_timeout: float = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    # No pre-ping (a round trip on every checkout, i.e. on every answer): after a database restart
    # the first statement on a dead connection fails, SQLAlchemy then discards every connection of
    # the pool older than that failure, and that one event is refused (its client sends it again).
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions on `engine` that run their after-commit callbacks (every session of the app's: the
    request's, and the live runtime's own, whose commits queue pushes and drains too)."""
    maker = sessionmaker(engine, expire_on_commit=False)

    @event.listens_for(maker, "after_commit")
    def _run_after_commit(db_session):
        for callback in db_session.info.pop(AFTER_COMMIT, []):
            try:
                callback()
            except Exception:  # committed already: a failed push must not undo or hide that
                log.exception("after-commit callback %r failed", callback)

    @event.listens_for(maker, "after_rollback")
    def _drop_after_commit(db_session):
        db_session.info.pop(AFTER_COMMIT, None)

    return maker


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], pool_size=app.config.get("DB_POOL_SIZE", 20),
                         max_overflow=app.config.get("DB_MAX_OVERFLOW", 30),
                         pool_timeout=app.config.get("DB_POOL_TIMEOUT_SECONDS", 10))
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = make_sessionmaker(engine)

    @app.teardown_appcontext
    def _close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def _get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


# The session of the current app context. Services use it and flush; boundaries commit.
session: Session = LocalProxy(_get_session)  # type: ignore[assignment]

AFTER_COMMIT = "after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed; dropped if it rolls back.
    For effects outside the database (socket pushes, disconnects) that a service decides on but
    must not announce before the boundary has written what they announce."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


def after_commit_once(key: str, callback: Callable[[], None]) -> None:
    """after_commit, at most once per transaction for this `key` (a wake-up that one call serves
    however many rows the transaction wrote)."""
    if any(getattr(queued, "after_commit_key", None) == key for queued in session.info.get(AFTER_COMMIT, ())):
        return
    callback.after_commit_key = key
    after_commit(callback)
