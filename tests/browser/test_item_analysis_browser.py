"""Item analysis in a real headless Chromium: a teacher opens an exam's results, follows the link
to its item analysis, reads each item's statistics with the flags in Vietnamese, calibrates the
items (the IRT parameters appear), then opens an item's bank page and finds the same item's
statistics there, with its flags and calibration."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

# the scored exam of the server tests: question 0 (key A) answered A, A, B
from tests.server.test_analysis_pages import analysed  # noqa: F401
from tests.server.test_results import exam  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.browser


def test_item_analysis_pages(chromium, live_server, log_in_page, analysed):  # noqa: F811
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = log_in_page(context, "teacher1")
        page.goto(f"/results/exams/{analysed['id']}")
        page.click("[data-item-analysis]")
        page.wait_for_url(f"**/results/exams/{analysed['id']}/item-analysis")
        expect(page.locator("h1")).to_contain_text("Phân tích câu hỏi")
        rows = page.locator("#item-stats > tbody > tr")
        expect(rows).to_have_count(5)
        first = rows.first
        expect(first.locator("[data-p]")).to_have_text("0.67")
        flag = first.locator('[data-flag="nonfunctioning_distractor"]').first
        expect(flag).to_contain_text("phương án nhiễu không hiệu quả")
        expect(first.locator('[data-option="A"]')).to_contain_text("67%")
        expect(page.locator("#form-stats [data-form='101']")).to_be_visible()
        page.select_option("#irt-model", "1pl")
        page.click("[data-calibrate]")
        expect(page.locator(".flash.info").first).to_contain_text("Đã ước lượng tham số")
        expect(first.locator("[data-irt]")).to_contain_text("1pl: a")
        page.screenshot(path="/tmp/item-analysis.png", full_page=True)
        first.locator("td a").first.click()
        section = page.locator("#item-statistics")
        expect(section).to_contain_text("Thống kê từ các kỳ thi")
        expect(section.locator(f'[data-exam="{analysed["id"]}"] [data-p]')).to_have_text("0.67")
        expect(section.locator('[data-flag="nonfunctioning_distractor"]').first).to_be_visible()
        expect(section).to_contain_text("1pl: a")
        page.screenshot(path="/tmp/item-bank-statistics.png", full_page=True)
    finally:
        context.close()
