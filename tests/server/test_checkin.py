"""Check-in API: signed evidence from an enrolled kiosk, re-verified by the server (passive and active
authentication with the server's challenge), matched against the room's roster; refusals; proctor
views; photo retention. The evidence comes from the simulated CCCD read in process."""
from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_client.checkin import evidence_body
from kiosk_client.qr import parse_qr
from kiosk_client.readcard import read_card
from kiosk_client.simulator.inprocess import InProcessTransport
from kiosk_client.simulator.profile import PROFILES_DIR, load_profile

PROFILE_ID = "001096012345"   # Nguyễn Văn An, born 1996-03-15 (the default simulator profile)


def qr_text(profile) -> str:
    return "|".join([profile.id_number, profile.old_id_number, profile.full_name,
                     profile.date_of_birth.strftime("%d%m%Y"), profile.sex, profile.place_of_residence,
                     profile.date_of_issue.strftime("%d%m%Y")])


@pytest.fixture
def test_config(test_config, pki):
    return {**test_config, "CSCA_TRUST_DIR": str(pki.trust_dir), "PHOTO_RETENTION_DAYS": 30}


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Setup:
    def __init__(self, app, client, token_for, users, roster_name="Nguyễn Văn An", roster_dob=date(1996, 3, 15),
                 opens=-1.0, closes=3.0):
        from exam_server.accounts.models import User
        from exam_server.core.db import session
        from exam_server.exams.models import (
            Candidate,
            DeliveryMode,
            Exam,
            ExamRoom,
            ExamStatus,
            ScoreRounding,
        )

        self.app, self.client, self.admin = app, client, token_for("admin")
        now = datetime.now(UTC)
        with app.app_context():
            exam = Exam(title="Toán 12", subject="math", grade=12, opens_at=now + timedelta(hours=opens),
                        closes_at=now + timedelta(hours=closes), duration_minutes=90,
                        score_rounding=ScoreRounding.QUARTER, delivery_mode=DeliveryMode.ALL_ON_PAGE,
                        status=ExamStatus.PUBLISHED, created_by_id=users["admin"])
            session.add(exam)
            session.flush()
            room = ExamRoom(exam_id=exam.id, name="P01", kiosk_count=2)
            other = ExamRoom(exam_id=exam.id, name="P02", kiosk_count=1)
            room.proctors.append(session.get(User, users["proctor1"]))
            session.add_all([room, other])
            session.flush()
            an = Candidate(exam_id=exam.id, room_id=room.id, candidate_number="010001", full_name=roster_name,
                           date_of_birth=roster_dob, citizen_id=PROFILE_ID)
            binh = Candidate(exam_id=exam.id, room_id=room.id, candidate_number="010002",
                             full_name="Lê Thị Bình", date_of_birth=date(2008, 1, 2), citizen_id="001208000002")
            session.add_all([an, binh])
            session.commit()
            self.exam_id, self.room_id, self.other_room_id = exam.id, room.id, other.id
            self.candidate_id, self.closes_at = an.id, exam.closes_at
        self.key = Ed25519PrivateKey.generate()
        self.kiosk_id = self.enrol("K01", self.key)

    def enrol(self, name, key, room_id=None) -> int:
        response = self.client.post("/api/v1/checkin/kiosks", headers=self.admin,
                                    json={"exam_id": self.exam_id, "room_id": room_id or self.room_id,
                                          "name": name, "public_key": public_pem(key)})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def challenge(self, kiosk_id=None) -> str:
        response = self.client.post("/api/v1/checkin/challenge", json={"kiosk": kiosk_id or self.kiosk_id})
        assert response.status_code == 200, response.get_json()
        data = response.get_json()
        assert len(bytes.fromhex(data["challenge"])) == 8 and data["expires_at"]
        return data["challenge"]

    def body(self, make_card, pki, challenge=None, key=None, kiosk_id=None, live_photo=None, profile=None, **card):
        challenge = challenge or self.challenge(kiosk_id)
        vcard = make_card(sleep=lambda s: None, **({"profile": profile} if profile else {}), **card)
        vcard.power_on()
        chosen = profile or load_profile(PROFILES_DIR / "nguyen_van_an.json")
        result = read_card(InProcessTransport(vcard), parse_qr(qr_text(chosen)), pki.trust_dir,
                           challenge=bytes.fromhex(challenge), want_photo=True)
        return evidence_body(kiosk_id or self.kiosk_id, challenge, result.evidence, key or self.key, live_photo)

    def post(self, body):
        return self.client.post("/api/v1/checkin/evidence", json=body)


@pytest.fixture
def setup(app, client, token_for, users):
    return Setup(app, client, token_for, users)


def _face_jpeg() -> bytes:
    return (PROFILES_DIR / "face.jpg").read_bytes()


def incidents(app, candidate_id):
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.live.models import Incident

    with app.app_context():
        return [(i.kind.value, i.detail) for i in session.scalars(select(Incident).where(
            Incident.candidate_id == candidate_id))]


def token_active(app, token) -> bool:
    from exam_server.live.tokens import active_token

    with app.app_context():
        row = active_token(token)
        return row is not None and row.method == "chip"


def test_verified_checkin_issues_a_chip_token(setup, make_card, pki, app, token_for):
    response = setup.post(setup.body(make_card, pki, live_photo=_face_jpeg()))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["outcome"] == "verified" and data["candidate"]["id"] == setup.candidate_id
    assert data["exam_url"] == f"/exam#token={data['token']}"
    assert token_active(app, data["token"])
    assert data["face"]["status"] in ("no_face_chip", "unavailable", "compared")  # drawn face: see test_face
    assert incidents(app, setup.candidate_id) == []

    # The proctor's list: verified, photos (chip portrait and live photo) viewable by the proctor only.
    proctor = token_for("proctor1")
    listing = setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins", headers=proctor)
    assert listing.status_code == 200, listing.get_json()
    rows = {c["candidate_id"]: c for c in listing.get_json()["candidates"]}
    checkin = rows[setup.candidate_id]["checkin"]
    assert checkin["verified"] is True and checkin["method"] == "chip" and checkin["kiosk"] == "K01"
    assert checkin["passive_auth_ok"] is True and checkin["active_auth_ok"] is True
    assert checkin["card"] == {"id_number": PROFILE_ID, "full_name": "Nguyễn Văn An", "date_of_birth": "1996-03-15"}
    assert {p["kind"] for p in checkin["photos"]} == {"chip", "live"}
    assert rows[next(c for c in rows if c != setup.candidate_id)]["checkin"] is None
    live_url = next(p["url"] for p in checkin["photos"] if p["kind"] == "live")
    photo = setup.client.get(live_url, headers=proctor)
    assert photo.status_code == 200 and photo.data == _face_jpeg() and photo.mimetype == "image/jpeg"
    assert setup.client.get(live_url, headers=token_for("teacher1")).status_code == 403
    assert setup.client.get(live_url).status_code == 401


def test_returning_student_gets_a_new_token_and_the_old_one_is_revoked(setup, make_card, pki, app):
    first = setup.post(setup.body(make_card, pki)).get_json()["token"]
    second = setup.post(setup.body(make_card, pki))
    assert second.status_code == 200
    assert token_active(app, second.get_json()["token"]) and not token_active(app, first)


def test_name_folding_matches_roster_without_diacritics(app, client, token_for, users, make_card, pki):
    s = Setup(app, client, token_for, users, roster_name="NGUYEN  van an")
    assert s.post(s.body(make_card, pki)).get_json()["outcome"] == "verified"


@pytest.mark.parametrize("fault, check", [("altered_dg", "passive"), ("unknown_csca", "passive"),
                                          ("cloned", "active")])
def test_chip_faults_are_chip_failed(setup, make_card, pki, app, fault, check):
    response = setup.post(setup.body(make_card, pki, fault=fault))
    assert response.status_code == 422
    data = response.get_json()
    assert data["error"] == data["outcome"] == "chip_failed"
    assert any(r.startswith(f"{check} authentication failed") for r in data["reasons"]), data["reasons"]
    assert "token" not in data
    # The card claims to be a rostered candidate: the proctor hears about it.
    assert [k for k, _ in incidents(app, setup.candidate_id)] == ["checkin_mismatch"]


def test_card_not_on_the_roster_is_no_candidate(setup, make_card, pki, app):
    mai = load_profile(PROFILES_DIR / "tran_thi_mai.json")
    response = setup.post(setup.body(make_card, pki, profile=mai))
    assert response.status_code == 422
    data = response.get_json()
    assert data["outcome"] == "no_candidate" and mai.id_number in data["reasons"][0]
    listing = setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins",
                               headers=setup.admin).get_json()
    assert [u["outcome"] for u in listing["unmatched"]] == ["no_candidate"]


@pytest.mark.parametrize("name, dob, expected", [("Nguyễn Văn Anh", date(1996, 3, 15), "name on the chip"),
                                                 ("Nguyễn Văn An", date(1996, 3, 16), "date of birth")])
def test_name_or_birth_mismatch_raises_an_incident(app, client, token_for, users, make_card, pki, name, dob, expected):
    s = Setup(app, client, token_for, users, roster_name=name, roster_dob=dob)
    response = s.post(s.body(make_card, pki))
    assert response.status_code == 422
    data = response.get_json()
    assert data["outcome"] == "mismatch" and data["reasons"][0].startswith(expected)
    found = incidents(app, s.candidate_id)
    assert len(found) == 1 and found[0][0] == "checkin_mismatch" and "K01" in found[0][1]


def test_exam_not_open_is_no_candidate(app, client, token_for, users, make_card, pki):
    s = Setup(app, client, token_for, users, opens=2, closes=5)
    data = s.post(s.body(make_card, pki)).get_json()
    assert data["outcome"] == "no_candidate" and "not open" in data["reasons"][-1]


def test_kiosk_authentication(setup, make_card, pki, app, token_for):
    body = setup.body(make_card, pki)
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    assert setup.post(unsigned).status_code == 403
    assert setup.post(unsigned).get_json()["error"] == "bad_signature"
    other_key = Ed25519PrivateKey.generate()
    forged = setup.body(make_card, pki, key=other_key)
    assert setup.post(forged).get_json()["error"] == "bad_signature"
    tampered = dict(body, dg13=base64.b64encode(b"\x6d\x00").decode())
    assert setup.post(tampered).status_code == 403
    stale = setup.body(make_card, pki)
    stale["timestamp"] -= 3600
    from kiosk_client.checkin import canonical_json

    stale["signature"] = base64.b64encode(setup.key.sign(canonical_json(stale))).decode()
    assert setup.post(stale).get_json()["error"] == "stale_request"
    # Unenrolled kiosk: neither a challenge nor evidence.
    assert setup.client.post("/api/v1/checkin/challenge", json={"kiosk": 9999}).status_code == 403
    assert setup.post(dict(body, kiosk=9999)).status_code == 403
    # The untouched body is still good (refusals above did not consume its challenge).
    assert setup.post(body).status_code == 200
    # Revoked kiosk.
    revoked = setup.client.post("/api/v1/checkin/kiosks/revoke", json={"kiosk": setup.kiosk_id},
                                headers=setup.admin)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    refused = setup.client.post("/api/v1/checkin/challenge", json={"kiosk": setup.kiosk_id})
    assert refused.status_code == 403 and refused.get_json()["error"] == "kiosk_revoked"
    assert setup.post(setup.body(make_card, pki, challenge="00" * 8)).get_json()["error"] == "kiosk_revoked"
    # Only admins enrol.
    assert setup.client.post("/api/v1/checkin/kiosks", headers=token_for("proctor1"),
                             json={"exam_id": setup.exam_id, "room_id": setup.room_id, "name": "K9",
                                   "public_key": public_pem(other_key)}).status_code == 403


def test_challenges_are_single_use_per_kiosk_and_expire(setup, make_card, pki, app):
    body = setup.body(make_card, pki)
    assert setup.post(body).status_code == 200
    replay = setup.post(body)
    assert replay.status_code == 409 and replay.get_json()["error"] == "challenge_used"
    # A fresh signature over a used challenge is refused the same way.
    assert setup.post(setup.body(make_card, pki, challenge=body["challenge"])).get_json()["error"] == "challenge_used"
    # Another kiosk cannot use this kiosk's challenge.
    k2 = Ed25519PrivateKey.generate()
    k2_id = setup.enrol("K02", k2)
    mine = setup.challenge()
    assert setup.post(setup.body(make_card, pki, challenge=mine, key=k2, kiosk_id=k2_id)).status_code == 403
    # Expired.
    from sqlalchemy import update

    from exam_server.checkin.models import CheckinChallenge
    from exam_server.core.db import session

    with app.app_context():
        session.execute(update(CheckinChallenge).where(CheckinChallenge.challenge == mine)
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    expired = setup.post(setup.body(make_card, pki, challenge=mine))
    assert expired.status_code == 409 and expired.get_json()["error"] == "challenge_expired"


def test_malformed_evidence_is_400(setup):
    challenge = setup.challenge()
    from kiosk_client.checkin import canonical_json

    body = {"kiosk": setup.kiosk_id, "challenge": challenge, "timestamp": int(datetime.now(UTC).timestamp()),
            "dg1": "!!!", "dg13": "AA==", "dg15": "AA==", "sod": "AA==", "aa_signature": "AA=="}
    body["signature"] = base64.b64encode(setup.key.sign(canonical_json(body))).decode()
    response = setup.post(body)
    assert response.status_code == 400 and response.get_json()["field"] == "dg1"
    # Garbage that decodes is a recorded chip failure, never a 500.
    body["dg1"] = "AA=="
    body["signature"] = base64.b64encode(setup.key.sign(canonical_json(body))).decode()
    response = setup.post(body)
    assert response.status_code == 422 and response.get_json()["outcome"] == "chip_failed"


def test_manual_admission_and_permissions(setup, app, token_for, users):
    proctor = token_for("proctor1")
    response = setup.client.post("/api/v1/checkin/admit", headers=proctor,
                                 json={"candidate_id": setup.candidate_id, "reason": "chip unreadable"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["verified"] is False and data["exam_url"] == f"/exam#token={data['token']}"
    assert setup.client.post("/api/v1/checkin/admit", headers=proctor,
                             json={"candidate_id": setup.candidate_id, "reason": ""}).status_code == 400
    listing = setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins",
                               headers=proctor).get_json()
    row = next(c for c in listing["candidates"] if c["candidate_id"] == setup.candidate_id)["checkin"]
    assert row["method"] == "manual" and row["verified"] is False and row["note"] == "chip unreadable"
    # Another room's list is not this proctor's; teachers and students see none.
    assert setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.other_room_id}/checkins",
                            headers=proctor).status_code == 403
    for who in ("teacher1", "student1"):
        assert setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins",
                                headers=token_for(who)).status_code == 403


def test_photos_purged_after_retention(setup, make_card, pki, app, token_for):
    from exam_server.checkin.services import purge_photos
    from exam_server.core.db import session

    assert setup.post(setup.body(make_card, pki, live_photo=_face_jpeg())).status_code == 200
    with app.app_context():
        assert purge_photos(setup.closes_at + timedelta(days=29)) == 0
        assert purge_photos(setup.closes_at + timedelta(days=30, seconds=1)) == 2
        session.commit()
    listing = setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins",
                               headers=setup.admin).get_json()
    checkin = next(c for c in listing["candidates"] if c["candidate_id"] == setup.candidate_id)["checkin"]
    assert checkin["verified"] is True  # the audit row stays
    assert all(p["purged"] and p["url"] is None for p in checkin["photos"]) and len(checkin["photos"]) == 2
    gone = setup.client.get(f"/api/v1/checkin/photos/{checkin['photos'][0]['id']}", headers=setup.admin)
    assert gone.status_code == 410
    from sqlalchemy import select

    from exam_server.checkin.models import PhotoRecord

    with app.app_context():
        assert all(p.data is None for p in session.scalars(select(PhotoRecord)))


def test_chip_token_connects_to_student_and_proctors_hear_of_mismatches(setup, make_card, pki, app, users):
    from exam_server.core.extensions import socketio
    from tests.conftest import PASSWORD

    http = app.test_client()
    assert http.post("/login", data={"username": "proctor1", "password": PASSWORD}).status_code == 302
    boss = socketio.test_client(app, namespace="/proctor", flask_test_client=http)
    joined = boss.emit("join", {"exam_id": setup.exam_id, "room_id": setup.room_id}, namespace="/proctor",
                       callback=True)
    assert joined["ok"], joined
    boss.get_received("/proctor")

    token = setup.post(setup.body(make_card, pki)).get_json()["token"]
    pupil = socketio.test_client(app, namespace="/student", auth={"token": token})
    assert pupil.is_connected("/student")
    state = next(e for e in pupil.get_received("/student") if e["name"] == "attempt_state")["args"][0]
    assert state["status"] == "not_started"
    update = [row for e in boss.get_received("/proctor") if e["name"] == "room_update"
              for row in e["args"][0]["candidates"]]
    assert update and update[0]["candidate_id"] == setup.candidate_id
    assert update[0]["checkin"] == {"method": "chip", "verified": True}
    pupil.disconnect("/student")

    assert setup.post(setup.body(make_card, pki, fault="cloned")).status_code == 422
    pushed = [e["args"][0] for e in boss.get_received("/proctor") if e["name"] == "incident"]
    assert [(i["kind"], i["candidate_id"]) for i in pushed] == [("checkin_mismatch", setup.candidate_id)]
    boss.disconnect("/proctor")


def test_a_swapped_chip_portrait_fails_passive_authentication(setup, make_card, pki):
    """The kiosk cannot substitute the portrait: DG2 is hashed in the SOD like every other DG."""
    from kiosk_client.checkin import canonical_json
    from kiosk_client.emrtd.lds_build import build_dg2

    body = setup.body(make_card, pki)
    body["dg2"] = base64.b64encode(build_dg2(_face_jpeg()[:-2] + b"\xff\xd9")).decode()
    body["signature"] = base64.b64encode(setup.key.sign(canonical_json(body))).decode()
    data = setup.post(body).get_json()
    assert data["outcome"] == "chip_failed" and "DG2" in data["reasons"][0]


def _proctor_socket(app, setup):
    from exam_server.core.extensions import socketio
    from tests.conftest import PASSWORD

    http = app.test_client()
    assert http.post("/login", data={"username": "proctor1", "password": PASSWORD}).status_code == 302
    boss = socketio.test_client(app, namespace="/proctor", flask_test_client=http)
    joined = boss.emit("join", {"exam_id": setup.exam_id, "room_id": setup.room_id}, namespace="/proctor",
                       callback=True)
    assert joined["ok"], joined
    boss.get_received("/proctor")
    return boss


def test_the_proctor_sees_every_attempt_with_its_reasons_photos_and_face(setup, make_card, pki, app, token_for,
                                                                         users):
    """The room's list has each candidate's attempts newest first; a refused one says why; every
    attempt is pushed to the room's proctors as it happens; the photos are for proctors only."""
    boss = _proctor_socket(app, setup)
    assert setup.post(setup.body(make_card, pki, fault="cloned")).status_code == 422
    assert setup.post(setup.body(make_card, pki, live_photo=_face_jpeg())).status_code == 200
    pushed = [e["args"][0] for e in boss.get_received("/proctor") if e["name"] == "checkin"]
    boss.disconnect("/proctor")

    proctor = token_for("proctor1")
    listing = setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins",
                               headers=proctor).get_json()
    entry = next(c for c in listing["candidates"] if c["candidate_id"] == setup.candidate_id)
    latest, refused = entry["history"]
    assert entry["checkin"] == latest and latest["id"] > refused["id"]
    assert [p["id"] for p in pushed] == [refused["id"], latest["id"]]
    assert pushed[1] == latest
    assert latest["verified"] is True and latest["passive_auth_failure"] is None
    assert latest["active_auth_failure"] is None and latest["actor"] is None
    assert refused["verified"] is False and refused["outcome"] == "chip_failed"
    assert refused["passive_auth_ok"] is True and refused["active_auth_ok"] is False
    assert "cloned" in refused["active_auth_failure"]
    assert any(r.startswith("active authentication failed") for r in refused["reasons"])
    assert latest["face"]["status"] in ("no_face_chip", "unavailable", "compared")
    assert "detail" in latest["face"] and "threshold" in latest["face"]
    other = next(c for c in listing["candidates"] if c["candidate_id"] != setup.candidate_id)
    assert other["checkin"] is None and other["history"] == []

    photos = {p["kind"]: p["url"] for p in latest["photos"]}
    assert set(photos) == {"chip", "live"}
    for url in photos.values():
        assert setup.client.get(url, headers=proctor).status_code == 200
        assert setup.client.get(url, headers=token_for("student1")).status_code == 403
        assert setup.client.get(url, headers=token_for("teacher1")).status_code == 403


def test_a_roster_mismatch_says_which_fields_differ(app, client, token_for, users, make_card, pki):
    setup = Setup(app, client, token_for, users, roster_name="Nguyễn Văn Anh", roster_dob=date(1996, 3, 16))
    assert setup.post(setup.body(make_card, pki)).status_code == 422
    listing = setup.client.get(f"/api/v1/exams/{setup.exam_id}/rooms/{setup.room_id}/checkins",
                               headers=token_for("proctor1")).get_json()
    checkin = next(c for c in listing["candidates"] if c["candidate_id"] == setup.candidate_id)["checkin"]
    assert checkin["outcome"] == "mismatch" and checkin["verified"] is False
    assert checkin["passive_auth_failure"] is None and checkin["active_auth_failure"] is None
    assert any("name on the chip" in r for r in checkin["reasons"])
    assert any("date of birth on the chip" in r for r in checkin["reasons"])
    # The same, as fields the proctor page shows in its own language (names compared folded).
    assert checkin["differences"] == [
        {"field": "full_name", "chip": "Nguyễn Văn An", "roster": "Nguyễn Văn Anh"},
        {"field": "date_of_birth", "chip": "1996-03-15", "roster": "1996-03-16"}]


def test_manual_admission_names_the_proctor_and_is_pushed(setup, app, token_for, users):
    from exam_server.checkin.services import admission
    from exam_server.core.extensions import socketio

    student = token_for("student1")
    refused = setup.client.post("/api/v1/checkin/admit", headers=student,
                                json={"candidate_id": setup.candidate_id, "reason": "me"})
    assert refused.status_code == 403
    with app.app_context():
        assert admission(setup.candidate_id)["method"] is None

    boss = _proctor_socket(app, setup)
    response = setup.client.post("/api/v1/checkin/admit", headers=token_for("proctor1"),
                                 json={"candidate_id": setup.candidate_id, "reason": "chip unreadable"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    checkin = data["checkin"]
    assert checkin["method"] == "manual" and checkin["verified"] is False and checkin["note"] == "chip unreadable"
    assert checkin["actor"] == {"username": "proctor1", "full_name": checkin["actor"]["full_name"]}
    assert checkin["actor"]["full_name"]
    received = boss.get_received("/proctor")
    assert [e["args"][0]["id"] for e in received if e["name"] == "checkin"] == [checkin["id"]]
    update = [row for e in received if e["name"] == "room_update" for row in e["args"][0]["candidates"]
              if row["candidate_id"] == setup.candidate_id]
    assert update[-1]["checkin"] == {"method": "manual", "verified": False}
    boss.disconnect("/proctor")

    # The token lets the candidate in; the exam page gets the candidate's name (and number).
    pupil = socketio.test_client(app, namespace="/student", auth={"token": data["token"]})
    assert pupil.is_connected("/student")
    state = next(e for e in pupil.get_received("/student") if e["name"] == "attempt_state")["args"][0]
    assert state["candidate"] == {"candidate_number": "010001", "full_name": "Nguyễn Văn An"}
    pupil.disconnect("/student")

    with app.app_context():
        shown = admission(setup.candidate_id)
    assert shown["method"] == "manual" and shown["verified"] is False
    assert shown["reason"] == "chip unreadable" and shown["by"] == checkin["actor"]["full_name"]


def test_a_face_that_does_not_match_raises_an_incident_but_admits(setup, make_card, pki, app, monkeypatch):
    from exam_server.checkin import face

    monkeypatch.setattr(face, "compare", lambda chip, live: {
        "status": "compared", "distance": 0.82, "score": 0.18, "match": False, "threshold": 0.6, "detail": ""})
    response = setup.post(setup.body(make_card, pki, live_photo=_face_jpeg()))
    assert response.status_code == 200 and response.get_json()["face"]["match"] is False
    assert token_active(app, response.get_json()["token"])
    (kind, detail), = incidents(app, setup.candidate_id)
    assert kind == "checkin_mismatch" and "does not match the chip portrait" in detail and "0.82" in detail
