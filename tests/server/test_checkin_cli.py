"""`exam-server enrol-kiosk` and `exam-server purge-photos`, in process against the test database;
the kiosk key from `exam-kiosk run --make-key`."""
from __future__ import annotations

from datetime import timedelta

import pytest

from exam_server.cli import main
from kiosk_client.checkin import load_key
from kiosk_client.cli import main as kiosk_main
from tests.server.test_checkin import Setup


@pytest.fixture
def test_config(test_config, pki):
    return {**test_config, "CSCA_TRUST_DIR": str(pki.trust_dir), "PHOTO_RETENTION_DAYS": 7}


@pytest.fixture
def cli_env(monkeypatch, app, test_config, pki):
    monkeypatch.setenv("EXAM_DATABASE_URL", test_config["DATABASE_URL"])
    monkeypatch.setenv("EXAM_INSTANCE_PATH", test_config["INSTANCE_PATH"])
    monkeypatch.setenv("EXAM_SECRET_KEY", "cli-test")
    monkeypatch.setenv("EXAM_CSCA_TRUST_DIR", str(pki.trust_dir))
    monkeypatch.setenv("EXAM_PHOTO_RETENTION_DAYS", "7")
    return test_config


def test_enrol_kiosk_then_check_in_then_purge(cli_env, app, client, token_for, users, make_card, pki, tmp_path,
                                              capsys, monkeypatch):
    setup = Setup(app, client, token_for, users)
    key_file = tmp_path / "k03.key"
    assert kiosk_main(["run", "--make-key", "--key", str(key_file)]) == 0
    capsys.readouterr()
    assert main(["enrol-kiosk", "--exam", str(setup.exam_id), "--room", str(setup.room_id), "--name", "K03",
                 "--public-key", f"{key_file}.pub"]) == 0
    out = capsys.readouterr().out
    kiosk_id = int(out.split("enrolled with id ")[1].split()[0])
    with pytest.raises(SystemExit, match="already has a kiosk named"):
        main(["enrol-kiosk", "--exam", str(setup.exam_id), "--room", str(setup.room_id), "--name", "K03",
              "--public-key", f"{key_file}.pub"])
    with pytest.raises(SystemExit, match="Ed25519"):
        main(["enrol-kiosk", "--exam", str(setup.exam_id), "--room", str(setup.room_id), "--name", "K04",
              "--public-key", str(key_file)])  # the private key is not a public key
    body = setup.body(make_card, pki, key=load_key(key_file), kiosk_id=kiosk_id)
    assert setup.post(body).status_code == 200

    assert main(["purge-photos"]) == 0
    assert "0 check-in photos" in capsys.readouterr().out
    # Seven days after the exam closed (EXAM_PHOTO_RETENTION_DAYS=7) the chip portrait goes.
    from exam_server.checkin import services

    later = setup.closes_at + timedelta(days=7, seconds=1)
    real = services.purge_photos
    monkeypatch.setattr(services, "purge_photos", lambda now=None: real(later))
    assert main(["purge-photos"]) == 0
    assert "1 check-in photo past" in capsys.readouterr().out
