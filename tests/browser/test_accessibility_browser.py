"""Student pages against WCAG 2.2 AA with axe-core (issue 10), in a real headless Chromium: the
exam page with every question type the platform has (single choice, multiple response, true/false
cluster, numeric short answer, text entry, essay, matching, ordering: the demo exam's four and the
demo bank's other four put in its form), answered and in high contrast, the submit dialog, the
candidate's results page and the result look-up page. No serious or critical violation. Keyboard
only: Tab reaches every question, every type is answered with keys alone and the exam handed in
with Enter; the server holds exactly those answers. Zoom 200%: at half the width (640 CSS pixels
for a 1280-pixel screen) no page scrolls sideways."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.browser.a11y import violations

pytestmark = pytest.mark.browser
ESSAY_IDENTIFIER = "demo-anh12-essay-01"
EVERY_TYPE = {"single_choice", "multiple_response", "true_false_cluster", "numeric", "text_entry",
              "extended_text", "matching", "ordering"}


@pytest.fixture
def every_type_exam(demo_exam_factory, users):
    """The demo exam on one page with every item type: in place of later questions of a type
    already there, one demo-bank item of each type the demo exam lacks (the demo essay too, were
    the exam without one); results released, the room started."""
    from sqlalchemy import select

    from exam_server.bank.models import Item, ItemVersion
    from exam_server.core.db import session
    from exam_server.exams import services as exams
    from exam_server.exams.models import DeliveryMode
    from exam_server.live.models import RoomSession

    def prepare(exam):
        exam.delivery_mode = DeliveryMode.ALL_ON_PAGE
        exam.results_visible_to_candidates = True
        (form,) = exam.forms
        entries = sorted(form.items, key=lambda entry: entry.position)
        if not any(entry.item_version.item_type == "extended_text" for entry in entries):
            essay = session.scalar(select(Item).where(Item.identifier == ESSAY_IDENTIFIER))
            entries[-1].item_version = session.get(ItemVersion, essay.latest_version_id)
        # The first question of each type stays (the keyboard test answers the first single choice);
        # a later one of a type already seen makes room for a type the exam lacks.
        kept: set[str] = set()
        spare = []
        for entry in entries:
            if entry.item_version.item_type in kept:
                spare.append(entry)
            kept.add(entry.item_version.item_type)
        for item_type in sorted(EVERY_TYPE - kept):
            spare.pop(0).item_version = session.scalars(select(ItemVersion).where(ItemVersion.item_type == item_type)
                                                        .order_by(ItemVersion.id)).first()
        room = exams.list_rooms(exam)[0]
        session.add(RoomSession(exam_id=exam.id, room_id=room.id, started_at=datetime.now(UTC),
                                started_by_id=users["proctor1"]))

    return demo_exam_factory(prepare, candidates=1)


@pytest.fixture
def exam_page(chromium, live_socketio_server, every_type_exam, client, token_for):
    """The every-type exam's candidate on the exam page (a proctor's session token), in a Vietnamese
    1280x900 context that closes after the test; the page's context opens the test's other pages."""
    (c1,) = every_type_exam["candidates"]
    token = client.post(f"/api/v1/exams/{every_type_exam['exam_id']}/candidates/{c1['id']}/session-token",
                        json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1")).get_json()["token"]
    context = chromium.new_context(base_url=live_socketio_server, viewport={"width": 1280, "height": 900},
                                   locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"/exam#token={token}")
        page.wait_for_selector('#exam-app[data-state="exam"]')
        yield page
    finally:
        context.close()


def _no_sideways_scroll_at_200_percent(page):
    """Zoom 200% of a 1280-pixel screen is 640 CSS pixels: the page scrolls only down."""
    page.set_viewport_size({"width": 640, "height": 450})
    page.wait_for_function("window.innerWidth === 640")
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, (page.url, wide)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function("window.innerWidth === 1280")


def test_student_pages_have_no_serious_violation(log_in_page, every_type_exam, exam_page, exam_ui):
    (c1,) = every_type_exam["candidates"]
    types = {q["type"] for q in c1["questions"]}
    assert types == EVERY_TYPE
    page, context = exam_page, exam_page.context
    assert violations(page) == []
    for q in c1["questions"]:
        if q["type"] == "single_choice":
            continue
        exam_ui.answer(page, q, "Bài viết." if q["type"] == "extended_text" else exam_ui.correct_response(q),
                       navigate=False)
    exam_ui.wait_saved(page)
    assert violations(page) == []                      # every type answered (ordering moved, ...)
    # A matching question's selects are named by their source ("2. Chu kì T"), not a bare number.
    matching = next(q for q in c1["questions"] if q["type"] == "matching")
    selects = page.locator(f'section[data-question="{matching["number"]}"] .match-sources select')
    second = matching["body"]["sources"][1]["html"]           # as shown to this candidate
    name = page.evaluate("(s) => s.getAttribute('aria-labelledby').split(' ')"
                         ".map((id) => document.getElementById(id).textContent).join(' ')",
                         selects.nth(1).element_handle())
    assert name.startswith("2. ") and re.sub(r"<[^>]+>|\\\(.*?\\\)", "", second).strip() in name, name
    page.click("[data-contrast]")                      # and in the high-contrast theme
    assert violations(page) == []
    page.click("[data-contrast]")
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


def _keyboard_answer(page, q, response) -> None:
    """Answer q with keys only: Space on a radio or a checkbox, arrows within a radio pair, typing in
    a box, a target's letter on a matching select, Enter on an ordering choice's "up" button (which
    keeps the focus on the moved choice). Each control is focused where a Tab would have put it."""
    section = page.locator(f'section[data-question="{q["number"]}"]')
    if q["type"] == "single_choice":
        section.locator(f'input[type=radio][value="{response}"]').focus()
        page.keyboard.press("Space")
    elif q["type"] == "multiple_response":
        for option_id in response:
            section.locator(f'input[type=checkbox][value="{option_id}"]').focus()
            page.keyboard.press("Space")
    elif q["type"] == "true_false_cluster":
        rows = section.locator(".tf-table tbody tr")
        for i, statement in enumerate(q["body"]["statements"]):
            rows.nth(i).locator('input[value="true"]').focus()
            page.keyboard.press("Space" if response[statement["id"]] else "ArrowDown")   # ArrowDown: to "false"
    elif q["type"] in ("numeric", "text_entry"):
        section.locator("input.answer-input").focus()
        page.keyboard.type(response)
    elif q["type"] == "extended_text":
        section.locator("textarea.answer-essay").focus()
        page.keyboard.type(response)
    elif q["type"] == "matching":
        letters = {t["id"]: "abcdefghij"[j] for j, t in enumerate(q["body"]["targets"])}   # as shown
        selects = section.locator(".match-sources select")
        for i, source in enumerate(q["body"]["sources"]):
            if source["id"] in response:
                selects.nth(i).focus()
                page.keyboard.press(letters[response[source["id"]]])
    elif q["type"] == "ordering":
        for place, choice_id in enumerate(response):
            item = section.locator(f'.order-list li[data-id="{choice_id}"]')
            if section.locator(".order-list li").nth(place).get_attribute("data-id") == choice_id:
                continue
            item.locator("[data-up]").focus()
            while section.locator(".order-list li").nth(place).get_attribute("data-id") != choice_id:
                page.keyboard.press("Enter")
    else:
        raise AssertionError(q["type"])


def test_every_question_type_is_completed_with_the_keyboard_alone(every_type_exam, exam_page, exam_ui, client,
                                                                   token_for):
    """Tab reaches every question of the paper, each type is answered with keys only, the exam is
    handed in with Enter, and the server holds exactly the answers given."""
    (c1,) = every_type_exam["candidates"]
    exam_id = every_type_exam["exam_id"]
    questions = c1["questions"]
    page = exam_page
    # The Tab order passes through every question (a control no key reaches would strand a candidate).
    reached: set[int] = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        number = page.evaluate("(() => { const s = document.activeElement.closest('section[data-question]');"
                               " return s ? Number(s.dataset.question) : null; })()")
        if number is not None:
            reached.add(number)
        if len(reached) == len(questions):
            break
    assert reached == {q["number"] for q in questions}

    given = {}
    for q in questions:
        if q["type"] == "single_choice":         # the second option shown, whichever it is
            given[q["number"]] = q["body"]["options"][1]["id"]
        elif q["type"] == "extended_text":
            given[q["number"]] = "Bài làm bằng bàn phím."
        else:
            given[q["number"]] = exam_ui.correct_response(q)
        _keyboard_answer(page, q, given[q["number"]])
    exam_ui.wait_saved(page)
    assert page.inner_text("[data-progress]") == f"Đã trả lời {len(questions)}/{len(questions)} câu"
    page.locator("[data-submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-confirm][open]")
    assert page.get_attribute("[data-unanswered]", "data-unanswered") == ""
    page.locator("[data-confirm-yes]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('#exam-app[data-finished="submitted"]')
    result = client.get(f"/api/v1/exams/{exam_id}/candidates/{c1['id']}/result",
                        headers=token_for("admin")).get_json()["result"]
    assert {row["number"]: row["response"] for row in result["items"]} == given
