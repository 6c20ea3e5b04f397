"""Student pages against WCAG 2.2 AA with axe-core (issue 10), in a real headless Chromium: the
exam page with every question type of the demo exam (single choice, true/false cluster, short
answer, essay), the submit dialog, the candidate's results page and the result look-up page. No
serious or critical violation. Keyboard only: the candidate answers a single-choice question and
submits with the keyboard alone. Zoom 200%: at half the width (640 CSS pixels for a 1280-pixel
screen) no page scrolls sideways."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.a11y import violations

pytestmark = pytest.mark.browser
ESSAY_IDENTIFIER = "demo-anh12-essay-01"


@pytest.fixture
def every_type_exam(demo_exam_factory, users):
    """The demo exam on one page, its last question the demo essay, results released, the room started."""
    from sqlalchemy import select

    from exam_server.bank.models import Item, ItemVersion
    from exam_server.core.db import session
    from exam_server.exams import services as exams
    from exam_server.exams.models import DeliveryMode
    from exam_server.live.models import RoomSession

    def prepare(exam):
        exam.delivery_mode = DeliveryMode.ALL_ON_PAGE
        exam.results_visible_to_candidates = True
        essay = session.scalar(select(Item).where(Item.identifier == ESSAY_IDENTIFIER))
        (form,) = exam.forms
        max(form.items, key=lambda entry: entry.position).item_version = session.get(ItemVersion,
                                                                                    essay.latest_version_id)
        room = exams.list_rooms(exam)[0]
        session.add(RoomSession(exam_id=exam.id, room_id=room.id, started_at=datetime.now(UTC),
                                started_by_id=users["proctor1"]))

    return demo_exam_factory(prepare, candidates=1)


def _no_sideways_scroll_at_200_percent(page):
    """Zoom 200% of a 1280-pixel screen is 640 CSS pixels: the page scrolls only down."""
    page.set_viewport_size({"width": 640, "height": 450})
    page.wait_for_function("window.innerWidth === 640")
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, (page.url, wide)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function("window.innerWidth === 1280")


def test_student_pages_have_no_serious_violation(chromium, live_socketio_server, log_in_page, every_type_exam,
                                                 exam_ui, client, token_for):
    (c1,) = every_type_exam["candidates"]
    exam_id = every_type_exam["exam_id"]
    types = {q["type"] for q in c1["questions"]}
    assert types == {"single_choice", "true_false_cluster", "numeric", "extended_text"}
    token = client.post(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/session-token",
                        json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1")).get_json()["token"]
    context = chromium.new_context(base_url=live_socketio_server, viewport={"width": 1280, "height": 900},
                                   locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"/exam#token={token}")
        page.wait_for_selector('#exam-app[data-state="exam"]')
        assert violations(page) == []
        for q in c1["questions"]:
            if q["type"] == "single_choice":
                continue
            exam_ui.answer(page, q, "Bài viết." if q["type"] == "extended_text" else exam_ui.correct_response(q),
                           navigate=False)
        exam_ui.wait_saved(page)
        _no_sideways_scroll_at_200_percent(page)          # every question type on the page
        # Keyboard only: the first single-choice question, then the submit button and the dialog.
        first = next(q for q in c1["questions"] if q["type"] == "single_choice")
        radio = page.locator(f'section[data-question="{first["number"]}"] input[type=radio]').first
        radio.focus()
        page.keyboard.press("Space")
        assert radio.is_checked()
        exam_ui.wait_saved(page)
        page.locator("[data-submit]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-confirm][open]")
        assert violations(page) == []
        page.locator("[data-confirm-yes]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector('#exam-app[data-finished="submitted"]')

        student = log_in_page(context, "student1")
        student.goto("/my-results")
        student.wait_for_selector("[data-review] .katex")
        assert violations(student) == []
        lookup = context.new_page()
        lookup.goto("/results/lookup")
        assert violations(lookup) == []

        for shown in (student, lookup):
            _no_sideways_scroll_at_200_percent(shown)
    finally:
        context.close()
