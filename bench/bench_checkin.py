"""Check-in from card placed to session token issued, on the simulated card through pcscd.

    ./run bench bench_checkin [--runs 5] [--port 35964]

Each run: the kiosk asks the exam server for a challenge (HTTP), reads the chip through
pyscard -> pcscd -> vpcd -> the virtual CCCD (PACE with the CAN from the QR, EF.COM, DG1, DG13,
DG14, DG15, EF.SOD, optionally a 20 KB DG2, passive and active authentication), signs the
evidence and posts it; the server re-verifies passive and active authentication, matches the
roster and issues the token. The same read over the in-process transport (no pcscd) is the
baseline in the same run, and the projection for a real contactless reader adds 15 ms per APDU
to the compute time. Targets (issue 5): < 1.0 s without DG2, < 1.5 s with a 20 KB DG2.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

from exam_server.app import create_app
from exam_server.core.migrate import upgrade
from kiosk_client.checkin import ServerClient
from kiosk_client.qr import parse_qr
from kiosk_client.readcard import read_card
from kiosk_client.simulator.card import VirtualCard
from kiosk_client.simulator.inprocess import InProcessTransport
from kiosk_client.simulator.pki import make_test_pki
from kiosk_client.simulator.profile import DEFAULT_PROFILE, load_profile

FACES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "faces"   # public-domain photos

PER_APDU_SECONDS = 0.015


def qr_text(p) -> str:
    return "|".join([p.id_number, p.old_id_number or "", p.full_name, p.date_of_birth.strftime("%d%m%Y"),
                     p.sex, p.place_of_residence, p.date_of_issue.strftime("%d%m%Y")])


def make_scenario(app, profile, kiosk_key) -> int:
    """A published exam open now, the profile's holder on the roster of room P01, kiosk K01."""
    from exam_server.accounts.services import create_user
    from exam_server.checkin.services import enrol_kiosk
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, DeliveryMode, Exam, ExamRoom, ExamStatus, ScoreRounding

    now = datetime.now(UTC)
    with app.app_context():
        admin = create_user("admin", "bench password", "admin")
        exam = Exam(title="Bench", subject="math", grade=12, opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(hours=3), duration_minutes=90, score_rounding=ScoreRounding.QUARTER,
                    delivery_mode=DeliveryMode.ALL_ON_PAGE, status=ExamStatus.PUBLISHED, created_by_id=admin.id)
        session.add(exam)
        session.flush()
        room = ExamRoom(exam_id=exam.id, name="P01", kiosk_count=1)
        session.add(room)
        session.flush()
        session.add(Candidate(exam_id=exam.id, room_id=room.id, candidate_number="010001",
                              full_name=profile.full_name, date_of_birth=profile.date_of_birth,
                              citizen_id=profile.id_number))
        pem = kiosk_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        kiosk = enrol_kiosk(exam.id, room.id, "K01", pem, admin)
        session.commit()
        return kiosk.id


def check_in(client: ServerClient, source, qr, trust_dir, photo: bool, reader_name=None,
             extended: bool | None = None, live_photo: bytes | None = None) -> dict:
    started = time.perf_counter()
    challenge = client.challenge()
    t_challenge = time.perf_counter() - started
    result = read_card(source, qr, trust_dir, challenge=bytes.fromhex(challenge), want_photo=photo,
                       reader_name=reader_name, extended_length=extended)
    t_read = time.perf_counter() - started - t_challenge
    before = time.perf_counter()
    answer = client.submit(challenge, result.evidence, live_photo=live_photo)
    t_server = time.perf_counter() - before
    assert answer["outcome"] == "verified", answer
    if live_photo is not None:
        assert answer.get("face", {}).get("match") is True, answer.get("face")
    return {"challenge": t_challenge, "read": t_read, "server": t_server,
            "total": time.perf_counter() - started, "apdus": result["apdus"],
            "steps": {s["name"]: (s["apdus"], s["seconds"]) for s in result["steps"]}}


def kiosk_frame(photo: Path) -> bytes:
    """A 640x480 camera frame (JPEG) with the person's photo in it, as the kiosk sends it."""
    import cv2
    import numpy as np

    face = cv2.imread(str(photo))
    frame = np.full((480, 640, 3), 200, np.uint8)
    h, w = face.shape[:2]
    frame[40:40 + h, 170:170 + w] = face
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def median(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("challenge", "read", "server", "total")}
    out["apdus"] = runs[0]["apdus"]
    out["steps"] = {name: (apdus, statistics.median(r["steps"][name][1] for r in runs))
                    for name, (apdus, _) in runs[0]["steps"].items()}
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=35964, help="vpcd port: 35963 is the tests' card, 35964 the second vpcd reader")
    args = parser.parse_args()

    from kiosk_client.card.pcsc import PcscReader
    from kiosk_client.simulator import pcscd as pcscd_mod
    from kiosk_client.simulator.vpcd import VpcdBridge

    work = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    pki = make_test_pki(work / "pki")
    profile = load_profile(DEFAULT_PROFILE)
    qr = parse_qr(qr_text(profile))
    url = f"sqlite:///{work / 'exam.db'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(work / "instance"),
                      "CSCA_TRUST_DIR": str(pki.trust_dir), "LIVE_SWEEPER": False})
    key = Ed25519PrivateKey.generate()
    kiosk_id = make_scenario(app, profile, key)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = ServerClient(f"http://127.0.0.1:{server.server_port}", kiosk_id, key)

    service = pcscd_mod.PcscdService()
    service.ensure()
    reader_name = pcscd_mod.reader_name_for_port(args.port)
    lock = pcscd_mod.PortLock(args.port)   # the demo's card and the benchmarks share this port
    if not lock.acquire(timeout=600):
        sys.exit(f"vpcd port {args.port} is busy ({lock.path}): stop the demo or the other benchmark")
    failed = False
    try:
        # (DG2 read?, force extended-length reads?, live photo?): extended length is a card and
        # reader that both support it, which the simulated card accepts but does not announce; the
        # live-photo row is a real portrait on the chip and another photo of the same person from
        # the "camera", so the server runs the face comparison before it issues the token.
        for photo, extended, face in ((False, None, False), (True, None, False), (True, True, False),
                                      (True, None, True)):
            photo_bytes = 20_000 if photo else None
            card_profile, live = (dataclasses.replace(profile, photo=FACES / "obama_2012.jpg"),
                                  kiosk_frame(FACES / "obama_2009.jpg")) if face else (profile, None)
            inproc, pcsc = [], []
            for _ in range(args.runs):
                card = VirtualCard(card_profile, pki, photo_bytes=photo_bytes, sleep=lambda s: None)
                card.power_on()
                inproc.append(check_in(client, InProcessTransport(card), qr, pki.trust_dir, photo, extended=extended,
                                       live_photo=live))
                card = VirtualCard(card_profile, pki, photo_bytes=photo_bytes)
                bridge = VpcdBridge(card, port=args.port).start()
                try:
                    if not bridge.connected.wait(10):
                        raise RuntimeError(f"the virtual card could not connect to vpcd on port {args.port}")
                    pcscd_mod.wait_card_state(reader_name, present=True)
                    pcsc.append(check_in(client, PcscReader(), qr, pki.trust_dir, photo, reader_name, extended,
                                         live_photo=live))
                finally:
                    bridge.stop()
                    pcscd_mod.wait_card_state(reader_name, present=False)
            m_in, m_pc = median(inproc), median(pcsc)
            # Real reader: the compute (in-process read) plus 15 ms per APDU, plus the HTTP steps.
            projected = m_in["read"] + m_in["apdus"] * PER_APDU_SECONDS + m_pc["challenge"] + m_pc["server"]
            target = 1.5 if photo else 1.0
            title = (("with a 20 KB DG2" if photo else "without DG2") + (", extended-length reads" if extended else "")
                     + (", live photo and face comparison" if face else ""))
            print(f"\n== check-in {title}: median of {args.runs} ==")
            print(f"{'step':<34}{'APDUs':>6}{'pcscd s':>10}{'in-process s':>14}")
            print(f"{'challenge from the server (HTTP)':<34}{'':>6}{m_pc['challenge']:>10.4f}{m_in['challenge']:>14.4f}")
            for name, (apdus, t_in) in m_in["steps"].items():
                t_pc = m_pc["steps"].get(name, (0, float('nan')))[1]
                print(f"  {name:<32}{apdus:>6}{t_pc:>10.4f}{t_in:>14.4f}")
            print(f"{'server verification + token (HTTP)':<34}{'':>6}{m_pc['server']:>10.4f}{m_in['server']:>14.4f}")
            print(f"{'total card placed -> token':<34}{m_pc['apdus']:>6}{m_pc['total']:>10.4f}{m_in['total']:>14.4f}")
            # The issue's target is on this machine, through pcscd; the projection is for a real reader.
            print(f"through pcscd here: {m_pc['total']:.3f} s (target < {target} s): "
                  f"{'PASS' if m_pc['total'] < target else 'MISS'}")
            print(f"projected with a real reader at 15 ms/APDU: {projected:.3f} s "
                  f"({'within' if projected < target else 'over'} {target} s)")
            failed |= m_pc["total"] >= target
        print("\nWhat reduces the APDU count: extended-length READ BINARY (DG2 in 1-2 APDUs instead of ~90 "
              "short reads of 223 bytes under secure messaging), skipping EF.COM (the file list is known for "
              "CCCD), no EF.ATR/INFO probe when the reader profile says extended length, and reading DG2 only "
              "when the face comparison needs it.")
    finally:
        lock.release()
        server.shutdown()
        service.close()
        app.extensions["db_engine"].dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
