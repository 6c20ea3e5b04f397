"""The proctor's room shows its clock and the exam window in the site's time zone (EXAM_TIME_ZONE,
Asia/Ho_Chi_Minh by default), whatever the computer's zone: here a browser set to UTC, as a
school PC often is (issue 10). Expected times are computed here with zoneinfo from the exam's
stored UTC window."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_browser_in_utc_shows_the_room_in_vietnam_time(chromium, live_socketio_server, log_in_page, demo_exam, app):
    from exam_server.core.db import session
    from exam_server.exams.models import Exam

    with app.app_context():
        exam = session.get(Exam, demo_exam["exam_id"])
        opens = exam.opens_at if exam.opens_at.tzinfo else exam.opens_at.replace(tzinfo=UTC)
    context = chromium.new_context(base_url=live_socketio_server, locale="vi-VN", timezone_id="UTC")
    context.set_default_timeout(10_000)
    try:
        page = log_in_page(context, "proctor1")
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
        page.goto(f"/proctor/exams/{demo_exam['exam_id']}/rooms/{demo_exam['room_id']}")
        page.wait_for_selector('#proctor-app[data-joined="true"]')
        window = page.inner_text("[data-window]")
        local = opens.astimezone(VIETNAM)
        assert local.strftime("%H:%M") in window and local.strftime("%d/%m/%Y") in window, window
        assert opens.astimezone(UTC).strftime("%H:%M") not in window, window
        page.wait_for_function("document.querySelector('[data-clock]').textContent.length >= 8")
        clock_hour = int(page.inner_text("[data-clock]")[:2])
        now = datetime.now(UTC)
        assert clock_hour in {now.astimezone(VIETNAM).hour, (now.astimezone(VIETNAM).hour - 1) % 24}
        assert clock_hour != now.hour                       # not the computer's UTC
        page.goto("/proctor")                               # the list of exams, server-rendered
        assert local.strftime("%d/%m/%Y %H:%M") in page.inner_text("main")
    finally:
        context.close()
