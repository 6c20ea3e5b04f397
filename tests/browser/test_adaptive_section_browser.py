"""An exam with fixed questions and an adaptive section sat end to end in a real headless Chromium
(docs/protocol.md, "Adaptive exams"): the fixed questions come first and are answered as in any
exam (autosaved, still changeable after the section), then the section's questions one at a
time, each confirmed and then locked, the next one arriving in the answer's ack; the result has
the section's θ and SE and the score the rule gives (tests/server/test_adaptive_section.py)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import select

from tests.browser.test_adaptive_browser import _answer, new_adaptive_exam, open_sitting
from tests.server.test_adaptive_section import (
    FIXED,
    SECTION_POINTS,
    SECTION_RULES,
    TABLE,
    eap,
    most_informative,
    p_right,
    section_exam,
)

pytestmark = pytest.mark.browser


def test_an_adaptive_section_in_the_browser(app, live_contexts, client, token_for, users, admin, exam_ui):
    from exam_server.core.db import session
    from exam_server.results.models import Result

    exam = section_exam(app, client, token_for, users, admin)
    page, candidate_id = open_sitting(app, live_contexts, client, token_for, users, exam)
    assert page.locator("section[data-question]").count() == FIXED + 1
    for number in range(1, FIXED + 1):          # the fixed part: answered, autosaved, no confirm button
        section = page.locator(f'section[data-question="{number}"]')
        section.wait_for(state="visible")
        assert section.locator("[data-confirm-answer]").count() == 0
        _answer(section, right=True)
        exam_ui.wait_saved(page)
        section.locator("[data-next]").click()
    answers = []
    for number in range(FIXED + 1, FIXED + SECTION_RULES["max_items"] + 1):
        if number == FIXED + 2:        # a reload: the fixed answers come back, the section resumes
            page.reload()
            page.wait_for_selector('#exam-app[data-state="exam"]')
            assert page.locator("section[data-question]").count() == FIXED + 2
            page.click(f'[data-nav="{number}"]')
            assert page.locator('[data-nav="1"]').get_attribute("class").split().count("answered") == 1
            assert page.locator(f'section[data-question="{FIXED + 1}"] input').first.is_disabled()
        section = page.locator(f'section[data-question="{number}"]')
        section.wait_for(state="visible")
        n = int(re.search(r"Câu hỏi single_choice số (\d+)", section.inner_text()).group(1))
        assert n == most_informative(answers)
        confirm = section.locator("[data-confirm-answer]")
        assert confirm.is_disabled()
        right = len(answers) != 1
        _answer(section, right=right)
        confirm.click()
        answers.append((n, int(right)))
        if len(answers) < SECTION_RULES["max_items"]:
            page.locator(f'section[data-question="{number + 1}"]').wait_for(state="visible")
            assert page.locator(f'section[data-question="{number}"] [data-confirm-answer]').count() == 0
    page.wait_for_selector("[data-adaptive-done]")
    # the section is over; a fixed question is still open: change the first one and back
    page.click('[data-nav="1"]')
    first = page.locator('section[data-question="1"]')
    first.wait_for(state="visible")
    assert first.locator("input").first.is_enabled()
    assert page.locator(f'section[data-question="{FIXED + 1}"] input').first.is_disabled()
    page.click("[data-submit]")
    page.wait_for_selector("[data-confirm][open]")
    page.click("[data-confirm-yes]")
    page.wait_for_selector('#exam-app[data-finished="submitted"]')
    theta, se = eap(answers)
    score = FIXED * 1.0 + SECTION_POINTS * np.mean([p_right(n, theta) for n in range(len(TABLE))])
    with app.app_context():
        result = session.scalar(select(Result).where(Result.candidate_id == candidate_id))
        assert result.theta == pytest.approx(theta, abs=1e-4) and result.theta_se == pytest.approx(se, abs=1e-4)
        assert float(result.score) == pytest.approx(score, abs=0.005)
        assert len(result.items) == FIXED + SECTION_RULES["max_items"]


def test_admin_sets_an_adaptive_section_and_exposure(chromium, live_server, log_in_page, client, token_for):
    """The exam form: rows as numbered on the blueprint form (from 1), stored 0-based."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = log_in_page(context, "admin")
        exam_id = new_adaptive_exam(page, "Kiểm tra có phần thích ứng", "Phần thi thích ứng", {
            "adaptive_max_items": "8", "adaptive_exposure_rate": "0.3", "adaptive_section": "1, 3"},
            {"adaptive_exposure": "sympson_hetter"})
        body = client.get(f"/api/v1/exams/{exam_id}", headers=token_for("admin")).get_json()
        assert body["adaptive"]["section"] == [0, 2] and body["adaptive"]["exposure"] == "sympson_hetter"
        assert body["adaptive"]["exposure_rate"] == 0.3
        assert page.locator('[name="adaptive_section"]').input_value() == "1, 3"
        assert page.locator('[name="adaptive_exposure"]').input_value() == "sympson_hetter"
    finally:
        context.close()
