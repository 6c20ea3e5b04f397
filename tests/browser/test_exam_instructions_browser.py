"""The exam page before the room starts (issue 10), in a real headless Chromium: the candidate
sees an instructions screen with their name, candidate number, the chip portrait of their check-in
and the rules (their time
allowed, how answers are saved), not an empty exam; no serious or critical axe-core violation."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.browser.a11y import violations

pytestmark = pytest.mark.browser
EXTRA_MINUTES = 15
PORTRAIT = Path(__file__).parent.parent / "fixtures" / "faces" / "obama_2009.jpg"


@pytest.fixture
def unstarted_exam(demo_exam_factory):
    """The demo exam (50 minutes), its room not started; the first candidate has 15 minutes more."""
    from exam_server.exams import services as exams

    def prepare(exam):
        from exam_server.checkin.models import CheckIn, PhotoRecord
        from exam_server.core.db import session

        first = exams.list_candidates(exam)[0]
        first.extra_time_minutes = EXTRA_MINUTES
        checkin = CheckIn(exam_id=exam.id, candidate_id=first.id, method="chip", outcome="verified", verified=True)
        session.add(checkin)
        session.flush()
        data = PORTRAIT.read_bytes()
        session.add(PhotoRecord(checkin_id=checkin.id, kind="chip", mime_type="image/jpeg", size=len(data),
                                data=data, delete_after=datetime.now(UTC) + timedelta(days=30)))

    return demo_exam_factory(prepare, candidates=1)


def test_instructions_before_the_room_starts(live_contexts, unstarted_exam, client, token_for):
    (c1,) = unstarted_exam["candidates"]
    token = client.post(f"/api/v1/exams/{unstarted_exam['exam_id']}/candidates/{c1['id']}/session-token",
                        json={"reason": "Đầu đọc thẻ hỏng"}, headers=token_for("proctor1")).get_json()["token"]
    page = live_contexts.new().new_page()
    page.goto(f"/exam#token={token}")
    page.wait_for_selector('#exam-app[data-state="waiting"]')
    assert page.get_attribute("#exam-app", "data-waiting") == "true"
    assert page.inner_text("[data-waiting-name]") == c1["name"]
    assert page.inner_text("[data-waiting-number]") == c1["number"]
    assert page.inner_text("[data-duration]") == str(50 + EXTRA_MINUTES)   # the demo's 50 minutes + 15
    text = page.inner_text('[data-view="waiting"]')
    assert "Trước giờ thi" in text and "Quy định" in text
    assert "Thời gian làm bài: 65 phút" in text
    assert "được lưu lên máy chủ ngay khi" in text          # how answers are saved
    assert "khi cán bộ coi thi mở phòng thi" in page.inner_text("[data-waiting-text]")
    # No paper before the start: neither the exam view nor any question is shown.
    assert page.is_hidden('[data-view="exam"]')
    assert page.locator("section[data-question]").count() == 0
    # The chip portrait of the check-in, fetched with the session token, really decoded.
    portrait = page.locator("[data-waiting-portrait]")
    portrait.wait_for(state="visible")
    assert page.evaluate("(() => { const i = document.querySelector('[data-waiting-portrait]'); "
                         "return i.complete && i.naturalWidth > 0; })()")
    assert portrait.get_attribute("src").startswith("blob:")
    assert violations(page) == []
