"""An exam's results page and the candidates' look-up (issue 10), in a real headless Chromium.

The admin opens the results of the scored exam (tests/server/test_results.py: parts I, I, II, III
and an essay, 2 points each): the per-part breakdown is on screen, the results are not released,
and a candidate's look-up finds nothing. The admin releases them with the page's button; the page
says so after its reload; the CSV and XLSX exports download with the department's columns; then
the candidate, not logged in, types their candidate number, citizen ID and date of birth on the
look-up page and sees their result. Expected values are the hand-computed ones of
tests/server/test_results_exports.py."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.server.test_result_lookup import AN, NO_MATCH
from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the exam fixture)
from tests.server.test_results_exports import HEADER, ROWS
from tests.server.test_results_pages import scored  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _look_up(page) -> None:
    page.goto("/results/lookup")
    page.fill('input[name="candidate_number"]', AN["candidate_number"])
    page.fill('input[name="citizen_id"]', AN["citizen_id"])
    page.fill('input[name="date_of_birth"]', AN["date_of_birth"])
    page.click('[data-lookup-form] button[type="submit"]')


def test_release_export_and_look_up_in_the_browser(chromium, live_server, log_in_page, scored):  # noqa: F811
    staff = chromium.new_context(base_url=live_server, locale="vi-VN", accept_downloads=True)
    candidate = chromium.new_context(base_url=live_server, locale="vi-VN")
    for context in (staff, candidate):
        context.set_default_timeout(10_000)
    try:
        page = log_in_page(staff, "admin")
        page.goto(f"/results/exams/{scored['id']}")
        assert page.get_attribute("[data-release-state]", "data-release-state") == "hidden"
        first = page.locator(f'tr[data-candidate-number="{ROWS[0][0]}"]')
        assert first.locator('[data-part="I"]').inner_text() == "4,00"       # 2 + 2, decimal comma
        assert first.locator('[data-part="III"]').inner_text() == "2,00"
        assert "Đang chờ chấm" in first.inner_text()                       # the essay, awaiting marking

        lookup = candidate.new_page()
        _look_up(lookup)
        assert NO_MATCH in lookup.inner_text("[data-lookup-error]")          # not released yet

        with page.expect_navigation():                                      # the page reloads once released
            page.click('[data-release="true"]')
        page.wait_for_selector('[data-release-state="released"]')
        assert "Đã công bố cho thí sinh" in page.inner_text("#results-tools")

        with page.expect_download() as got:
            page.click('[data-export="csv"]')
        text = got.value.path().read_text(encoding="utf-8-sig")
        assert list(csv.reader(io.StringIO(text))) == [HEADER, *ROWS]
        with page.expect_download() as got:
            page.click('[data-export="xlsx"]')
        sheet = openpyxl.load_workbook(io.BytesIO(got.value.path().read_bytes())).worksheets[0]
        assert [cell.value for cell in sheet[1]] == HEADER

        _look_up(lookup)
        shown = lookup.locator("[data-lookup-result]")
        shown.wait_for()
        assert "Nguyễn Văn An" in shown.inner_text() and "8,00" in shown.inner_text()
        assert "Trần Thị Bình" not in lookup.content()
    finally:
        staff.close()
        candidate.close()
