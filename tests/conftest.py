"""Shared fixtures. Database tests run on SQLite and on PostgreSQL (the production database).

PostgreSQL: EXAM_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test;
a fresh database is created for the session and dropped after. With CI=true a PostgreSQL that
cannot be reached fails the run; elsewhere those tests are skipped with the reason.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exam_server.core.migrate import all_models, upgrade

# Card fixtures (test PKI, simulated cards, the pcscd + vpcd path) for every suite that needs them.
pytest_plugins = ["card_fixtures"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URLS = [u for u in (os.environ.get("EXAM_TEST_POSTGRES_URL"),
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                             "postgresql+psycopg://root@127.0.0.1:5432/test") if u]


def _postgres_admin_url() -> tuple[str | None, str]:
    last_error = ""
    for url in PG_ADMIN_URLS:
        try:
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return url, ""
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            last_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None, last_error


@pytest.fixture(scope="session")
def postgresql_url():
    admin_url, error = _postgres_admin_url()
    if admin_url is None:
        message = f"PostgreSQL is not reachable ({error})"
        if IN_CI:
            pytest.fail(message + ": CI must test PostgreSQL")
        pytest.skip(message)
    name = f"exam_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url():
    """A reachable Redis (EXAM_TEST_REDIS_URL, default db 14) for the tests that run several server
    processes; like PostgreSQL, a failure under CI, a skip elsewhere. Each such test gives its
    processes a Socket.IO channel of its own (channels ignore the database number)."""
    import redis

    url = os.environ.get("EXAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        message = f"Redis is not reachable at {url} ({type(exc).__name__})"
        if IN_CI:
            pytest.fail(message + ": CI must test with Redis")
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'exam.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    return request.getfixturevalue(f"{request.param}_url")


def _truncate(url: str) -> None:
    from exam_server.core.db import Base

    all_models()
    engine = create_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("PRAGMA foreign_keys=ON"))
    engine.dispose()


@pytest.fixture
def test_config(database_url, tmp_path) -> dict:
    return {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": False, "ARGON2_FAST": True,
            # The relay runs in the committing thread under TESTING: push a room's rows every time.
            "LIVE_PROCTOR_PUSH_SECONDS": 0,
            # The second factor is tested in tests/server/test_security_accounts.py; other tests log
            # the admin in with a password alone.
            "TOTP_REQUIRED_ROLES": (),
            # Background jobs run in the committing request: a test follows the job's URL to its end.
            "JOBS_BACKEND": "sync"}


@pytest.fixture
def app(test_config):
    from exam_server.app import create_app

    app = create_app(test_config)
    yield app
    app.extensions["db_engine"].dispose()
    app.extensions["live_engine"].dispose()
    _truncate(test_config["DATABASE_URL"])


@pytest.fixture
def db(app):
    from exam_server.core.db import session

    with app.app_context():
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


PASSWORD = "correct horse battery"
ROLE_USERS = {"admin": "admin", "teacher": "teacher1", "teacher2": "teacher2", "proctor": "proctor1",
              "student": "student1", "official": "official1"}


@pytest.fixture
def users(app):
    """One user per role (two teachers, for review), committed. Returns username -> id."""
    from exam_server.accounts.services import create_user
    from exam_server.core.db import session

    with app.app_context():
        made = {}
        for role, username in ROLE_USERS.items():
            user = create_user(username, PASSWORD, "teacher" if role == "teacher2" else role,
                               full_name=username.title())
            made[username] = user.id
        session.commit()
    return made


@pytest.fixture
def token_for(app, users):
    """token_for("teacher1") -> headers with a bearer token of that user."""
    from exam_server.accounts.models import User
    from exam_server.accounts.services import issue_token
    from exam_server.core.db import session

    cache: dict[str, dict] = {}

    def make(username: str, fresh: bool = False) -> dict:
        if fresh or username not in cache:
            with app.app_context():
                token = issue_token(session.get(User, users[username]), 3600)
                session.commit()
            if fresh:
                return {"Authorization": f"Bearer {token}"}
            cache[username] = {"Authorization": f"Bearer {token}"}
        return cache[username]

    return make


@pytest.fixture
def login(client, users):
    def do(username: str):
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return client

    return do


FIXTURES_DIR = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def kiosk_language():
    """The kiosk's language is one per process (kiosk_client.i18n): a test that switches it (``main([...,
    "--lang", "en"])``) must not leave the next test in English."""
    yield
    from kiosk_client import i18n

    i18n.use(i18n.DEFAULT_LANGUAGE)


@pytest.fixture
def admin(token_for):
    """An admin's API headers."""
    return token_for("admin")


@pytest.fixture
def sio():
    """The app's Flask-SocketIO object (its test clients speak /student, /proctor, /dashboard)."""
    from exam_server.core.extensions import socketio

    return socketio


# --- a failed test on a stack of processes (tests/deploy, tests/chaos) ------------------------------

LOG_TAIL_LINES = 80


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries the tails of its `stack`'s logs (gunicorn, nginx, Redis): CI
    keeps the output, not the temporary folder the logs were in."""
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("stack")
    folder = getattr(stack, "folder", None) or getattr(stack, "tmp_path", None)
    if report.when != "call" or not report.failed or folder is None:
        return
    for log in sorted([*Path(folder).glob("*.log"), *Path(folder).glob("*.out")]):
        lines = log.read_text(errors="replace").splitlines()
        report.sections.append((f"log {log.name} (last {LOG_TAIL_LINES} lines)", "\n".join(lines[-LOG_TAIL_LINES:])))
