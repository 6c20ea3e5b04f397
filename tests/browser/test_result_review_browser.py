"""Results as the candidate saw them (issue 10), in a real headless Chromium against a real
Socket.IO server.

A candidate sits the demo exam (its options shuffled per candidate), picks the option shown
second ("B" on their screen) in every single-choice question, flags a question and submits: the
confirmation lists what it should and never the text "null". The teacher's result page and the
candidate's own released result then show every question as the candidate saw it: the options in
the candidate's order with the candidate's letters, "B" as their answer, and the key in their
letters (computed here from the order the browser was given, not from the review code).
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.browser
LETTERS = "ABCDEFGH"


@pytest.fixture
def released_exam(demo_exam_factory, users):
    """The demo exam, all questions on one page, results released, the room started; its first
    candidate (student1's roster entry)."""
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.exams import services as exams
    from exam_server.exams.models import DeliveryMode
    from exam_server.live.models import RoomSession

    def prepare(exam):
        exam.delivery_mode = DeliveryMode.ALL_ON_PAGE
        exam.results_visible_to_candidates = True
        room = exams.list_rooms(exam)[0]
        if session.scalar(select(RoomSession).where(RoomSession.room_id == room.id)) is None:
            session.add(RoomSession(exam_id=exam.id, room_id=room.id, started_at=datetime.now(UTC),
                                    started_by_id=users["proctor1"]))

    return demo_exam_factory(prepare, candidates=1)


def _check_review(page, questions, chosen_letter, typeset=False):
    """Every question on the page is shown as the candidate saw it."""
    for q in questions:
        block = page.locator(f'[data-review] [data-question="{q["number"]}"]')
        if q["type"] == "single_choice":
            shown_ids = [o["id"] for o in q["body"]["options"]]            # the order the browser got
            labels = block.locator(".review-choices li").evaluate_all("els => els.map(e => e.dataset.label)")
            assert labels == list(LETTERS[:len(shown_ids)])
            if not typeset:
                texts = block.locator(".review-choices li .html").evaluate_all("els => els.map(e => e.innerHTML)")
                assert texts == [o["html"] for o in q["body"]["options"]]
            key_letter = LETTERS[shown_ids.index(q["item"].content.key["correct"])]
            assert block.locator("[data-answer]").get_attribute("data-answer") == chosen_letter
            assert block.locator("[data-key-letters]").get_attribute("data-key-letters") == key_letter
            assert block.locator(".review-choices li.chosen").get_attribute("data-label") == chosen_letter
            assert block.locator(".review-choices li.correct").get_attribute("data-label") == key_letter
            points = block.locator("[data-points]").inner_text()
            assert points == ("1,00" if key_letter == chosen_letter else "0,00"), (q["number"], points)
        elif q["type"] == "true_false_cluster":
            assert block.locator(".tf-review tbody tr").evaluate_all(
                "els => els.map(e => e.dataset.label)") == ["a", "b", "c", "d"]
        assert "null" not in block.inner_text()


def test_results_show_each_question_as_the_candidate_saw_it(chromium, live_socketio_server, log_in_page,
                                                            released_exam, exam_ui, client, token_for):
    (c1,) = released_exam["candidates"]
    exam_id = released_exam["exam_id"]
    questions = c1["questions"]
    singles = [q for q in questions if q["type"] == "single_choice"]
    # The form is shuffled for this candidate: at least one question shows its options out of the
    # bank's order (otherwise this test could not tell letters from ids).
    assert any([o["id"] for o in q["body"]["options"]] != sorted(o["id"] for o in q["body"]["options"])
               for q in singles), [q["body"]["options"] for q in singles]
    given = {}
    for q in questions:
        given[q["number"]] = (q["body"]["options"][1]["id"] if q["type"] == "single_choice"
                              else exam_ui.correct_response(q) if q["type"] != "extended_text" else "Bài viết.")
    token = client.post(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/session-token",
                        json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1")).get_json()["token"]
    # The teacher's page without JavaScript: the server's HTML as sent (the options' HTML compared
    # as stored); the candidate's with it: the formulas typeset.
    contexts = [chromium.new_context(base_url=live_socketio_server, viewport={"width": 1280, "height": 900},
                                     locale="vi-VN", java_script_enabled=n != 1) for n in range(3)]
    for context in contexts:
        context.set_default_timeout(10_000)
    try:
        page = contexts[0].new_page()
        page.goto(f"/exam#token={token}")
        page.wait_for_selector('#exam-app[data-state="exam"]')
        for q in questions:
            exam_ui.answer(page, q, given[q["number"]], navigate=False)
        exam_ui.wait_saved(page)
        # The confirmation with nothing flagged: two paragraphs, no "null" (issue 10).
        page.click("[data-submit]")
        page.wait_for_selector("[data-confirm][open]")
        body = page.locator("[data-confirm-body]")
        assert "null" not in body.inner_text() and body.locator("p").count() == 2
        assert body.locator("[data-flagged]").count() == 0
        page.keyboard.press("Escape")
        page.wait_for_function("!document.querySelector('[data-confirm]').open")
        flagged = questions[2]["number"]
        page.click(f'[data-flag="{flagged}"]')
        exam_ui.wait_saved(page)
        page.click("[data-submit]")
        page.wait_for_selector("[data-confirm][open]")
        assert body.locator("[data-flagged]").get_attribute("data-flagged") == str(flagged)
        assert "null" not in body.inner_text() and body.locator("p").count() == 3
        page.click("[data-confirm-yes]")
        page.wait_for_selector('#exam-app[data-finished="submitted"]')

        teacher = log_in_page(contexts[1], "teacher1")
        teacher.goto(f"/results/exams/{exam_id}/candidates/{c1['id']}")
        teacher.wait_for_selector("[data-review]")
        _check_review(teacher, questions, "B")
        teacher.screenshot(path="/tmp/result-review-teacher.png", full_page=True)

        student = log_in_page(contexts[2], "student1")
        student.goto("/my-results")
        student.wait_for_selector("[data-review] .katex")           # formulas typeset as on the exam page
        _check_review(student, questions, "B", typeset=True)
        student.screenshot(path="/tmp/result-review-student.png", full_page=True)
    finally:
        for context in contexts:
            context.close()

    # The API says the same, in letters (never the internal ids).
    review = client.get(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/result",
                        headers=token_for("teacher1")).get_json()["review"]
    for q in singles:
        row = next(r for r in review if r["number"] == q["number"])
        shown_ids = [o["id"] for o in q["body"]["options"]]
        assert row["answer"] == "B"
        assert row["key"] == LETTERS[shown_ids.index(q["item"].content.key["correct"])]
        assert [c["label"] for c in row["choices"]] == list(LETTERS[:len(shown_ids)])
