"""Face comparison with the real dlib models on real photographs (tests/fixtures/faces/README.md: public
domain portraits of Barack Obama (three photos), Joe Biden and Eileen Collins).

Same person on different photos matches, different people do not; the chip portrait goes through DG2
(ISO/IEC 19794-5) as the card stores it, in JPEG and in JPEG 2000; the live photo is a kiosk camera
frame (640x480, the person off-centre, rotated, with sensor noise; and a 1080p frame); and a whole
check-in through the server records the score. Without dlib or the model files these tests are skipped,
except under CI (CI=true), which installs the `face` extra: there a missing model fails them.

To keep the module fast, face.descriptor is memoised here by image bytes (the same photo is not
analysed twice); compare() and everything around it runs as in production."""
from __future__ import annotations

import functools
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_server.checkin import face
from kiosk_client.checkin import evidence_body
from kiosk_client.emrtd import lds, lds_build
from kiosk_client.qr import parse_qr
from kiosk_client.readcard import read_card
from kiosk_client.simulator import lds_files
from kiosk_client.simulator.inprocess import InProcessTransport
from kiosk_client.simulator.profile import DEFAULT_PROFILE, load_profile

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SAME = [("obama_2012", "obama_2009"), ("obama_2012", "obama_2010"), ("obama_2009", "obama_2010")]
# obama_2010 and biden_2010 are crops of one photograph: same light and background, other person.
OTHER = [("obama_2012", "biden_2010"), ("obama_2010", "biden_2010"), ("obama_2009", "collins"),
         ("collins", "biden_2010")]


@pytest.fixture(scope="module", autouse=True)
def models():
    models = face.load_models()
    if models is None:
        reason = f"face comparison unavailable: {face.unavailable_reason()}"
        if IN_CI:
            pytest.fail(f"{reason}: CI installs the face extra and must run these tests")
        pytest.skip(reason)
    return models


@pytest.fixture(scope="module", autouse=True)
def memo(models):
    """Descriptors computed once per distinct image in this module."""
    real, seen = face.descriptor, {}

    def descriptor(models, image_bytes):
        if image_bytes not in seen:
            seen[image_bytes] = real(models, image_bytes)
        return seen[image_bytes]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(face, "descriptor", descriptor)
        yield seen


def image(name: str) -> np.ndarray:
    img = cv2.imread(str(FACES / f"{name}.jpg"), cv2.IMREAD_COLOR)
    assert img is not None, name
    return img


def photo(name: str) -> bytes:
    return (FACES / f"{name}.jpg").read_bytes()


def chip_portrait(name: str, fmt: str = "jpeg", width: int = 240, height: int = 320) -> bytes:
    """The portrait as a chip holds it: ICAO-sized, compressed hard (a CCCD portrait is ~10-20 KB)."""
    small = cv2.resize(image(name), (width, height), interpolation=cv2.INTER_AREA)
    if fmt == "jp2":
        ok, buf = cv2.imencode(".jp2", small, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 50])  # ratio 1:20
    else:
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    return buf.tobytes()


@functools.cache
def kiosk_frame(name: str, width: int = 640, height: int = 480, angle: float = 8.0, head: float = 0.75,
                shift: int = 60, seed: int = 1) -> bytes:
    """A camera frame as the kiosk sends it (JPEG quality 85): a room-like background, the person
    placed off-centre and scaled, the frame rotated by `angle` degrees, a little sensor noise."""
    rng = np.random.default_rng(seed)
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = np.linspace((170, 160, 150), (90, 85, 80), height).astype(np.uint8)[:, None, :]
    person = image(name)
    scale = head * height / person.shape[0]
    person = cv2.resize(person, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x, y = (width - person.shape[1]) // 2 + shift, height - person.shape[0]
    frame[y:, x:x + person.shape[1]] = person
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    frame = cv2.warpAffine(frame, turn, (width, height), borderMode=cv2.BORDER_REFLECT)
    frame = np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return buf.tobytes()


def from_dg2(dg2: bytes) -> lds.FaceImage:
    faces = lds.parse_dg2(dg2)
    assert len(faces) == 1
    return faces[0]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_person_on_different_photos_matches(a, b):
    result = face.compare(photo(a), photo(b))
    assert result["status"] == "compared", result
    assert result["match"] is True and result["distance"] < 0.6
    assert result["score"] == pytest.approx(1 - result["distance"], abs=1e-3)


@pytest.mark.parametrize(("a", "b"), OTHER)
def test_different_people_do_not_match(a, b):
    result = face.compare(photo(a), photo(b))
    assert result["status"] == "compared", result
    assert result["match"] is False and result["distance"] >= 0.6


LIVE_OTHER = {"angle": -6, "shift": -50}   # Biden's kiosk frame: turned the other way, left of centre


@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_chip_portrait_from_dg2_against_a_kiosk_frame(fmt):
    portrait = chip_portrait("obama_2012", fmt)
    if fmt == "jpeg":
        dg2 = lds_files.dg2(portrait, 240, 320)                       # exactly what the simulated card serves
    else:
        dg2 = lds_build.build_dg2(portrait, 240, 320, jpeg2000=True)  # 19794-5 image data type 1
    chip = from_dg2(dg2)
    assert chip.data == portrait and (chip.width, chip.height) == (240, 320)
    assert chip.format == {"jpeg": "JPEG", "jp2": "JPEG2000"}[fmt]
    assert len(portrait) < 25_000

    same = face.compare(chip.data, kiosk_frame("obama_2009"))
    assert same["status"] == "compared" and same["match"] is True and same["distance"] < 0.6, same
    other = face.compare(chip.data, kiosk_frame("biden_2010", **LIVE_OTHER))
    assert other["status"] == "compared" and other["match"] is False, other


def test_a_bare_jpeg2000_codestream_decodes_too():
    """A 19794-5 record may hold a J2K codestream (FF4F FF51) rather than a JP2 file."""
    jp2 = chip_portrait("collins", "jp2")
    codestream = jp2[jp2.index(b"jp2c") + 4:]
    assert lds.sniff_image(codestream) == "JPEG2000"
    chip = from_dg2(lds_build.build_dg2(codestream, 240, 320, jpeg2000=True))
    result = face.compare(chip.data, photo("collins"))
    assert result["status"] == "compared" and result["match"] is True, result


def test_a_small_chip_portrait_is_still_found():
    """ICAO portraits can be small: 120x160 leaves a face of about 50 px, found with one upsampling."""
    result = face.compare(chip_portrait("biden_2010", width=120, height=160), kiosk_frame("biden_2010", **LIVE_OTHER))
    assert result["status"] == "compared" and result["match"] is True, result


def test_a_large_frame_is_searched_without_upsampling_first(models, memo, monkeypatch):
    """Over face.UPSAMPLE_MAX_SIDE (a 720p or 1080p camera) one detector pass without upsampling."""
    calls = []
    detector = models["detector"]
    monkeypatch.setitem(models, "detector", lambda rgb, up: calls.append((rgb.shape[1], up)) or detector(rgb, up))
    memo.clear()
    result = face.compare(chip_portrait("obama_2010"), kiosk_frame("obama_2012", 1280, 720, angle=5, head=0.6))
    assert result["status"] == "compared" and result["match"] is True, result
    assert calls == [(240, 1), (1280, 0)]


# ------------------------------------------------------------ through the server

@pytest.fixture
def database_url(sqlite_url):
    """SQLite only: test_checkin.py stores check-ins (face included) on both databases already."""
    return sqlite_url


@pytest.fixture
def test_config(test_config, pki):
    return {**test_config, "CSCA_TRUST_DIR": str(pki.trust_dir), "PHOTO_RETENTION_DAYS": 30}


@pytest.fixture
def real_profile(tmp_path):
    """The default simulator profile (on the roster below), its portrait a real photograph."""
    portrait = tmp_path / "portrait.jpg"
    portrait.write_bytes(chip_portrait("obama_2012"))
    data = json.loads(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    data["photo"] = str(portrait)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return load_profile(path)


def _room_with_kiosk(app, client, token_for, users, profile):
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, DeliveryMode, Exam, ExamRoom, ExamStatus, ScoreRounding

    now = datetime.now(UTC)
    with app.app_context():
        exam = Exam(title="Toán 12", subject="math", grade=12, opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(hours=3), duration_minutes=90, score_rounding=ScoreRounding.QUARTER,
                    delivery_mode=DeliveryMode.ALL_ON_PAGE, status=ExamStatus.PUBLISHED,
                    created_by_id=users["admin"])
        session.add(exam)
        session.flush()
        room = ExamRoom(exam_id=exam.id, name="P01", kiosk_count=1)
        room.proctors.append(session.get(User, users["proctor1"]))
        session.add(room)
        session.flush()
        candidate = Candidate(exam_id=exam.id, room_id=room.id, candidate_number="010001",
                              full_name=profile.full_name, date_of_birth=profile.date_of_birth,
                              citizen_id=profile.id_number)
        session.add(candidate)
        session.commit()
        ids = exam.id, room.id, candidate.id
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    response = client.post("/api/v1/checkin/kiosks", headers=token_for("admin"),
                           json={"exam_id": ids[0], "room_id": ids[1], "name": "K01", "public_key": pem})
    assert response.status_code == 201, response.get_json()
    return (*ids, response.get_json()["id"], key)


@pytest.mark.parametrize(("live", "same"), [("obama_2009", True), ("biden_2010", False)])
def test_checkin_records_the_face_comparison(live, same, app, client, token_for, users, make_card, pki,
                                             real_profile):
    from sqlalchemy import select

    from exam_server.checkin.models import CheckIn
    from exam_server.core.db import session

    exam_id, room_id, candidate_id, kiosk_id, key = _room_with_kiosk(app, client, token_for, users, real_profile)
    response = client.post("/api/v1/checkin/challenge", json={"kiosk": kiosk_id})
    assert response.status_code == 200, response.get_json()
    challenge = response.get_json()["challenge"]
    card = make_card(profile=real_profile, sleep=lambda s: None)
    card.power_on()
    p = real_profile
    qr = "|".join([p.id_number, p.old_id_number, p.full_name, p.date_of_birth.strftime("%d%m%Y"), p.sex,
                   p.place_of_residence, p.date_of_issue.strftime("%d%m%Y")])
    read = read_card(InProcessTransport(card), parse_qr(qr), pki.trust_dir, challenge=bytes.fromhex(challenge),
                     want_photo=True)
    assert read.photo == real_profile.photo.read_bytes()
    live_photo = kiosk_frame(live) if same else kiosk_frame(live, **LIVE_OTHER)
    response = client.post("/api/v1/checkin/evidence",
                           json=evidence_body(kiosk_id, challenge, read.evidence, key, live_photo))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    # The face is advice for the proctor: a mismatch does not refuse a verified chip.
    assert data["outcome"] == "verified" and data["token"]
    assert data["face"]["status"] == "compared" and data["face"]["match"] is same, data["face"]

    with app.app_context():
        row = session.scalars(select(CheckIn).where(CheckIn.candidate_id == candidate_id)).one()
        assert row.verified and row.face["match"] is same and row.face["status"] == "compared"
        assert row.face_score == row.face["score"]
        assert (row.face["distance"] < 0.6) is same
        if not same:
            assert row.face_score < 0.4
        photos = {p.kind: p.data for p in row.photos}
    assert photos == {"chip": real_profile.photo.read_bytes(), "live": live_photo}

    listing = client.get(f"/api/v1/exams/{exam_id}/rooms/{room_id}/checkins", headers=token_for("proctor1"))
    assert listing.status_code == 200, listing.get_json()
    shown = listing.get_json()["candidates"][0]["checkin"]
    assert shown["face"]["match"] is same and shown["face_score"] == data["face"]["score"]
