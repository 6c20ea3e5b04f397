"""The kiosk's check-in flow: key pair, signed evidence, and each failure's message. In process with
the simulated reader and camera; one test through the real pcscd + vpcd path against a live server."""
from __future__ import annotations

import base64
import dataclasses
import os
import stat
import threading

import cv2
import pytest
from kiosk_helpers import qr_text

from kiosk_client import i18n
from kiosk_client.camera import SimulatedCamera, make_qr_image
from kiosk_client.card.simulated import SimulatedReader
from kiosk_client.checkin import CheckinError, KioskFlow, ServerClient, canonical_json, load_key, make_key
from kiosk_client.cli import main


class FakeServer(ServerClient):
    """Checks the kiosk's signature like the server does; answers like the server."""

    def __init__(self, key, refuse: dict | None = None):
        super().__init__("http://exam.test", 7, key)
        self.refuse, self.bodies = refuse, []

    def _post(self, path, body):
        if path.endswith("/challenge"):
            assert body == {"kiosk": 7}
            return {"challenge": "0011223344556677", "expires_at": "2026-01-01T00:00:00+00:00"}
        self.key.public_key().verify(base64.b64decode(body["signature"]), canonical_json(body))
        self.bodies.append(body)
        if self.refuse:
            raise CheckinError("server_refused", f"Server refused ({self.refuse['error']}): {self.refuse['message']}",
                               self.refuse.get("reasons"), self.refuse.get("outcome"))
        return {"outcome": "verified", "token": "tok", "exam_url": "/exam#token=tok",
                "candidate": {"id": 1, "full_name": "Nguyễn Văn An", "candidate_number": "010001"}}


@pytest.fixture(autouse=True)
def english():
    """These tests read the flow's messages in English (`--lang en`); the Vietnamese default is
    tests/kiosk/test_kiosk_i18n.py's."""
    i18n.use("en")


@pytest.fixture
def key(tmp_path):
    make_key(tmp_path / "kiosk.key")
    return load_key(tmp_path / "kiosk.key")


def _flow(make_card, profile, server, qr=None, card_options=None, present=True):
    reader = SimulatedReader()
    if present:
        reader.insert(make_card(sleep=lambda s: None, **(card_options or {})))
    camera = SimulatedCamera(make_qr_image(qr if qr is not None else qr_text(profile)))
    opened, said = [], []
    flow = KioskFlow(server, reader, camera, open_browser=opened.append, say=said.append, card_timeout=0.1)
    return flow, opened, said


def test_make_key_is_private_and_never_replaced(tmp_path):
    public = make_key(tmp_path / "k")
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o600
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(FileExistsError):
        make_key(tmp_path / "k")
    assert main(["run", "--make-key", "--key", str(tmp_path / "k")]) == 2
    assert main(["run", "--make-key", "--key", str(tmp_path / "k2")]) == 0
    assert (tmp_path / "k2.pub").exists()


def test_check_in_signs_the_evidence_and_opens_the_exam_page(make_card, profile, key):
    server = FakeServer(key)
    flow, opened, said = _flow(make_card, profile, server)
    answer = flow.check_in()
    assert opened == ["http://exam.test/exam#token=tok"] and answer["token"] == "tok"
    body = server.bodies[0]
    assert body["kiosk"] == 7 and body["challenge"] == "0011223344556677" and isinstance(body["timestamp"], int)
    assert {"dg1", "dg2", "dg13", "dg14", "dg15", "sod", "aa_signature", "signature"} <= set(body)
    assert "passive_auth" not in body and "ok" not in body   # the kiosk's verdict is never sent
    assert any("Checked in: Nguyễn Văn An" in s for s in said)
    flow.reader.remove()
    flow.wait_for_removal(poll=0.01, timeout=1)


@pytest.mark.parametrize("case, kind, text", [
    ("no_card", "no_card", "No card on the reader"),
    ("bad_qr", "unreadable_qr", "not a CCCD"),
    ("wrong_key", "wrong_key", "wrong key after"),
    ("removed_mid_read", "card_removed", "card removed"),
    ("refused", "server_refused", "Server refused (mismatch)"),
])
def test_failures_have_clear_messages(make_card, profile, key, case, kind, text):
    refuse = {"error": "mismatch", "message": "date of birth differs", "reasons": ["date of birth differs"]}
    def flow():
        return _flow(make_card, profile, FakeServer(key, refuse if case == "refused" else None),
                     qr="hello" if case == "bad_qr" else None,
                     card_options={"fault": case} if case in ("wrong_key", "removed_mid_read") else None,
                     present=case != "no_card")

    first, opened, _ = flow()
    with pytest.raises(CheckinError) as info:
        first.check_in()
    assert info.value.kind == kind and text in info.value.message and opened == []
    second, opened, said = flow()
    assert second.run(once=True) == 1 and opened == []
    assert any(s.startswith("CHECK-IN FAILED") and text in s for s in said)


def test_blank_camera_is_unreadable_qr(make_card, profile, key, monkeypatch):
    import numpy as np

    monkeypatch.setattr("kiosk_client.checkin.time.sleep", lambda s: None)
    flow, _, _ = _flow(make_card, profile, FakeServer(key))
    flow.camera = SimulatedCamera(np.full((100, 100), 255, np.uint8))
    with pytest.raises(CheckinError, match="Could not read the QR code"):
        flow.check_in()


def test_run_without_key_is_a_usage_error(capsys):
    assert main(["run", "--server", "http://127.0.0.1:5000", "--kiosk-id", "1"]) == 2
    assert "--key" in capsys.readouterr().err


def test_unreachable_server(key):
    client = ServerClient("http://127.0.0.1:9", 1, key, timeout=2)
    with pytest.raises(CheckinError) as info:
        client.challenge()
    assert info.value.kind == "server_unreachable"


# --- the real path: pcscd + vpcd card, a live server, `exam-kiosk run --once` -------------------

@pytest.fixture
def test_config(test_config, pki):
    return {**test_config, "CSCA_TRUST_DIR": str(pki.trust_dir)}


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.mark.pcsc
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_exam_kiosk_run_once_through_pcscd(vcard, live_server, app, client, token_for, users, tmp_path,
                                           capsys, profile):
    from tests.server.test_checkin import Setup

    setup = Setup(app, client, token_for, users)
    key_file = tmp_path / "kiosk.key"
    assert main(["run", "--make-key", "--key", str(key_file)]) == 0
    kiosk_id = setup.enrol("K05", load_key(key_file))
    qr_png = tmp_path / "qr.png"
    cv2.imwrite(str(qr_png), make_qr_image(qr_text(profile)))
    capsys.readouterr()
    vcard.start()
    rc = main(["--lang", "en", "run", "--server", live_server, "--kiosk-id", str(kiosk_id), "--key", str(key_file),
               "--qr-image", str(qr_png), "--reader", vcard.reader, "--card-timeout", "10", "--once"])
    out, err = capsys.readouterr()
    assert rc == 0, out + err
    url = next(line.split("Exam page: ", 1)[1] for line in out.splitlines() if line.startswith("Exam page: "))
    assert url.startswith(f"{live_server}/exam#token=")
    from exam_server.live.tokens import active_token

    with app.app_context():
        row = active_token(url.split("#token=", 1)[1])
        assert row is not None and row.method == "chip" and row.candidate_id == setup.candidate_id


def test_live_photo_is_sent_as_jpeg(make_card, profile, key):
    import numpy as np

    server = FakeServer(key)
    flow, _, said = _flow(make_card, profile, server)
    flow.photo_camera, flow.photo_delay = SimulatedCamera(np.full((60, 40, 3), 128, np.uint8)), 0
    flow.check_in()
    assert base64.b64decode(server.bodies[0]["live_photo"]).startswith(b"\xff\xd8\xff")
    assert "Look at the camera" in " ".join(said)


def _typing(*answers):
    asked = []

    def ask(prompt):
        asked.append(prompt)
        return answers[len(asked) - 1]
    return ask, asked


@pytest.mark.parametrize("access, typed", [("pace", "can"), ("bac", "mrz")])
def test_an_unreadable_qr_falls_back_to_the_typed_can_or_mrz(make_card, profile, key, access, typed):
    server = FakeServer(key)
    flow, opened, said = _flow(make_card, profile, server, qr="hello", card_options={"access": access})
    # The MRZ as a cardholder types it: three lines, spaces and lower case allowed.
    text = f"  {profile.id_number[-6:]} " if typed == "can" else "\n".join(profile.mrz_lines).lower()
    flow.ask, asked = _typing(text)
    answer = flow.check_in()
    assert answer["token"] == "tok" and len(opened) == 1 and len(asked) == 1 and "CAN" in asked[0]
    assert any("not a CCCD" in s for s in said)


def test_keys_from_the_qr_refused_then_the_typed_key_is_tried_once(make_card, profile, key):
    # A renewed card: its real expiry is not among the QR's candidates, so BAC from the QR fails.
    renewed = dataclasses.replace(profile, date_of_expiry=profile.date_of_expiry.replace(year=2071))
    flow, opened, said = _flow(make_card, renewed, FakeServer(key), qr=qr_text(profile),
                               card_options={"access": "bac", "profile": renewed})
    flow.ask, asked = _typing("\n".join(renewed.mrz_lines))
    assert flow.check_in()["token"] == "tok" and len(asked) == 1
    assert any("refused the keys from the QR code" in s for s in said)
    # Typed wrong as well: the chip's refusal is the answer, with no third try.
    flow, opened, _ = _flow(make_card, renewed, FakeServer(key), qr=qr_text(profile),
                            card_options={"access": "bac", "profile": renewed})
    flow.ask, asked = _typing("\n".join(profile.mrz_lines))
    with pytest.raises(CheckinError) as info:
        flow.check_in()
    assert info.value.kind == "wrong_key" and len(asked) == 1 and opened == []


@pytest.mark.parametrize("typed, kind", [("", "no_access_key"), ("12ab", "bad_access_key")])
def test_a_bad_typed_key_is_a_clear_error(make_card, profile, key, typed, kind):
    flow, opened, _ = _flow(make_card, profile, FakeServer(key), qr="hello")
    flow.ask, _asked = _typing(typed)
    with pytest.raises(CheckinError) as info:
        flow.check_in()
    assert info.value.kind == kind and opened == []
