"""The blueprint (ma trận đề) as a form (issue 10), in a real headless Chromium at 1366x768.

The admin starts a draft mathematics exam from the 2025 template (12 multiple choice x 0.25,
4 true/false x 1, 6 short answers x 0.5, split across the levels), gives every row a topic from
the bank, sees per cell how many approved items the bank holds and what is missing (counted here
by hand from the seeded bank: 6 single choice, 3 true/false and 3 numeric items, all "Đạo hàm" at
the level Hiểu), saves, and the stored blueprint is the table. JSON stays for import and export:
the JSON box follows the table, and a blueprint pasted there fills the table when saved.
A screenshot of the form goes to docs/blueprint-form.png.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.server.test_exams import make_exam
from tests.server.test_exams_assembly import seed_bank

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"
TOPIC = "Đạo hàm"
# The 2025 mathematics template, written out from the format: (level, type, count, points each)
MATH_2025 = [("biet", "single_choice", 6, 0.25), ("hieu", "single_choice", 4, 0.25),
             ("van_dung", "single_choice", 2, 0.25), ("hieu", "true_false_cluster", 2, 1.0),
             ("van_dung", "true_false_cluster", 2, 1.0), ("van_dung", "numeric", 4, 0.5),
             ("van_dung_cao", "numeric", 2, 0.5)]
# In the seeded bank, per row above: (available, missing)
AVAILABLE = [(0, 6), (6, 0), (0, 2), (3, 0), (0, 2), (0, 4), (0, 2)]


def test_blueprint_form_from_the_2025_template(chromium, live_server, log_in_page, client, token_for):
    seed_bank(client, token_for)
    admin = token_for("admin")
    exam = make_exam(client, admin, subject="math", grade=12)
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 768}, locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = log_in_page(context, "admin")
        page.goto(f"/admin/exams/{exam['id']}")
        form = page.locator("[data-blueprint-form]")
        assert form.locator("[data-bp-row]").count() == 0
        assert form.locator("[data-bp-template-choice]").input_value() == "math"     # the exam's subject
        form.locator("[data-bp-apply-template]").click()
        rows = form.locator("[data-bp-row]")
        assert rows.count() == len(MATH_2025)
        for i, (level, item_type, count, points) in enumerate(MATH_2025):
            row = rows.nth(i)
            assert row.locator('[name="cognitive_level"]').input_value() == level
            assert row.locator('[name="item_type"]').input_value() == item_type
            assert int(row.locator('[name="count"]').input_value()) == count
            assert float(row.locator('[name="points_each"]').input_value()) == points
        assert form.locator("[data-bp-total]").inner_text() == "10"
        assert form.locator("[data-bp-count-total]").inner_text() == "22"
        assert "Trắc nghiệm đúng sai" in rows.nth(3).inner_text() or rows.nth(3).locator(
            '[name="item_type"] option:checked').inner_text()

        # Saving without topics is refused on the page, before any request.
        form.locator('button[type="submit"]').click()
        assert "chủ đề" in form.locator("[data-status]").inner_text()
        for i in range(rows.count()):
            rows.nth(i).locator('[name="topic"]').fill(TOPIC)
        page.wait_for_function(
            "document.querySelector('[data-blueprint-form]').dataset.missing === '16'")
        for i, (available, missing) in enumerate(AVAILABLE):
            cell = rows.nth(i).locator("[data-bp-available]")
            assert (int(cell.get_attribute("data-available")), int(cell.get_attribute("data-missing"))) == \
                (available, missing), i
        assert "Thiếu 16" in form.locator("[data-bp-missing-total]").inner_text()
        # A change of points shows at once in the total.
        rows.nth(0).locator('[name="points_each"]').fill("0.5")
        assert form.locator("[data-bp-total]").inner_text() == "11,5"
        rows.nth(0).locator('[name="points_each"]').fill("0.25")
        assert form.locator("[data-bp-total]").inner_text() == "10"
        page.evaluate("document.querySelector('[data-blueprint-form] h3').scrollIntoView()")
        page.screenshot(path=str(DOCS / "blueprint-form.png"), full_page=False)
        with page.expect_response(lambda r: r.url.endswith(f"/api/v1/exams/{exam['id']}/blueprint")) as saved:
            form.locator('button[type="submit"]').click()
        assert saved.value.status == 200, saved.value.text()
        page.wait_for_selector("[data-blueprint-form] [data-status]:has-text('Xong.')")
        stored = client.get(f"/api/v1/exams/{exam['id']}", headers=admin).get_json()["blueprint"]
        assert [(r["topic"], r["cognitive_level"], r["item_type"], r["count"], r["points_each"])
                for r in stored["rows"]] == [(TOPIC, *row) for row in MATH_2025]
        # Export: the JSON box holds the table.
        assert json.loads(page.locator("#blueprint-json").input_value())["rows"][0]["topic"] == TOPIC

        # Import: a blueprint pasted as JSON and saved fills the table (reloaded from the server).
        imported = {"total_points": 10, "rows": [
            {"topic": TOPIC, "cognitive_level": "hieu", "item_type": "single_choice", "count": 4, "points_each": 1.5},
            {"topic": TOPIC, "cognitive_level": "hieu", "item_type": "true_false_cluster", "count": 2,
             "points_each": 1.0},
            {"topic": TOPIC, "cognitive_level": "hieu", "item_type": "numeric", "count": 2, "points_each": 1.0}]}
        page.locator("#blueprint-json").fill(json.dumps(imported, ensure_ascii=False))
        page.locator('[data-form="blueprint"] button[type="submit"]').click()
        page.wait_for_selector('[data-form="blueprint"] [data-status]:has-text("Xong.")')
        page.wait_for_function("document.querySelectorAll('[data-bp-row]').length === 3")
        cells = page.locator("[data-bp-row] [data-bp-available]")
        assert [int(cells.nth(i).get_attribute("data-missing")) for i in range(3)] == [0, 0, 0]
        assert page.locator("[data-bp-total]").inner_text() == "10"
    finally:
        context.close()
