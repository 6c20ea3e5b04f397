"""Check-in at a kiosk end to end: the simulated CCCD card on the real pcscd (through the vpcd
virtual reader), its front QR on a simulated camera, the kiosk flow against the live server, then
headless Chromium opened at the URL the kiosk got, ending on the candidate's exam page.

The chip portrait and the live photo are two public-domain photographs of one person
(tests/fixtures/faces), so the proctor sees a real face comparison.

The setup is the demo's (exam_server.demo.checkin): test PKI trusted by the server, the card's
holder on the demo roster of Phòng 01 with a paper, kiosk K01 enrolled with its key.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
ADMIT_REASON = "Thẻ CCCD bị hỏng chip, đối chiếu giấy tờ thủ công"


@pytest.fixture
def demo_checkin(app, users):
    from exam_server.accounts.models import User
    from exam_server.checkin.models import Kiosk
    from exam_server.core.db import session
    from exam_server.demo import load_demo
    from exam_server.demo.checkin import KIOSK_NAME, PROFILE
    from exam_server.demo.exam import DEMO_EXAM_TITLE
    from exam_server.exams import services as exams
    from exam_server.exams.models import Candidate, Exam

    with app.app_context():
        load_demo()
        exam = session.scalar(select(Exam).where(Exam.title == DEMO_EXAM_TITLE))
        room = exams.list_rooms(exam)[0]
        kiosk = session.scalar(select(Kiosk).where(Kiosk.exam_id == exam.id, Kiosk.name == KIOSK_NAME))
        candidate = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                           Candidate.citizen_id == "001096012345"))
        paper = exams.render_paper(candidate)
        other = next(c for c in exams.list_candidates(exam) if c.room_id == room.id and c.id != candidate.id)
        proctor = session.scalar(select(User).where(User.username == "proctor1"))
        instance = app.config["INSTANCE_PATH"]
        return {"exam_id": exam.id, "room_id": room.id, "kiosk_id": kiosk.id, "candidate_id": candidate.id,
                "number": candidate.candidate_number, "name": candidate.full_name,
                "other_id": other.id, "other_number": other.candidate_number, "proctor_name": proctor.full_name,
                "first": paper["questions"][0], "count": len(paper["questions"]),
                "key": f"{instance}/kiosk-K01.key", "pki": f"{instance}/demo-pki", "profile": PROFILE}


def test_card_check_in_at_the_kiosk_opens_the_exam_page(live_contexts, live_socketio_server, log_in_page, demo_checkin,
                                                        app, vpcd_controller, exam_ui):
    import dataclasses

    import cv2

    from exam_server.checkin.models import CheckIn
    from exam_server.core.db import session
    from kiosk_client.camera import SimulatedCamera
    from kiosk_client.card.pcsc import PcscReader
    from kiosk_client.checkin import KioskFlow, ServerClient, load_key
    from kiosk_client.simulator.pki import open_test_pki
    from kiosk_client.simulator.profile import load_profile

    base, d = live_socketio_server, demo_checkin
    started = time.monotonic()
    try:
        # The proctor starts the room.
        proctor = log_in_page(live_contexts.new(), "proctor1")
        proctor.goto(f"/proctor/exams/{d['exam_id']}/rooms/{d['room_id']}")
        proctor.wait_for_selector('#proctor-app[data-joined="true"]')
        proctor.click('[data-room-action="start_room"]')
        proctor.wait_for_selector('[data-room-state]:has-text("Phòng thi đã bắt đầu")')

        # The candidate puts the card on the kiosk's reader; the camera sees the card's front QR
        # (the image the demo wrote).
        # The demo's card (signed by the demo PKI the server trusts) with a real portrait on the chip.
        vpcd_controller.start(profile=dataclasses.replace(load_profile(d["profile"]), photo=FACES / "obama_2012.jpg"),
                              pki=open_test_pki(d["pki"]))
        reader = PcscReader()
        qr = cv2.imread(f"{app.config['INSTANCE_PATH']}/demo-card-qr.png", cv2.IMREAD_GRAYSCALE)
        student_context = live_contexts.new()
        opened, said = [], []

        def open_browser(url):
            page = student_context.new_page()
            page.goto(url)
            opened.append(page)

        # The kiosk's second camera takes the live photo: another photograph of the same person.
        flow = KioskFlow(ServerClient(base, d["kiosk_id"], load_key(d["key"])), reader, SimulatedCamera(qr),
                         reader_name=vpcd_controller.reader, open_browser=open_browser, say=said.append,
                         card_timeout=5, photo_camera=SimulatedCamera(FACES / "obama_2009.jpg"), photo_delay=0)
        checkin_started = time.monotonic()
        answer = flow.check_in()
        checkin_seconds = time.monotonic() - checkin_started
        assert answer["outcome"] == "verified", answer
        assert answer["candidate"]["full_name"] == d["name"] == "Nguyễn Văn An"
        assert answer["candidate"]["candidate_number"] == d["number"]
        assert f"Đã điểm danh: {d['name']} ({d['number']})" in said

        # The browser the kiosk opened ends on the candidate's exam page, at the first question.
        (page,) = opened
        page.wait_for_selector('#exam-app[data-state="exam"]')
        assert "#token" not in page.url
        assert page.locator("[data-candidate]").inner_text() == d["number"]
        assert page.locator("[data-candidate-name]").inner_text() == d["name"]
        assert page.locator("[data-qnav] .qbtn").count() == d["count"]
        first = page.locator(f'section[data-question="{d["first"]["number"]}"]')
        first.wait_for(state="visible")
        # The longest run of plain text of the first question's stem (outside tags and formulas).
        pieces = re.split(r"\\\(.*?\\\)|\\\[.*?\\\]|\$.*?\$|<[^>]+>", d["first"].get("stem") or d["first"]["body"]["stem"])
        fragment = " ".join(max(pieces, key=len).split())[:30]
        assert len(fragment) >= 5 and fragment in " ".join(first.inner_text().split())
        # The proctor sees the candidate checked in by chip.
        row = proctor.locator(f'tr[data-candidate-id="{d["candidate_id"]}"]')
        assert d["name"] in row.inner_text()
        row.locator('[data-checkin="chip"]').wait_for()
        # ... and the check-in's details (pushed live, opened from the row's check-in chip): chip
        # verified, the chip photo beside the live photo (both loaded with the proctor's session),
        # the face comparison's label.
        row.locator('[data-checkin="chip"]').click()
        latest = proctor.locator(f'[data-checkin-panel="{d["candidate_id"]}"] .checkin-panel.latest')
        latest.locator('[data-checkin-status="verified"]').wait_for()
        assert "Chip đã xác thực" in latest.inner_text() and "K01" in latest.inner_text()
        for kind in ("chip", "live"):
            proctor.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                                      arg=latest.locator(f'img[data-photo="{kind}"]').element_handle())
        face = latest.locator("[data-face]")
        assert face.get_attribute("data-face") == "match" and face.inner_text() == "Khuôn mặt khớp"

        proctor.click('[data-checkin-dialog] button[value="close"]')

        # The proctor admits another candidate of the room by hand, with a reason: a short code
        # (no reason: refused), which the candidate types with their number on the exam page; the
        # row then says unverified, with the reason and the proctor's name.
        exam_ui.candidate_action(proctor, d["other_id"], "admit")
        proctor.click("[data-dialog-ok]")                                 # no reason: refused
        assert proctor.locator("[data-dialog-error]").is_visible()
        proctor.fill("#d-reason", ADMIT_REASON)
        proctor.click("[data-dialog-ok]")
        code = proctor.locator("[data-code-dialog] [data-code]")
        code.wait_for(state="visible")
        assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code.inner_text().strip())
        typed = code.inner_text().strip()
        proctor.click('[data-code-dialog] button[value="close"]')
        other_page = live_contexts.new().new_page()
        other_page.goto("/exam")
        exam_ui.enter_code(other_page, d["other_number"], typed)
        other_page.wait_for_selector('#exam-app[data-state="exam"]')
        proctor.locator(f'tr[data-candidate-id="{d["other_id"]}"] [data-checkin="manual"]').click()
        admitted = proctor.locator(f'[data-checkin-panel="{d["other_id"]}"] .checkin-panel.latest')
        admitted.locator('[data-checkin-status="unverified"]').wait_for()
        text = admitted.inner_text()
        assert "Cho vào thi thủ công (chưa xác thực)" in text and ADMIT_REASON in text and d["proctor_name"] in text
        proctor.click('[data-checkin-dialog] button[value="close"]')

        # The candidate checks in again (at another kiosk, with the same card): the first screen
        # closes and says why, and the new one continues the same exam.
        assert flow.check_in()["outcome"] == "verified"
        page.locator('#exam-app[data-finished="replaced"]').wait_for()
        assert "màn hình này đã đóng" in page.locator("[data-message]").inner_text()
        assert not page.locator('section[data-view="exam"]').is_visible()
        assert len(opened) == 2
        opened[1].wait_for_selector('#exam-app[data-state="exam"]')
        assert opened[1].locator("[data-qnav] .qbtn").count() == d["count"]

        vpcd_controller.remove()
        flow.wait_for_removal(poll=0.05, timeout=5)
        print(f"check-in {checkin_seconds:.2f}s, whole test {time.monotonic() - started:.1f}s")
    finally:
        vpcd_controller.stop()
        live_contexts.close_all()

    with app.app_context():
        rows = list(session.scalars(select(CheckIn).where(CheckIn.candidate_id == d["candidate_id"])))
        assert [(r.outcome, r.verified, r.method) for r in rows] == [("verified", True, "chip")] * 2
        assert {r.kiosk_id for r in rows} == {d["kiosk_id"]} and all(r.reasons == [] for r in rows)
        manual = list(session.scalars(select(CheckIn).where(CheckIn.candidate_id == d["other_id"])))
        assert [(r.outcome, r.verified, r.method, r.note) for r in manual] == [("manual", False, "manual", ADMIT_REASON)]
