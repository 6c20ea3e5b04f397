"""The exam page's all-on-one-page mode and the blind essay-marking page, in a real headless
Chromium against a real Socket.IO server.

The demo exam is set to show every question on one page, with the demo bank's English essay in
place of its own (math) essay, whose rubric the marks below are written for. A candidate answers all ten questions on that one page (the essay typed in its
text box), the answers are saved (a reload shows them again from the server) and the exam is
submitted; the result holds every answer, the essay pending. A teacher opens the essay-marking
page: the essay is shown by its anonymous code only (the candidate's name and number are nowhere
on the page), is marked against its rubric and saved through /api/v1/essay-scores; the page says
it is saved with the mark, a reload lists it under the teacher's marked essays, and the result
becomes final with the essay's points.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

pytestmark = pytest.mark.browser

ESSAY_IDENTIFIER = "demo-anh12-essay-01"
ESSAY = ("Learning English opens many doors for Vietnamese students.\n"
         "First, it helps them study abroad; second, it brings better jobs. Tiếng Anh rất quan trọng.")
CRITERIA = ["1.5", "1", "0.5", "1"]                  # of 2, 1, 1, 1: 4 of 5


@pytest.fixture
def essay_exam(demo_exam_factory, app, users):
    """The demo exam, all questions on one page, the demo English essay in place of its essay (1
    point), the room started (as the proctor would); its first candidate."""
    from sqlalchemy import select

    from exam_server.bank.models import Item, ItemVersion
    from exam_server.core.db import session
    from exam_server.exams import services as exams
    from exam_server.exams.models import DeliveryMode
    from exam_server.live.models import RoomSession

    def prepare(exam):
        exam.delivery_mode = DeliveryMode.ALL_ON_PAGE
        essay = session.scalar(select(Item).where(Item.identifier == ESSAY_IDENTIFIER))
        (form,) = exam.forms
        own = next(entry for entry in form.items if entry.item_version.item_type == "extended_text")
        own.item_version = session.get(ItemVersion, essay.latest_version_id)
        room = exams.list_rooms(exam)[0]
        session.add(RoomSession(exam_id=exam.id, room_id=room.id, started_at=datetime.now(UTC),
                                started_by_id=users["proctor1"]))

    made = demo_exam_factory(prepare, candidates=1)
    (candidate,) = made["candidates"]
    assert [q["type"] for q in candidate["questions"]].count("extended_text") == 1
    return made


def test_all_on_one_page_then_blind_essay_marking(chromium, live_socketio_server, log_in_page, essay_exam, exam_ui,
                                                  client, token_for):
    base = live_socketio_server
    started = time.monotonic()
    (c1,) = essay_exam["candidates"]
    exam_id = essay_exam["exam_id"]
    questions = c1["questions"]
    given = {q["number"]: ESSAY if q["type"] == "extended_text" else exam_ui.correct_response(q) for q in questions}
    essay_number = next(q["number"] for q in questions if q["type"] == "extended_text")
    response = client.post(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/session-token",
                           json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1"))
    assert response.status_code == 201, response.get_json()
    token = response.get_json()["token"]

    student_context = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    teacher_context = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    student_context.set_default_timeout(10_000)
    teacher_context.set_default_timeout(10_000)
    try:
        # --- every question on one page -----------------------------------------------------------
        page = student_context.new_page()
        page.goto(f"/exam#token={token}")
        page.wait_for_selector('#exam-app[data-state="exam"]')
        assert page.get_attribute("#exam-app", "data-mode") == "all_on_page"
        assert page.locator("section[data-question]:visible").count() == len(questions) == 10
        assert page.locator(".pager:visible").count() == 0          # no previous / next in this mode
        assert page.locator(".qbtn.current").count() == 0
        for q in questions:          # scrolling down the page, no question list needed
            exam_ui.answer(page, q, given[q["number"]], navigate=False)
        page.click(f'[data-nav="{questions[0]["number"]}"]')    # the list scrolls back up; nothing is hidden
        page.wait_for_function("window.scrollY < 200")
        assert page.locator("section[data-question]:visible").count() == 10
        exam_ui.wait_saved(page)
        assert page.inner_text("[data-progress]") == "Đã trả lời 10/10 câu"

        page.reload()                                  # what is shown again comes from the server
        page.wait_for_selector('#exam-app[data-state="exam"]')
        assert page.locator("section[data-question]:visible").count() == 10
        assert page.inner_text("[data-progress]") == "Đã trả lời 10/10 câu"
        essay_box = page.locator(f'section[data-question="{essay_number}"] textarea.answer-essay')
        assert essay_box.input_value() == ESSAY
        page.click("[data-submit]")
        page.wait_for_selector("[data-confirm][open]")
        assert page.get_attribute("[data-unanswered]", "data-unanswered") == ""
        page.click("[data-confirm-yes]")
        page.wait_for_selector('#exam-app[data-finished="submitted"]')

        result = client.get(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/result",
                            headers=token_for("admin")).get_json()["result"]
        assert {row["number"]: row["response"] for row in result["items"]} == given
        assert result["status"] == "provisional" and result["pending_essays"] == 1

        # --- the teacher marks the essay, blind ---------------------------------------------------
        teacher = log_in_page(teacher_context, "teacher1")
        teacher.goto(f"/results/exams/{exam_id}/essays")
        form = teacher.locator("form[data-essay]")
        assert form.count() == 1
        text = teacher.inner_text("body")
        assert ESSAY.splitlines()[0] in text
        html = teacher.content()
        for secret in (c1["name"], c1["number"]):
            assert secret not in text and secret not in html, secret
        inputs = form.locator("[data-criterion]")
        assert inputs.count() == len(CRITERIA)
        for i, points in enumerate(CRITERIA):
            inputs.nth(i).fill(points)
        form.locator("[data-comment]").fill("Ý rõ ràng, cần thêm ví dụ.")
        with teacher.expect_response(lambda r: r.url.endswith("/api/v1/essay-scores")) as saved:
            form.locator('button[type="submit"]').click()
        assert saved.value.status == 201, saved.value.text()
        assert saved.value.request.post_data_json["criteria"] == CRITERIA
        teacher.wait_for_selector("form[data-essay][data-saved] [data-status]:has-text('Đã lưu')")
        assert "4 / 5" in teacher.inner_text("form[data-essay] [data-status]")
        assert form.locator('button[type="submit"]').is_disabled()

        teacher.reload()
        marked = teacher.locator("[data-marked]")
        marked.wait_for()
        assert marked.count() == 1 and teacher.locator("form[data-essay]").count() == 0
        assert "Điểm bạn chấm: 4 / 5" in marked.inner_text()
        assert "Ý rõ ràng, cần thêm ví dụ." in marked.inner_text()
        assert "Không có bài tự luận nào chờ bạn chấm." in teacher.inner_text("#essay-queue")
        text, html = teacher.inner_text("body"), teacher.content()
        for secret in (c1["name"], c1["number"]):
            assert secret not in text and secret not in html, secret
        teacher.screenshot(path="/tmp/essay-marking.png", full_page=True)
    finally:
        student_context.close()
        teacher_context.close()

    result = client.get(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/result",
                        headers=token_for("admin")).get_json()["result"]
    assert result["status"] == "final" and result["pending_essays"] == 0
    essay_row = next(row for row in result["items"] if row["number"] == essay_number)
    assert Decimal(essay_row["points"]) == Decimal("0.8")
    print(f"whole test {time.monotonic() - started:.1f} s")
