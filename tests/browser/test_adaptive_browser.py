"""An adaptive exam sat end to end in a real headless Chromium (docs/protocol.md, "Adaptive
exams"): the page shows one open question, the candidate answers and confirms it, the next one
arrives in the answer's ack, answered questions are locked, a reload resumes at the open question,
and once the test is over the candidate submits; the result has θ and its SE."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.browser.a11y import violations
from tests.server.test_adaptive import RULES, TF_KEY, adaptive_exam
from tests.server.test_exams_assembly import NUMERIC_KEY

pytestmark = pytest.mark.browser


def _answer(section, right: bool) -> None:
    item_type = re.search(r"Câu hỏi (\w+) số", section.inner_text()).group(1)
    if item_type == "single_choice":
        section.locator(f'input[type=radio][value="{"A" if right else "B"}"]').check()
    elif item_type == "numeric":
        section.locator("input.answer-input").fill(str(NUMERIC_KEY).replace(".", ",") if right else "9999")
    else:
        rows = section.locator(".tf-table tbody tr")
        for i, value in enumerate(TF_KEY.values()):
            shown = value if right or i else not value
            rows.nth(i).locator(f'input[value="{"true" if shown else "false"}"]').check()


def open_sitting(app, live_contexts, client, token_for, users, exam: dict):
    """Candidate 010001 of `exam` on the exam page, its room started; (the page, the candidate's id)."""
    from exam_server.core.db import session
    from exam_server.live.models import RoomSession

    with app.app_context():
        session.add(RoomSession(exam_id=exam["id"], room_id=exam["room"], started_at=datetime.now(UTC),
                                started_by_id=users["proctor1"]))
        session.commit()
    candidate_id = exam["candidates"]["010001"]
    token = client.post(f"/api/v1/exams/{exam['id']}/candidates/{candidate_id}/session-token",
                        json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1")).get_json()["token"]
    page = live_contexts.new().new_page()
    page.goto(f"/exam#token={token}")
    page.wait_for_selector('#exam-app[data-state="exam"]')
    return page, candidate_id


def test_an_adaptive_exam_in_the_browser(app, live_contexts, client, token_for, users, admin):
    from exam_server.core.db import session
    from exam_server.results.models import Result

    exam = adaptive_exam(app, client, token_for, users, admin)
    page, candidate_id = open_sitting(app, live_contexts, client, token_for, users, exam)
    for number in range(1, RULES["max_items"] + 1):
        section = page.locator(f'section[data-question="{number}"]')
        section.wait_for(state="visible")
        if number == 3:        # a reload comes back to the same open question
            page.reload()
            page.wait_for_selector('#exam-app[data-state="exam"]')
            section = page.locator(f'section[data-question="{number}"]')
            section.wait_for(state="visible")
            assert page.locator("section[data-question]").count() == 3
        confirm = section.locator("[data-confirm-answer]")
        assert confirm.is_disabled()                 # nothing chosen yet
        if number == 2:
            assert violations(page) == []            # axe-core: nothing serious or critical
        _answer(section, right=number % 2 == 1)
        assert confirm.is_enabled()
        confirm.click()
        if number < RULES["max_items"]:
            page.locator(f'section[data-question="{number + 1}"]').wait_for(state="visible")
            assert page.locator(f'section[data-question="{number}"] [data-confirm-answer]').count() == 0
    page.wait_for_selector("[data-adaptive-done]")
    page.click("[data-submit]")
    page.wait_for_selector("[data-confirm][open]")
    page.click("[data-confirm-yes]")
    page.wait_for_selector('#exam-app[data-finished="submitted"]')
    with app.app_context():
        result = session.scalar(select(Result).where(Result.candidate_id == candidate_id))
        assert result is not None and result.theta is not None and 0 < result.theta_se < 1
        assert len(result.items) == RULES["max_items"]


def new_adaptive_exam(page, title: str, label: str, fields: dict[str, str], choices: dict[str, str]) -> int:
    """Fill the admin's new-exam form (an adaptive one: `label` is on the form), submit; the exam's id."""
    page.goto("/admin/exams")
    form = page.locator("#new-exam")
    form.locator('[name="title"]').fill(title)
    form.locator('[name="subject"]').select_option("math")
    form.locator('[name="grade"]').fill("12")
    form.locator('[name="opens_at"]').fill("2096-06-11T07:30")
    form.locator('[name="closes_at"]').fill("2096-06-11T11:30")
    form.locator('[name="duration_minutes"]').fill("60")
    assert label in form.inner_text()
    form.locator('[name="adaptive"]').check()
    for name, value in choices.items():          # first: a choice may show the fields that go with it
        form.locator(f'[name="{name}"]').select_option(value)
    for name, value in fields.items():
        form.locator(f'[name="{name}"]').fill(value)
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/admin/exams/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_admin_makes_an_exam_adaptive_on_its_form(chromium, live_server, log_in_page, client, token_for):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = log_in_page(context, "admin")
        exam_id = new_adaptive_exam(page, "Kiểm tra thích ứng Toán 12", "Bài thi thích ứng", {
            "adaptive_max_items": "12", "adaptive_min_items": "3", "adaptive_se_target": "0.25"}, {})
        body = client.get(f"/api/v1/exams/{exam_id}", headers=token_for("admin")).get_json()
        assert body["adaptive"] == {"max_items": 12, "min_items": 3, "se_target": 0.25, "randomesque_n": 5}
        assert page.locator('[name="adaptive"]').is_checked()          # the settings form shows it
        assert page.locator('[name="adaptive_max_items"]').input_value() == "12"
    finally:
        context.close()
