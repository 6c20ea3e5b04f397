"""The admin's exam pages in a real headless Chromium against a real server (PostgreSQL).

An admin opens "Kỳ thi" from the nav, creates an exam with the "new exam" form, adds room P01 with
proctor1 (a second P01 is refused with the API's message on the page), sets the room's proctors
by username, edits the settings (a refusal shows the API's message), uploads a roster CSV with a
bad date (the per-row report is shown, nothing is imported), then the good roster (the candidates
appear), sets the blueprint, assembles one form from an approved bank and publishes: the status
badge and the lifecycle buttons follow, and the draft's checklist ("before it can be published")
ticks each step as it is done, without a reload. Last, a kiosk of P01 is enrolled from its .pem file and
revoked. Every action goes through the JSON APIs from
static/js/admin-exams.js.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.server.test_exam_pages import public_pem
from tests.server.test_exams import BLUEPRINT, ROWS, csv_bytes
from tests.server.test_exams_assembly import seed_bank

pytestmark = pytest.mark.browser


def steps(page) -> dict[str, str]:
    """The draft's checklist as shown: step -> "true" (done) or "false"."""
    return {li.get_attribute("data-step"): li.get_attribute("data-done")
            for li in page.locator("[data-checklist] [data-step]").all()}


def test_admin_creates_fills_and_publishes_an_exam(chromium, live_server, log_in_page, client, token_for):
    started = time.monotonic()
    seed_bank(client, token_for)            # approved items the assembler can pick
    # A browser in another zone (New York): the form's times are the site's (TIME_ZONE, Vietnam,
    # +07:00), named next to each label; the API stores UTC.
    context = chromium.new_context(base_url=live_server, viewport={"width": 1400, "height": 1000}, locale="vi-VN",
                                   timezone_id="America/New_York")
    context.set_default_timeout(10_000)
    try:
        page = log_in_page(context, "admin")
        page.goto("/admin/exams")
        page.click('nav.mainnav a:has-text("Kỳ thi")')
        page.wait_for_selector("text=Chưa có kỳ thi nào.")

        # A new exam.
        form = page.locator("#new-exam")
        form.locator('[name="title"]').fill("Kiểm tra giữa kỳ Toán 12")
        form.locator('[name="subject"]').select_option("math")
        form.locator('[name="grade"]').fill("12")
        assert form.locator('label[for="f-opens"] [data-zone-label]').inner_text() == "(giờ Việt Nam)"
        assert form.locator('label[for="f-closes"] [data-zone-label]').inner_text() == "(giờ Việt Nam)"
        form.locator('[name="opens_at"]').fill("2096-06-11T07:30")
        form.locator('[name="closes_at"]').fill("2096-06-11T11:30")
        form.locator('[name="duration_minutes"]').fill("90")
        form.locator('[name="delivery_mode"]').select_option("all_on_page")
        form.locator('button[type="submit"]').click()
        page.wait_for_url(re.compile(r"/admin/exams/\d+$"))
        exam_id = int(page.url.rsplit("/", 1)[1])
        assert page.locator("h1").inner_text() == "Kiểm tra giữa kỳ Toán 12"
        assert page.locator("[data-exam-status]").get_attribute("data-exam-status") == "draft"
        assert page.locator("[data-transition]").count() == 0
        # A draft says what it still needs before it can be published; each step is ticked as it is done.
        assert "Trước khi có thể công bố" in page.inner_text("[data-section=head]")
        assert steps(page) == {"window": "true", "rooms": "false", "proctors": "false", "roster": "false",
                               "seating": "false", "blueprint": "false", "forms": "false"}

        # A room with proctor1; the same name again is refused with the API's message.
        room = page.locator('[data-form="room"]')
        room.locator('[name="name"]').fill("P01")
        room.locator('[name="proctors"]').fill("proctor1")
        room.locator('button[type="submit"]').click()
        page.wait_for_selector('tr[data-room-name="P01"] [data-proctors]:has-text("proctor1")')
        page.wait_for_selector('[data-step="rooms"][data-done="true"]')
        assert steps(page)["proctors"] == "true"
        room = page.locator('[data-form="room"]')
        room.locator('[name="name"]').fill("P01")
        room.locator('button[type="submit"]').click()
        page.wait_for_selector("[data-form=\"room\"] [data-status]:has-text(\"already has a room 'P01'\")")
        assert "Bị từ chối" in room.locator("[data-status]").inner_text()

        # The room's proctors by username: an unknown name is caught on the page; none is allowed.
        proctors = page.locator('[data-form="proctors"]')
        proctors.locator('[name="proctors"]').fill("proctor1, nobody")
        proctors.locator('button[type="submit"]').click()
        assert "nobody" in proctors.locator("[data-status]").inner_text()
        proctors.locator('[name="proctors"]').fill("")
        proctors.locator('button[type="submit"]').click()
        page.wait_for_selector('tr[data-room-name="P01"] [data-proctors]:has-text("Chưa có")')
        page.wait_for_selector('[data-step="proctors"][data-done="false"]')          # a room without a proctor
        proctors = page.locator('[data-form="proctors"]')
        proctors.locator('[name="proctors"]').fill("proctor1")
        proctors.locator('button[type="submit"]').click()
        page.wait_for_selector('tr[data-room-name="P01"] [data-proctors]:has-text("proctor1")')

        # Settings: a duration longer than the window is refused with the API's message; 60 is saved.
        settings = page.locator('[data-form="settings"]')
        assert settings.locator('[name="opens_at"]').input_value() == "2096-06-11T07:30"   # back in the site's time
        settings.locator('[name="duration_minutes"]').fill("300")
        settings.locator('button[type="submit"]').click()
        page.wait_for_selector('[data-form="settings"] [data-status]:has-text("longer than the window")')
        settings.locator('[name="duration_minutes"]').fill("60")
        settings.locator('button[type="submit"]').click()
        page.wait_for_selector('[data-form="settings"] [data-status]:has-text("Xong.")')
        assert page.locator('[data-form="settings"] [name="duration_minutes"]').input_value() == "60"

        # A roster with a bad date: the row report, nothing imported.
        bad = [ROWS[0], ["010002", "Trần Thị Bình", "31/02/2008", "001308000002", "THPT Chu Văn An", "12A1", "P01", ""]]
        roster = page.locator('[data-form="roster"]')
        roster.locator('[name="file"]').set_input_files(
            {"name": "danh-sach.csv", "mimeType": "text/csv", "buffer": csv_bytes(bad)})
        roster.locator('button[type="submit"]').click()
        error = page.locator("[data-row-error]").first
        error.wait_for()
        assert "date_of_birth" in error.inner_text() and error.inner_text().startswith("Dòng ")
        assert page.locator("tr[data-candidate]").count() == 0

        # The good roster: the candidates appear.
        roster.locator('[name="file"]').set_input_files(
            {"name": "danh-sach.csv", "mimeType": "text/csv", "buffer": csv_bytes(ROWS)})
        roster.locator('button[type="submit"]').click()
        page.wait_for_selector('tr[data-candidate="010003"]')
        assert page.locator("tr[data-candidate]").count() == 3
        assert "Đã nhập 3 thí sinh." in page.locator('[data-form="roster"] [data-status]').inner_text()
        first = page.locator('tr[data-candidate="010001"]').inner_text()
        assert "Nguyễn Văn An" in first and "05/03/2008" in first and "P01" in first and "12A1" in first
        assert steps(page)["roster"] == "true" and steps(page)["proctors"] == "true"

        # Blueprint, assembly, publish.
        page.locator("#blueprint-json").fill(json.dumps(BLUEPRINT, ensure_ascii=False))
        page.locator('[data-form="blueprint"] button[type="submit"]').click()
        page.wait_for_selector('[data-form="blueprint"] [data-status]:has-text("Xong.")')
        assert steps(page)["blueprint"] == "true" and steps(page)["forms"] == "false"
        page.locator('[data-form="assemble"] button[type="submit"]').click()
        page.wait_for_selector('[data-exam-status="assembled"]')
        assert page.locator("tr[data-form-code]").count() == 1
        assert sorted(b.get_attribute("data-transition") for b in page.locator("[data-transition]").all()) == \
            ["publish", "reopen"]
        page.locator('[data-transition="publish"]').click()
        page.wait_for_selector('[data-exam-status="published"]')
        assert sorted(b.get_attribute("data-transition") for b in page.locator("[data-transition]").all()) == \
            ["close", "unpublish"]
        assert page.locator('[data-form="roster"]').count() == 0       # the roster is fixed now

        # A kiosk of room P01 from its .pem file, then revoked (after the confirmation).
        kiosk = page.locator('[data-form="kiosk"]')
        kiosk.locator('[name="name"]').fill("K01")
        kiosk.locator("[data-key-file]").set_input_files(
            {"name": "k01.pem", "mimeType": "application/x-pem-file", "buffer": public_pem().encode()})
        page.wait_for_function("document.querySelector('[data-form=\"kiosk\"] textarea').value.includes('BEGIN')")
        kiosk.locator('button[type="submit"]').click()
        page.wait_for_selector('[data-kiosk-state="enrolled"]')
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("[data-revoke]").click()
        page.wait_for_selector('[data-kiosk-state="revoked"]')
        assert page.locator("[data-revoke]").count() == 0
    finally:
        context.close()

    exam = client.get(f"/api/v1/exams/{exam_id}", headers=token_for("admin")).get_json()
    assert exam["status"] == "published" and exam["delivery_mode"] == "all_on_page"
    assert exam["opens_at"] == "2096-06-11T00:30:00+00:00" and exam["duration_minutes"] == 60
    assert time.monotonic() - started < 30
