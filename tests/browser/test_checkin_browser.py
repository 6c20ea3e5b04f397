"""Check-in at a kiosk end to end: the simulated CCCD card (in process) and its front QR on a
simulated camera, the kiosk flow against the live server, then headless Chromium opened at the
URL the kiosk got, ending on the candidate's exam page.

The setup is the demo's (exam_server.demo.checkin): test PKI trusted by the server, the card's
holder on the demo roster of Phòng 01 with a paper, kiosk K01 enrolled with its key.
"""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from tests.browser.test_live_browser import live_socketio_server, log_in_page, test_config  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_checkin(app, users):
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
        instance = app.config["INSTANCE_PATH"]
        return {"exam_id": exam.id, "room_id": room.id, "kiosk_id": kiosk.id, "candidate_id": candidate.id,
                "number": candidate.candidate_number, "name": candidate.full_name,
                "first": paper["questions"][0], "count": len(paper["questions"]),
                "key": f"{instance}/kiosk-K01.key", "pki": f"{instance}/demo-pki", "profile": PROFILE}


def test_card_check_in_at_the_kiosk_opens_the_exam_page(chromium, request, demo_checkin, app):
    import cv2

    from exam_server.checkin.models import CheckIn
    from exam_server.core.db import session
    from kiosk_client.camera import SimulatedCamera
    from kiosk_client.card.simulated import SimulatedReader
    from kiosk_client.checkin import KioskFlow, ServerClient, load_key
    from kiosk_client.simulator.card import VirtualCard
    from kiosk_client.simulator.pki import open_test_pki
    from kiosk_client.simulator.profile import load_profile

    base, d = request.getfixturevalue("live_socketio_server"), demo_checkin
    started = time.monotonic()
    contexts = []

    def new_context():
        context = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 900}, locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    try:
        # The proctor starts the room.
        proctor = log_in_page(new_context(), "proctor1")
        proctor.goto(f"/proctor/exams/{d['exam_id']}/rooms/{d['room_id']}")
        proctor.wait_for_selector('#proctor-app[data-joined="true"]')
        proctor.click('[data-room-action="start_room"]')
        proctor.wait_for_selector('[data-room-state]:has-text("Phòng thi đã bắt đầu")')

        # The candidate puts the card on the kiosk's reader; the camera sees the card's front QR
        # (the image the demo wrote).
        reader = SimulatedReader()
        reader.insert(VirtualCard(load_profile(d["profile"]), open_test_pki(d["pki"]), sleep=lambda s: None))
        qr = cv2.imread(f"{app.config['INSTANCE_PATH']}/demo-card-qr.png", cv2.IMREAD_GRAYSCALE)
        student_context = new_context()
        opened, said = [], []

        def open_browser(url):
            page = student_context.new_page()
            page.goto(url)
            opened.append(page)

        flow = KioskFlow(ServerClient(base, d["kiosk_id"], load_key(d["key"])), reader, SimulatedCamera(qr),
                         open_browser=open_browser, say=said.append, card_timeout=5)
        checkin_started = time.monotonic()
        answer = flow.check_in()
        checkin_seconds = time.monotonic() - checkin_started
        assert answer["outcome"] == "verified", answer
        assert answer["candidate"]["full_name"] == d["name"] == "Nguyễn Văn An"
        assert answer["candidate"]["candidate_number"] == d["number"]
        assert f"Checked in: {d['name']} ({d['number']})" in said

        # The browser the kiosk opened ends on the candidate's exam page, at the first question.
        (page,) = opened
        page.wait_for_selector('#exam-app[data-state="exam"]')
        assert "#token" not in page.url
        assert page.locator("[data-candidate]").inner_text() == d["number"]
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

        flow.reader.remove()
        flow.wait_for_removal(poll=0.01, timeout=1)
        print(f"check-in {checkin_seconds:.2f}s, whole test {time.monotonic() - started:.1f}s")
    finally:
        for context in contexts:
            context.close()

    with app.app_context():
        rows = list(session.scalars(select(CheckIn).where(CheckIn.candidate_id == d["candidate_id"])))
        assert [(r.outcome, r.verified, r.method) for r in rows] == [("verified", True, "chip")]
        assert rows[0].kiosk_id == d["kiosk_id"] and rows[0].reasons == []
