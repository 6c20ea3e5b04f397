"""Proctor actions from the proctor's room page reaching the students' exam pages, in a real
headless Chromium against a real Socket.IO server, and an attempt closed at its deadline.

Three candidates of the demo room sit the exam in three browser contexts. The proctor pauses the
whole room (every page shows the veil with the reason, its timer stands still, nothing can be
answered) and resumes it (the pages continue, answers are saved again), writes a note for the
room, moves one candidate to another kiosk (that page says where to go and locks) and ends
another's attempt with a reason (that page ends on the reason, no inputs left). While the room
is paused the first candidate's time is made nearly over in the database: after the resume the
page counts the last seconds down and the server's deadline sweeper (on for this test, ticking
every half second) closes the attempt; the page ends on the closed message and the result holds
the answers given. (Extending a candidate's time is driven in test_live_browser.py.)
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

pytestmark = pytest.mark.browser

SECONDS_LEFT_AFTER_RESUME = 4


@pytest.fixture
def deadline_sweeper(app, live_socketio_server):
    """The deadline sweeper's pass (sweeper.sweep_once) every half second while the test runs (the
    app's own loop is off under TESTING and, once started, would outlive the test); stopped
    before the live server and the database go."""
    from exam_server.live.sweeper import sweep_once

    stop = threading.Event()
    failures: list[BaseException] = []

    def loop():
        while not stop.wait(0.5):
            try:
                with app.app_context():
                    sweep_once()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                failures.append(exc)

    thread = threading.Thread(target=loop, name="test-deadline-sweeper", daemon=True)
    thread.start()
    yield failures
    stop.set()
    thread.join(timeout=10)


def test_room_pause_resume_note_move_terminate_and_deadline(
        live_contexts, deadline_sweeper, log_in_page, demo_exam_factory, exam_ui, app, client,
        token_for):
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.live.clock import allowed_seconds
    from exam_server.live.models import Attempt, AttemptStatus, ProctorAction

    started = time.monotonic()
    exam = demo_exam_factory(candidates=3)
    c1, c2, c3 = exam["candidates"]
    def attempt_of(candidate):
        return session.scalar(select(Attempt).where(Attempt.candidate_id == candidate["id"]))

    try:
        proctor = log_in_page(live_contexts.new(timeout_ms=10_000), "proctor1")
        proctor.goto(f"/proctor/exams/{exam['exam_id']}/rooms/{exam['room_id']}")
        proctor.wait_for_selector('#proctor-app[data-joined="true"]')
        proctor.click('[data-room-action="start_room"]')
        proctor.wait_for_selector('[data-room-action="start_room"]:disabled')
        rows = {c["id"]: proctor.locator(f'tr[data-candidate-id="{c["id"]}"]') for c in (c1, c2, c3)}

        pages = {}
        for c in (c1, c2, c3):
            response = client.post(f"/api/v1/exams/{exam['exam_id']}/candidates/{c['id']}/session-token",
                                   json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1"))
            assert response.status_code == 201, response.get_json()
            page = live_contexts.new(timeout_ms=10_000).new_page()
            page.goto(f"/exam#token={response.get_json()['token']}", wait_until="commit")   # the three load at once
            pages[c["id"]] = page
        for c in (c1, c2, c3):
            pages[c["id"]].wait_for_selector('#exam-app[data-state="exam"]')
            rows[c["id"]].locator('[data-state="in_progress"]').wait_for()
        s1, s2, s3 = (pages[c["id"]] for c in (c1, c2, c3))

        given = {}
        for q in c1["questions"][:2]:
            given[q["number"]] = exam_ui.correct_response(q)
            exam_ui.answer(s1, q, given[q["number"]])
        exam_ui.wait_saved(s1)
        q2 = c2["questions"]
        exam_ui.answer(s2, q2[0], exam_ui.correct_response(q2[0]))
        exam_ui.wait_saved(s2)

        # --- the whole room is paused: every page veiled with the reason, the clocks stand still --
        before = {c["id"]: exam_ui.timer_seconds(pages[c["id"]]) for c in (c1, c2, c3)}
        proctor.click('[data-room-action="pause"]')
        proctor.fill("#d-reason", "Mất điện trong phòng thi")
        proctor.click("[data-dialog-ok]")
        for c in (c1, c2, c3):
            page = pages[c["id"]]
            page.wait_for_selector("[data-pause]:visible")
            assert "Mất điện trong phòng thi" in page.inner_text("[data-pause-text]")
            assert page.locator(f'section[data-question="{c["questions"][0]["number"]}"] input').first.is_disabled()
            assert page.locator("[data-submit]").is_disabled()
            rows[c["id"]].locator('[data-state="paused"]').wait_for()
        proctor.wait_for_selector('[data-room-state][data-paused="true"]:has-text("Phòng thi đang tạm dừng")')
        paused = {c["id"]: exam_ui.timer_seconds(pages[c["id"]]) for c in (c1, c2, c3)}
        for cid, value in paused.items():
            # the clock stops where it was: it neither runs on nor jumps back to an earlier reading
            assert before[cid] - 3 <= value <= before[cid], (before[cid], value)
        s2.wait_for_timeout(1200)
        assert {c["id"]: exam_ui.timer_seconds(pages[c["id"]]) for c in (c1, c2, c3)} == paused
        # Reopened during the pause, a page still says why; so does the proctor's page.
        s3.reload()
        s3.wait_for_selector("[data-pause]:visible")
        assert "Mất điện trong phòng thi" in s3.inner_text("[data-pause-text]")
        proctor.reload()
        proctor.wait_for_selector('#proctor-app[data-joined="true"]')
        assert proctor.get_attribute("[data-room-state]", "data-paused") == "true"

        # While paused, candidate 1's time is made nearly over (as the server tests do).
        with app.app_context():
            attempt = attempt_of(c1)
            assert attempt.status == AttemptStatus.PAUSED
            attempt.started_at = attempt.paused_at - timedelta(
                seconds=attempt.paused_seconds + allowed_seconds(attempt) - SECONDS_LEFT_AFTER_RESUME)
            session.commit()

        # --- the room resumes: the veils go, the clocks run, answers are saved again ---------------
        proctor.click('[data-room-action="resume"]')
        proctor.click("[data-dialog-ok]")                  # a resume needs no reason
        for c in (c1, c2, c3):
            pages[c["id"]].wait_for_selector("[data-pause]", state="hidden")
        proctor.wait_for_selector('[data-room-state][data-paused="false"]:has-text("Phòng thi đã bắt đầu")')
        s1.wait_for_function(f"Number(document.querySelector('[data-timer]').dataset.seconds) <= "
                             f"{SECONDS_LEFT_AFTER_RESUME}")
        resumed_at = exam_ui.timer_seconds(s3)
        for c in (c1, c2, c3):
            assert pages[c["id"]].locator('.banners .flash:has-text("Bài thi được tiếp tục")').count() == 1
            assert pages[c["id"]].locator("[data-submit]").is_enabled()
        exam_ui.answer(s2, q2[1], exam_ui.correct_response(q2[1]))
        exam_ui.wait_saved(s2)
        s3.wait_for_function(f"Number(document.querySelector('[data-timer]').dataset.seconds) < {resumed_at}")

        # --- a note for the room: the audit trail, nothing for the students ------------------------
        proctor.click('[data-room-action="note"]')
        proctor.fill("#d-reason", "Thí sinh TS002 xin thêm giấy nháp")
        proctor.click("[data-dialog-ok]")
        proctor.wait_for_selector("[data-result].success")

        # --- a message to the room: on every screen; then one to candidate 1 only ------------------
        proctor.click('[data-room-action="message"]')
        proctor.fill("#d-reason", "Còn 15 phút làm bài")
        proctor.click("[data-dialog-ok]")
        for c in (c1, c2, c3):
            pages[c["id"]].wait_for_selector('.banners .flash:has-text("Còn 15 phút làm bài")')
        exam_ui.candidate_action(proctor, c1["id"], "message")
        proctor.fill("#d-reason", "Em hãy ngồi ngay ngắn")
        proctor.click("[data-dialog-ok]")
        s1.wait_for_selector('.banners .flash:has-text("Em hãy ngồi ngay ngắn")')
        assert "Em hãy ngồi ngay ngắn" not in s2.inner_text("[data-banners]")

        # --- candidate 2 is moved to kiosk K07: the page says where to go and locks --------------
        exam_ui.candidate_action(proctor, c2["id"], "move")
        proctor.fill("#d-kiosk", "K07")
        proctor.fill("#d-reason", "Máy K02 bị treo")
        proctor.click("[data-dialog-ok]")
        s2.wait_for_selector('.banners .flash:has-text("K07")')
        rows[c2["id"]].locator('[data-kiosk="K07"]').wait_for()
        assert s2.locator(f'section[data-question="{q2[2]["number"]}"] input').first.is_disabled()

        # --- candidate 3's attempt is ended with a reason: the page ends on it, no inputs left ---
        exam_ui.candidate_action(proctor, c3["id"], "terminate")
        assert proctor.locator("[data-dialog-warning]").is_visible()       # destructive: said, and confirmed
        proctor.fill("#d-reason", "Sử dụng điện thoại trong giờ thi")
        proctor.click("[data-dialog-ok]")
        s3.wait_for_selector('#exam-app[data-finished="terminated"]')
        assert "Sử dụng điện thoại trong giờ thi" in s3.inner_text("[data-message]")
        assert s3.locator("#exam-app :is(input, textarea, select, button):visible").count() == 0
        rows[c3["id"]].locator('[data-state="terminated"]').wait_for()

        # --- candidate 1's time runs out: the server closes the attempt, the page says so --------
        s1.wait_for_selector('#exam-app[data-finished="closed"]', timeout=SECONDS_LEFT_AFTER_RESUME * 1000 + 10_000)
        assert "Hết giờ" in s1.inner_text("[data-message]")
        assert s1.locator("#exam-app :is(input, textarea, select, button):visible").count() == 0
        rows[c1["id"]].locator('[data-state="closed"]').wait_for()
        proctor.screenshot(path="/tmp/live-proctor-actions.png", full_page=True)
    finally:
        live_contexts.close_all()
    assert deadline_sweeper == []

    with app.app_context():
        assert attempt_of(c1).status == AttemptStatus.CLOSED
        assert attempt_of(c2).status == AttemptStatus.IN_PROGRESS and attempt_of(c2).kiosk == "K07"
        assert attempt_of(c3).status == AttemptStatus.TERMINATED
        actions = [(a.action, a.candidate_id, a.reason, a.payload) for a in session.scalars(
            select(ProctorAction).where(ProctorAction.exam_id == exam["exam_id"]).order_by(ProctorAction.id))]
    assert [a[:3] for a in actions if a[0] != "issue_token"] == [
        ("start_room", None, ""), ("pause", None, "Mất điện trong phòng thi"), ("resume", None, ""),
        ("note", None, ""), ("message", None, ""), ("message", c1["id"], ""), ("move", c2["id"], "Máy K02 bị treo"),
        ("terminate", c3["id"], "Sử dụng điện thoại trong giờ thi")]
    assert actions[[a[0] for a in actions].index("note")][3] == {"text": "Thí sinh TS002 xin thêm giấy nháp"}
    assert actions[[a[0] for a in actions].index("move")][3] == {"kiosk": "K07"}

    # The closed attempt was scored with the answers given.
    response = client.get(f"/api/v1/exams/{exam['exam_id']}/candidates/{c1['id']}/result",
                          headers=token_for("admin"))
    assert response.status_code == 200, response.get_json()
    items = {row["number"]: row["response"] for row in response.get_json()["result"]["items"]}
    assert items == {q["number"]: given.get(q["number"]) for q in c1["questions"]}
    print(f"whole test {time.monotonic() - started:.1f} s")
