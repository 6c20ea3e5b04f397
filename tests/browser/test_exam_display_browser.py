"""The exam page's display settings (issue 10), in a real headless Chromium: the candidate turns
on the high-contrast theme and the largest text size on the exam page, reloads, and finds both
still applied (localStorage); axe-core finds no serious or critical violation in high contrast."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.a11y import violations

pytestmark = pytest.mark.browser


@pytest.fixture
def started_exam(demo_exam_factory, users):
    from exam_server.exams import services as exams
    from exam_server.live.models import RoomSession

    def prepare(exam):
        from exam_server.core.db import session

        room = exams.list_rooms(exam)[0]
        session.add(RoomSession(exam_id=exam.id, room_id=room.id, started_at=datetime.now(UTC),
                                started_by_id=users["proctor1"]))

    return demo_exam_factory(prepare, candidates=1)


def _body_font_px(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def test_contrast_and_text_size_survive_a_reload(live_contexts, started_exam, client, token_for):
    (c1,) = started_exam["candidates"]
    token = client.post(f"/api/v1/exams/{started_exam['exam_id']}/candidates/{c1['id']}/session-token",
                        json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1")).get_json()["token"]
    page = live_contexts.new().new_page()
    page.goto(f"/exam#token={token}")
    page.wait_for_selector('#exam-app[data-state="exam"]')
    # The defaults: the site's theme, 15px text (app.css), the toggle not pressed.
    assert page.get_attribute("html", "data-theme") is None
    assert _body_font_px(page) == 15
    assert page.get_attribute("[data-contrast]", "aria-pressed") == "false"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"   # the default page background is grey (--bg)
    # The controls are one small row: the text size beside its label (it took a full-width line).
    label, select = (page.locator(f"[data-display-controls] {x}").bounding_box() for x in ("label", "select"))
    assert select["width"] < 200 and abs((select["y"] + select["height"] / 2) - (label["y"] + label["height"] / 2)) < 8

    page.click("[data-contrast]")
    page.select_option("[data-text-size]", "larger")
    assert page.get_attribute("html", "data-theme") == "high-contrast"
    assert _body_font_px(page) == 22.5          # 15px x 1.5

    page.reload()
    page.wait_for_selector('#exam-app[data-state="exam"]')
    assert page.get_attribute("html", "data-theme") == "high-contrast"
    assert page.get_attribute("html", "data-font-size") == "larger"
    assert page.get_attribute("[data-contrast]", "aria-pressed") == "true"
    assert page.input_value("[data-text-size]") == "larger"
    assert _body_font_px(page) == 22.5
    # The theme really applies: black text on white (the variables of the high-contrast theme).
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    heading = page.evaluate("parseFloat(getComputedStyle(document.querySelector('[data-exam-title]')).fontSize)")
    assert heading == pytest.approx(1.2 * 16 * 1.5)  # 1.2rem of a root at 150%
    assert violations(page) == []

    # Back to the defaults, and that too is kept.
    page.click("[data-contrast]")
    page.select_option("[data-text-size]", "normal")
    page.reload()
    page.wait_for_selector('#exam-app[data-state="exam"]')
    assert page.get_attribute("html", "data-theme") is None
    assert _body_font_px(page) == 15
