"""Demo check-in without hardware: the simulated CCCD card (kiosk_client/simulator) can check in at
kiosk K01 of the demo exam's room, through pcscd and the virtual reader.

Idempotent (each step is skipped when already done):
  * a test PKI in <instance>/demo-pki, its CSCA copied into the app's CSCA_TRUST_DIR;
  * the card's holder (Nguyễn Văn An, 001096012345, 15/03/1996) on the demo roster in Phòng 01,
    with a paper;
  * the kiosk key <instance>/kiosk-K01.key and kiosk "K01" enrolled for Phòng 01;
  * the card's front QR code as an image, <instance>/demo-card-qr.png;
  * the card's portrait, <instance>/demo-card-portrait.jpg, a drawn face (no real person) that the
    face comparison finds, and the kiosk camera's live photo of the same face,
    <instance>/demo-live-photo.jpg (kiosk_client/simulator/face.py): the demo's check-in is compared.

`exam-server demo` then puts the simulated card in the reader (exam_server/demo/card.py) and prints
the one `exam-kiosk run ... --once` command (``DemoCheckin.kiosk_command``) that checks it in.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.checkin import services as checkin
from exam_server.checkin.models import Kiosk
from exam_server.core.db import session
from exam_server.demo.exam import DEMO_EXAM_TITLE
from exam_server.exams import services as exams
from exam_server.exams.models import Candidate, Exam

PROFILE = Path(__file__).resolve().parents[2] / "kiosk_client" / "simulator" / "profiles" / "nguyen_van_an.json"
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


def _portraits(instance: Path) -> tuple[Path, Path]:
    """(the card's portrait, the kiosk camera's live photo of the same face), written once."""
    from kiosk_client.simulator.face import camera_frame, draw_portrait, encode_jpeg

    portrait, live = instance / "demo-card-portrait.jpg", instance / "demo-live-photo.jpg"
    if not portrait.exists() or not live.exists():
        drawn = draw_portrait()
        portrait.write_bytes(encode_jpeg(drawn, 90))
        live.write_bytes(encode_jpeg(camera_frame(drawn), 90))
    return portrait, live


@dataclass(frozen=True)
class DemoCheckin:
    """What the kiosk needs to check the demo card in (see ``kiosk_command``)."""

    kiosk_id: int
    key: Path
    qr_image: Path
    pki_dir: Path
    full_name: str
    candidate_number: str
    portrait: Path      # the simulated card's DG2 portrait
    live_photo: Path    # the kiosk camera's frame of the same face (--photo-image)

    def kiosk_command(self, server_url: str, exam_kiosk: str = "exam-kiosk") -> str:
        """The one `exam-kiosk run ... --once` line that checks the simulated card in."""
        return (f"{exam_kiosk} run --server {server_url} --kiosk-id {self.kiosk_id} --key {shown(self.key)} "
                f"--qr-image {shown(self.qr_image)} --photo-image {shown(self.live_photo)} "
                f"--reader \"{VIRTUAL_READER}\" --once")


def shown(path: Path) -> str:
    """A path relative to the working directory when it is under it (shorter commands to copy)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_demo_checkin(exam: Exam, actor: User | None) -> list[str]:
    """Set up the demo check-in (commits); returns the summary line (``demo_checkin`` has the details)."""
    instance = Path(current_app.config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    profile = _profile()
    _pki(instance)
    candidate = _candidate(exam, profile)
    kiosk, _key = _kiosk(exam, instance, actor)
    _qr_image(instance, profile)
    _portraits(instance)
    session.commit()
    return [(f"Demo check-in: {candidate.full_name} ({candidate.candidate_number}, CCCD {candidate.citizen_id}) "
             f"is on the roster of {exams.list_rooms(exam)[0].name}; kiosk {kiosk.name} is kiosk id {kiosk.id}.")]


def demo_checkin() -> DemoCheckin | None:
    """The demo check-in set up by ``load_demo_checkin`` (None before the demo was loaded)."""
    instance = Path(current_app.config["INSTANCE_PATH"])
    exam = session.scalar(select(Exam).where(Exam.title == DEMO_EXAM_TITLE))
    if exam is None:
        return None
    kiosk = session.scalar(select(Kiosk).where(Kiosk.exam_id == exam.id, Kiosk.name == KIOSK_NAME))
    candidate = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                       Candidate.citizen_id == _profile()["id_number"]))
    if kiosk is None or candidate is None:
        return None
    return DemoCheckin(kiosk_id=kiosk.id, key=instance / f"kiosk-{KIOSK_NAME}.key",
                       qr_image=instance / "demo-card-qr.png", pki_dir=instance / "demo-pki",
                       full_name=candidate.full_name, candidate_number=candidate.candidate_number,
                       portrait=instance / "demo-card-portrait.jpg", live_photo=instance / "demo-live-photo.jpg")
