"""The kiosk speaks Vietnamese, English on request: every message of kiosk_client/messages.py has
its translation in the compiled catalogues, and a check-in shows Vietnamese text.

The expected Vietnamese is written here by hand (what a candidate at the kiosk must read), not
taken from the catalogue under test."""
from __future__ import annotations

from pathlib import Path

import pytest
from kiosk_helpers import qr_text

import kiosk_client
from kiosk_client import i18n
from kiosk_client import messages as M
from kiosk_client.camera import SimulatedCamera, make_qr_image
from kiosk_client.card.simulated import SimulatedReader
from kiosk_client.checkin import CheckinError, KioskFlow, load_key, make_key
from kiosk_client.cli import main
from tests.kiosk.test_kiosk_checkin import FakeServer

FOLDER = Path(kiosk_client.__file__).parent / "translations"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_kiosk_message_is_translated_and_compiled(language):
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    with open(FOLDER / language / "LC_MESSAGES" / "kiosk.po", "rb") as f:
        po = read_po(f)
    with open(FOLDER / language / "LC_MESSAGES" / "kiosk.mo", "rb") as f:
        mo = read_mo(f)
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    assert sorted(set(M.all_messages()) - set(translated)) == []
    compiled = {m.id: m.string for m in mo if m.id}
    assert {k: v for k, v in translated.items() if compiled.get(k) != v} == {}, "kiosk.mo is older than kiosk.po"
    assert not [m.id for m in po if m.id and m.fuzzy]


def test_the_catalogue_covers_every_marked_text():
    """A text marked N_ in kiosk_client/messages.py but missing from kiosk.pot (not extracted again)."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    marked = {message for _line, message, _comments, _context in
              extract_from_file("python", M.__file__, keywords={"N_": None})}
    with open(FOLDER / "kiosk.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    assert marked == set(M.all_messages()) and marked <= template


def test_translations_keep_their_placeholders():
    import string

    def fields(text):
        return sorted(name for _t, name, _s, _c in string.Formatter().parse(text) if name)

    vi = i18n.translations("vi")
    assert [m for m in M.all_messages() if fields(vi.gettext(m)) != fields(m)] == []


def test_vietnamese_is_the_default_and_english_an_option():
    # Hand-written: the two languages of the first thing a candidate reads.
    assert i18n.language() == "vi" and i18n._(M.PLACE_CARD) == "Đặt thẻ CCCD lên đầu đọc"
    i18n.use("en")
    assert i18n._(M.PLACE_CARD) == "Place your CCCD card on the reader"
    with pytest.raises(ValueError, match="unknown kiosk language"):
        i18n.use("fr")
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "run"])


@pytest.fixture
def key(tmp_path):
    make_key(tmp_path / "kiosk.key")
    return load_key(tmp_path / "kiosk.key")


def _flow(make_card, profile, server, qr=None):
    reader = SimulatedReader()
    reader.insert(make_card(sleep=lambda s: None))
    camera = SimulatedCamera(make_qr_image(qr if qr is not None else qr_text(profile)))
    opened, said = [], []
    return KioskFlow(server, reader, camera, open_browser=opened.append, say=said.append, card_timeout=0.1), said


def test_a_check_in_speaks_vietnamese(make_card, profile, key):
    flow, said = _flow(make_card, profile, FakeServer(key))
    flow.check_in()
    flow.reader.remove()
    flow.wait_for_removal(poll=0.01, timeout=1)
    assert said == ["Đặt thẻ CCCD lên đầu đọc", "Đang đọc mã QR ở mặt trước thẻ...", "Đang đọc chip, giữ yên thẻ...",
                    "Đã điểm danh: Nguyễn Văn An (010001)", "Lấy thẻ ra"]


def test_a_refused_check_in_speaks_vietnamese(make_card, profile, key):
    refuse = {"error": "mismatch", "outcome": "mismatch", "message": "date of birth differs",
              "reasons": ["date of birth differs"]}
    server = FakeServer(key, refuse)
    # FakeServer raises the English of the flow's test: the kiosk's real client words it in Vietnamese.
    server.refuse = None

    def refused(path, body):
        if path.endswith("/challenge"):
            return {"challenge": "0011223344556677"}
        raise CheckinError("server_refused", i18n._(M.SERVER_REFUSED).format(code="mismatch",
                                                                            detail="date of birth differs"),
                           refuse["reasons"], "mismatch")

    server._post = refused
    flow, said = _flow(make_card, profile, server)
    assert flow.run(once=True) == 1
    assert said[-3:] == ["Thẻ không khớp với thí sinh trong danh sách. Vui lòng gặp giám thị.",
                         "ĐIỂM DANH KHÔNG THÀNH CÔNG: Máy chủ từ chối (mismatch): date of birth differs",
                         "  - date of birth differs"]


def test_an_unreadable_qr_is_said_in_vietnamese(make_card, profile, key):
    flow, said = _flow(make_card, profile, FakeServer(key), qr="hello")
    assert flow.run(once=True) == 1
    assert said[-1].startswith("ĐIỂM DANH KHÔNG THÀNH CÔNG: Mã QR không phải của thẻ CCCD: ")


def test_the_server_client_words_a_refusal_in_vietnamese(key):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from kiosk_client.checkin import ServerClient

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server's name
            body = json.dumps({"error": "no_candidate", "message": "no candidate with this ID number"}).encode()
            self.send_response(422)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(CheckinError) as info:
            ServerClient(f"http://127.0.0.1:{server.server_port}", 1, key, timeout=5).challenge()
    finally:
        server.shutdown()
        server.server_close()
    assert info.value.message == "Máy chủ từ chối (no_candidate): no candidate with this ID number"
