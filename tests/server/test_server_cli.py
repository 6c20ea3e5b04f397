"""The `exam-server` command, run in-process against the test database."""
from __future__ import annotations

import json

import pytest

from exam_server.cli import main
from tests.server.factories import ITEM_TYPES, item_payload


@pytest.fixture
def cli_env(monkeypatch, app, test_config):
    monkeypatch.setenv("EXAM_DATABASE_URL", test_config["DATABASE_URL"])
    monkeypatch.setenv("EXAM_INSTANCE_PATH", test_config["INSTANCE_PATH"])
    monkeypatch.setenv("EXAM_SECRET_KEY", "cli-test")
    return test_config


def test_db_upgrade_and_create_user(cli_env, capsys):
    assert main(["db", "upgrade"]) == 0
    assert main(["create-user", "cli-admin", "--role", "admin", "--password", "long enough pw"]) == 0
    assert "created admin cli-admin" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="taken"):
        main(["create-user", "cli-admin", "--role", "admin", "--password", "long enough pw"])


def test_the_schema_is_migrated_before_the_app_is_built(tmp_path, monkeypatch, capsys):
    """create_app starts the live relay and the deadline sweeper, which read the live tables at
    once: on a new database `db upgrade`, `run` and `demo` migrate first, then build the app."""
    from sqlalchemy import create_engine, inspect

    import exam_server.app

    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("EXAM_DATABASE_URL", url)
    monkeypatch.setenv("EXAM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("EXAM_SECRET_KEY", "cli-test")
    tables_when_built = []
    real_create_app = exam_server.app.create_app

    def create_app(config=None):
        engine = create_engine(url)
        tables_when_built.append(set(inspect(engine).get_table_names()))
        engine.dispose()
        return real_create_app({**(config or {}), "LIVE_BACKGROUND": False})

    monkeypatch.setattr(exam_server.app, "create_app", create_app)
    assert main(["db", "upgrade"]) == 0
    (tables,) = tables_when_built
    assert {"live_events", "attempts", "alembic_version"} <= tables


def test_demo_loads_items_and_is_idempotent(cli_env, capsys):
    assert main(["demo", "--no-serve"]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--no-serve"]) == 0
    second = capsys.readouterr().out
    created = int(first.split("Demo data: ")[1].split()[0])
    assert created >= 20 and "Demo data: 0 new items" in second


def test_export_then_import_qti_json_report(cli_env, client, token_for, tmp_path, capsys):
    teacher = token_for("teacher1")
    for item_type in ITEM_TYPES:
        assert client.post("/api/v1/items", json=item_payload(item_type), headers=teacher).status_code == 201
    package = tmp_path / "bank.zip"
    assert main(["export-qti", str(package)]) == 0
    capsys.readouterr()
    # Unchanged items are recognised and skipped: importing twice never duplicates.
    status = main(["import-qti", str(package), "--user", "teacher1", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report == {"imported": 0, "skipped": len(ITEM_TYPES), "errors": []}


def test_import_qti_reports_bad_files(cli_env, users, tmp_path, capsys):
    bad = tmp_path / "broken.xml"
    bad.write_text("<qti-assessment-item><unclosed>")
    status = main(["import-qti", str(bad), "--user", "teacher1", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1 and report["imported"] == 0
    assert report["errors"] and report["errors"][0]["file"].endswith("broken.xml")
    assert report["errors"][0]["reason"]


@pytest.mark.parametrize("name, value, said", [
    ("EXAM_PHOTO_RETENTION_DAYS", "thirty", "EXAM_PHOTO_RETENTION_DAYS must be a whole number, not 'thirty'"),
    ("EXAM_LIVE_SWEEP_INTERVAL_SECONDS", "0", "EXAM_LIVE_SWEEP_INTERVAL_SECONDS must be at least 0.1"),
    ("EXAM_MAX_UPLOAD_BYTES", "-5", "EXAM_MAX_UPLOAD_BYTES must be at least 1024"),
])
def test_a_bad_setting_is_named_not_a_traceback(cli_env, capsys, monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    assert main(["db", "upgrade"]) == 2
    assert said in capsys.readouterr().err
