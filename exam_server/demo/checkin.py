"""Demo check-in without hardware: the simulated CCCD card (kiosk_client/simulator) can check in at
kiosk K01 of the demo exam's room, through pcscd and the virtual reader.

Idempotent (each step is skipped when already done):
  * a test PKI in <instance>/demo-pki, its CSCA copied into the app's CSCA_TRUST_DIR;
  * the card's holder (Nguyễn Văn An, 001096012345, 15/03/1996) on the demo roster in Phòng 01,
    with a paper;
  * the kiosk key <instance>/kiosk-K01.key and kiosk "K01" enrolled for Phòng 01;
  * the card's front QR code as an image, <instance>/demo-card-qr.png.
"""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.checkin import services as checkin
from exam_server.checkin.models import Kiosk
from exam_server.core.db import session
from exam_server.exams import services as exams
from exam_server.exams.models import Candidate, Exam

PROFILE = Path(__file__).resolve().parents[2] / "kiosk_client" / "simulator" / "profiles" / "nguyen_van_an.json"
PROFILE_ARG = "kiosk_client/simulator/profiles/nguyen_van_an.json"
CARD_CANDIDATE_NUMBER = "TS004"
CARD_SCHOOL, CARD_CLASS = "THPT Chu Văn An", "12A1"
KIOSK_NAME = "K01"
SIMULATOR_PORT = 35964
VIRTUAL_READER = "Virtual PCD 00 01"


def _profile() -> dict:
    return json.loads(PROFILE.read_text(encoding="utf-8"))


def card_qr_text(profile: dict) -> str:
    """The CCCD front QR payload: id|old id|name|DOB ddmmyyyy|sex|residence|date of issue ddmmyyyy."""
    def dmy(iso: str) -> str:
        return date.fromisoformat(iso).strftime("%d%m%Y")

    return "|".join([profile["id_number"], profile.get("old_id_number", ""), profile["full_name"],
                     dmy(profile["date_of_birth"]), profile["sex"], profile["place_of_residence"],
                     dmy(profile["date_of_issue"])])


def _pki(instance: Path) -> Path:
    from kiosk_client.simulator.pki import TestPKI, make_test_pki, open_test_pki

    pki_dir = instance / "demo-pki"
    try:
        pki: TestPKI = open_test_pki(pki_dir)
    except FileNotFoundError:
        pki = make_test_pki(pki_dir)
    trust = Path(current_app.config["CSCA_TRUST_DIR"])
    trust.mkdir(parents=True, exist_ok=True)
    for cert in sorted(pki.trust_dir.iterdir()):
        target = trust / f"demo-{cert.name}"
        if not target.exists() or target.read_bytes() != cert.read_bytes():
            shutil.copyfile(cert, target)
    return pki_dir


def _candidate(exam: Exam, profile: dict) -> Candidate:
    candidate = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                       Candidate.citizen_id == profile["id_number"]))
    if candidate is None:
        room = exams.list_rooms(exam)[0]
        candidate = Candidate(exam_id=exam.id, room_id=room.id, candidate_number=CARD_CANDIDATE_NUMBER,
                              full_name=profile["full_name"],
                              date_of_birth=date.fromisoformat(profile["date_of_birth"]),
                              citizen_id=profile["id_number"], school=CARD_SCHOOL, class_name=CARD_CLASS)
        session.add(candidate)
        session.flush()
    # The roster import refuses a published exam; the paper service gives any candidate without a
    # paper one (round-robin over the forms), whatever the exam's status.
    exams.assign_papers(exam, current_app.config["SECRET_KEY"])
    return candidate


def _kiosk(exam: Exam, instance: Path, actor: User | None) -> tuple[Kiosk, Path]:
    from kiosk_client.checkin import make_key

    key = instance / f"kiosk-{KIOSK_NAME}.key"
    public = key.with_name(key.name + ".pub")
    kiosk = session.scalar(select(Kiosk).where(Kiosk.exam_id == exam.id, Kiosk.name == KIOSK_NAME))
    if not key.exists():
        make_key(key)
        if kiosk is not None:  # a new key: the old enrolment is useless, enrol again under the same name
            kiosk.name = f"{KIOSK_NAME}-old-{kiosk.id}"
            checkin.revoke_kiosk(kiosk)
            kiosk = None
    if kiosk is None:
        kiosk = checkin.enrol_kiosk(exam.id, exams.list_rooms(exam)[0].id, KIOSK_NAME,
                                    public.read_text(encoding="ascii"), actor)
    return kiosk, key


def _qr_image(instance: Path, profile: dict) -> Path:
    import cv2

    from kiosk_client.camera import make_qr_image

    path = instance / "demo-card-qr.png"
    if not path.exists() and not cv2.imwrite(str(path), make_qr_image(card_qr_text(profile))):
        raise OSError(f"cannot write {path}")
    return path


def load_demo_checkin(exam: Exam, actor: User | None) -> list[str]:
    """Set up the demo check-in (commits); returns the summary lines with the commands to run."""
    instance = Path(current_app.config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    profile = _profile()
    pki_dir = _pki(instance)
    candidate = _candidate(exam, profile)
    kiosk, key = _kiosk(exam, instance, actor)
    qr = _qr_image(instance, profile)
    session.commit()

    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    return [(f"Demo check-in: {candidate.full_name} ({candidate.candidate_number}, CCCD {candidate.citizen_id}) "
             f"is on the roster of {exams.list_rooms(exam)[0].name}; kiosk {kiosk.name} is kiosk id {kiosk.id}."),
            "  check in with the simulated card through pcscd (start pcscd first if it is not running):",
            f"    exam-kiosk simulate-card --profile {PROFILE_ARG} --pki {shown(pki_dir)} --port {SIMULATOR_PORT} &",
            (f"    exam-kiosk run --server http://127.0.0.1:5000 --kiosk-id {kiosk.id} --key {shown(key)} "
             f"--qr-image {shown(qr)} --reader \"{VIRTUAL_READER}\" --once"),
            "  it prints the exam page URL (/exam#token=...) to open in the browser."]
