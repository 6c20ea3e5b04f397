"""In the browser: an import shows its job's progress to the end; a reviewer ticks items in the
review queue and approves them with one comment, and sees which were done."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_bank_browser import BAD_CSV, GOOD_CSV, session_for  # noqa: F401 - fixture
from tests.server.factories import item_payload


def test_import_follows_its_job(session_for, tmp_path):  # noqa: F811
    page = session_for("teacher1")
    page.goto("/bank/import")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    job = page.locator("#import-job")
    bad = tmp_path / "loi.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    page.set_input_files("#sheet-file", str(bad))
    page.click('#import-sheet button[type="submit"]')
    expect(job).to_have_attribute("data-job-state", "failed")
    expect(job).to_contain_text("Không thực hiện được")
    expect(page.locator('#import-report [data-count="imported"] strong')).to_have_text("0")
    good = tmp_path / "tot.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    page.set_input_files("#sheet-file", str(good))
    page.click('#import-sheet button[type="submit"]')
    expect(job).to_have_attribute("data-job-state", "succeeded")
    expect(job).to_contain_text("Đã xong")
    expect(job.locator("progress")).to_have_attribute("value", "1")
    expect(page.locator('#import-report [data-count="imported"] strong')).to_have_text("2")


def test_bulk_review_in_the_queue(session_for, client, token_for):  # noqa: F811
    author = token_for("teacher1")
    identifiers = []
    for n in range(3):
        payload = item_payload("single_choice")
        made = client.post("/api/v1/items", json=payload, headers=author).get_json()
        assert client.post(f"/api/v1/items/{made['identifier']}/submit", headers=author).status_code == 200
        identifiers.append(made["identifier"])
    page = session_for("teacher2")
    page.goto("/bank/review")
    expect(page.locator(".review-card")).to_have_count(3)
    # Nothing ticked: told to choose; request changes without a comment: told to write one.
    page.click('button[data-bulk="approve"]')
    expect(page.locator("[data-bulk-result]")).to_contain_text("Hãy chọn")
    for identifier in identifiers[:2]:
        page.check(f'.review-card[data-identifier="{identifier}"] input[data-select]')
    page.click('button[data-bulk="request_changes"]')
    expect(page.locator("[data-bulk-result]")).to_have_class(re.compile(r"\berror\b"))
    page.fill("#bulk-comment", "Đạt yêu cầu")
    page.click('button[data-bulk="approve"]')
    expect(page.locator("[data-bulk-done]")).to_have_attribute("data-bulk-done", "2")
    for identifier in identifiers[:2]:
        card = page.locator(f'.review-card[data-identifier="{identifier}"]')
        expect(card).to_have_class(re.compile(r"\bdone\b"))
        expect(card.locator("input[data-select]")).to_be_disabled()
    reviewer = token_for("teacher2")
    statuses = [client.get(f"/api/v1/items/{i}", headers=reviewer).get_json()["status"] for i in identifiers]
    assert statuses == ["approved", "approved", "in_review"]
    events = client.get(f"/api/v1/items/{identifiers[0]}/events", headers=reviewer).get_json()["events"]
    assert events[-1]["comment"] == "Đạt yêu cầu"
