"""`exam-server demo` puts the simulated CCCD card in the reader itself: the one command it prints,
`exam-kiosk run ... --once`, checks the card holder in against the demo server; when the demo is
stopped (SIGTERM) the card leaves the reader and nothing the demo started is left running.

Both are real processes, through the real pcscd and vpcd's second slot (port 35964, the demo's);
the shared card fixtures make sure pcscd runs (with CI=true a missing pcscd/vpcd fails).
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import socketio
from card_fixtures import _unavailable

from exam_server.demo.checkin import SIMULATOR_PORT, VIRTUAL_READER
from kiosk_client.simulator import pcscd as pcscd_mod

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _last_checkin_face(database: Path) -> dict:
    import json
    import sqlite3

    with sqlite3.connect(database) as db:
        (face,) = db.execute("SELECT face FROM checkins ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(face)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _program(name: str) -> list[str]:
    script = BIN / name
    return [str(script)] if script.exists() else [sys.executable, "-m", {
        "exam-server": "exam_server.cli", "exam-kiosk": "kiosk_client.cli"}[name]]


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout:g} s; the demo printed:\n{log.read_text(errors='replace')}")


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: it serves
    except OSError:
        return False


@pytest.mark.pcsc
def test_demo_starts_the_card_and_its_command_checks_in(pcsc_service, tmp_path):
    if VIRTUAL_READER not in pcsc_service:
        _unavailable(f"pcscd lists {pcsc_service}, not {VIRTUAL_READER!r}")
    # Let a benchmark or another demo on the same vpcd slot finish first; the demo takes the lock.
    lock = pcscd_mod.PortLock(SIMULATOR_PORT)
    if not lock.acquire(timeout=60):
        _unavailable(f"vpcd port {SIMULATOR_PORT} is held by another run ({lock.path})")
    lock.release()

    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("EXAM_DATABASE_URL", "EXAM_CSCA_TRUST_DIR", "EXAM_SECRET_KEY")}
    env.update(EXAM_INSTANCE_PATH=str(tmp_path / "instance"), PYTHONIOENCODING="utf-8")
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen([*_program("exam-server"), "demo", "--port", str(port)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def command_line():
            return next((line.strip() for line in log.read_text(errors="replace").splitlines()
                         if " run --server " in line and line.strip().endswith("--once")), None)

        line = _wait_for(command_line, 30, "the demo printed no `exam-kiosk run` command", log)
        _wait_for(lambda: _serving(f"http://127.0.0.1:{port}/"), 10, "the demo did not serve", log)
        printed = log.read_text()
        assert f"Simulated card: Nguyễn Văn An (CCCD 001096012345) is in the reader '{VIRTUAL_READER}'" in printed
        assert f'"Trang làm bài: http://127.0.0.1:{port}/exam#token=..."' in printed
        children = _children(demo.pid)

        argv = shlex.split(line)
        assert Path(argv[0]).name == "exam-kiosk" and argv[1] == "run"
        assert argv[argv.index("--server") + 1] == f"http://127.0.0.1:{port}"
        assert argv[argv.index("--reader") + 1] == VIRTUAL_READER
        assert Path(argv[argv.index("--photo-image") + 1]).name == "demo-live-photo.jpg"   # the camera's frame
        if argv[0] == "exam-kiosk":  # on PATH: run the one of this environment
            argv[:1] = _program("exam-kiosk")
        kiosk = subprocess.run(argv, check=False, cwd=REPO, env=env, capture_output=True, text=True,
                               encoding="utf-8", timeout=30)
        assert kiosk.returncode == 0, kiosk.stdout + kiosk.stderr
        assert "Đã điểm danh: Nguyễn Văn An (TS004)" in kiosk.stdout.splitlines()   # the kiosk speaks Vietnamese
        url = rf"^Trang làm bài: http://127\.0\.0\.1:{port}/exam#token=[\w-]+$"
        assert re.search(url, kiosk.stdout, re.MULTILINE), kiosk.stdout
        # The live photo was sent and compared with the card's portrait: the same (drawn) face.
        face = _last_checkin_face(tmp_path / "instance" / "exam.db")
        assert face["status"] == "compared" and face["match"] is True, face

        # The exam page's Socket.IO works on the demo's server, over websocket and over polling:
        # the candidate's token connects to /student and the attempt's state arrives.
        token = re.search(r"#token=([\w-]+)", kiosk.stdout).group(1)
        for transports in (["websocket"], ["polling"]):
            student = socketio.Client(reconnection=False)
            states = []
            student.on("attempt_state", states.append, namespace="/student")
            student.connect(f"http://127.0.0.1:{port}", namespaces=["/student"], auth={"token": token},
                            transports=transports, wait_timeout=10)
            try:
                _wait_for(lambda got=states: got, 10, f"no attempt_state over {transports[0]}", log)
                assert student.transport() == transports[0] and states[0]["candidate"]["full_name"] == "Nguyễn Văn An"
            finally:
                student.disconnect()
            time.sleep(0.3)   # the server frees the candidate's connection slot on disconnect

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(15) == 0, log.read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(5)
    assert "Simulated card: taken out of the reader" in log.read_text()
    # The card left with the demo, and nothing the demo started outlives it.
    pcscd_mod.wait_card_state(VIRTUAL_READER, present=False, timeout=5)
    assert not [pid for pid in children if _alive(pid)]


def test_not_root_and_no_pcscd_says_what_to_do_and_serves_without_the_card(monkeypatch, tmp_path):
    from exam_server.demo import card as demo_card_mod

    monkeypatch.setattr(demo_card_mod.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(pcscd_mod, "vpcd_installed", lambda: True)
    monkeypatch.setattr(pcscd_mod, "pcscd_serving", lambda: False)
    said = []
    before = signal.getsignal(signal.SIGTERM)
    with demo_card_mod.demo_card(tmp_path, say=said.append) as card:
        assert card is None
        assert signal.getsignal(signal.SIGTERM) is not before  # SIGTERM ends the server cleanly
    assert signal.getsignal(signal.SIGTERM) is before
    assert len(said) == 1 and "pcscd is not running" in said[0] and "sudo systemctl start pcscd" in said[0]
    assert "serving without the simulated card" in said[0]


def test_no_card_prints_the_command_without_starting_anything(tmp_path):
    from exam_server.demo.card import checkin_lines, demo_card
    from exam_server.demo.checkin import DemoCheckin

    said = []
    with demo_card(tmp_path, say=said.append, enabled=False) as card:
        assert card is None and said == []
    info = DemoCheckin(kiosk_id=3, key=tmp_path / "k.key", qr_image=tmp_path / "qr.png", pki_dir=tmp_path / "pki",
                       full_name="Nguyễn Văn An", candidate_number="TS004", portrait=tmp_path / "portrait.jpg",
                       live_photo=tmp_path / "live.jpg")
    lines = checkin_lines(info, "http://127.0.0.1:5000", "off")
    assert "simulate-card --port 35964" in lines[0]
    assert shlex.split(lines[1])[1:] == [
        "run", "--server", "http://127.0.0.1:5000", "--kiosk-id", "3", "--key", str(tmp_path / "k.key"),
        "--qr-image", str(tmp_path / "qr.png"), "--photo-image", str(tmp_path / "live.jpg"),
        "--reader", "Virtual PCD 00 01", "--once"]
