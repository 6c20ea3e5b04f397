"""The dashboard in Chromium: a seeded exam over several schools shows its indicators (cards,
charts with their data tables, the units' table), a filter changes them, drilling down follows the
tree, and a live exam's participation moves without a reload (Socket.IO /dashboard)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tests.server.indicator_factories import bare_exam, load_units
from tests.server.test_indicators_engine import _send


def _card(page, code):
    return page.locator(f'[data-indicator="{code}"] .dash-value')


def test_dashboard_shows_filters_drills_and_updates_live(app, live_contexts, log_in_page):
    from exam_server.core.db import session

    with app.app_context():
        load_units()
        math_id, math = bare_exam([("S1", "12A")] * 6 + [("S2", "")] * 4, subject="math")
        _send(math_id, math, [("move", i, "submitted") for i in range(5)]
              + [("score", i, Decimal(s)) for i, s in enumerate(["9", "8.5", "7", "4", "6"])])
        physics_id, physics = bare_exam([("S3", "")] * 6, subject="physics", grade=11,
                                        opens_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
        _send(physics_id, physics, [("move", i, "submitted") for i in range(6)]
              + [("score", i, Decimal(5)) for i in range(6)])
        session.commit()

    page = log_in_page(live_contexts.new(), "admin")
    page.goto("/dashboard")
    page.wait_for_selector("body[data-dashboard-ready]")
    page.evaluate("window.__sameDocument = true")
    # All exams: 16 registered, 11 started -> 68.75 % (written the Vietnamese way).
    assert _card(page, "registered").inner_text() == "16"
    assert _card(page, "participation_rate").inner_text() == "68,75 %"
    assert page.evaluate("typeof window.Chart") == "function"
    bands = page.locator("#table-bands tbody tr")
    assert bands.count() == 4
    # The units' table: the province P1 (the only root), 16 registered.
    page.select_option("#f-indicator", "registered")
    page.wait_for_function("document.querySelector('#table-units tbody th button')?.textContent === 'Tỉnh Một'")

    # Filter: math only -> 5 of 10 started, mean of 9, 8.5, 7, 4, 6 = 6.9.
    page.select_option("#f-subject", "math")
    page.wait_for_function("document.querySelector('[data-indicator=participation_rate] .dash-value')"
                           "?.textContent === '50 %'")
    assert _card(page, "score_mean").inner_text() == "6,9"
    assert page.locator("#table-distribution tbody tr").count() == 5

    # Drill down: Tỉnh Một -> its communes.
    page.click("#table-units tbody th button")
    page.wait_for_function("[...document.querySelectorAll('#table-units tbody th')].map(t => t.textContent)"
                           ".join('|') === 'Xã Một|Phường Hai'")
    assert page.locator("#dash-crumbs [aria-current]").inner_text() == "Tỉnh Một"

    # Live: three more math candidates start; the page follows without a reload.
    page.wait_for_selector('#dash-live[data-state="on"]')
    with app.app_context():
        _send(math_id, math, [("move", i, "in_progress") for i in (5, 6, 7)])
        session.commit()
    page.wait_for_function("document.querySelector('[data-indicator=participation_rate] .dash-value')"
                           "?.textContent === '80 %'")
    assert _card(page, "in_progress").inner_text() == "3"
    assert page.evaluate("window.__sameDocument") is True


def test_wall_mode_rotates_and_is_for_officials_too(app, live_contexts, log_in_page, users):
    from exam_server.core.db import session
    from exam_server.indicators.units import set_scope

    with app.app_context():
        load_units()
        set_scope(users["official1"], ["C1"])
        exam_id, c = bare_exam([("S2", "")] * 5 + [("S1", "12A")] * 5)
        _send(exam_id, c, [("move", i, "submitted") for i in range(10)])
        session.commit()
    page = log_in_page(live_contexts.new(), "official1")
    assert page.url.endswith("/dashboard")
    page.goto("/dashboard/wall?rotate=1")
    page.wait_for_function("document.querySelector('[data-indicator=registered] .dash-value')?.textContent === '5'")
    page.wait_for_selector('.wall-panel[data-panel="results"]:not([hidden])')


def test_school_group_and_term_filters_and_the_quality_table(app, live_contexts, log_in_page):
    from exam_server.core.db import session

    with app.app_context():
        load_units()
        # 12A of S1 (urban): six scores, mean (2 + 4 + 5 + 7 + 8 + 10) / 6 = 6.0; Vùng Cao (remote): five 10s.
        exam_id, c = bare_exam([("S1", "12A")] * 6 + [("S2", "")] * 5, subject="math")
        _send(exam_id, c, [("score", i, Decimal(s)) for i, s in enumerate(["2", "4", "5", "7", "8", "10"])]
              + [("score", 6 + i, Decimal(10)) for i in range(5)])
        session.commit()

    page = log_in_page(live_contexts.new(), "admin")
    page.goto("/dashboard")
    page.wait_for_selector("body[data-dashboard-ready]")
    assert page.locator("#f-term option[value='2026-2027-HK1']").count() == 1
    page.select_option("#f-group", "remote")
    page.wait_for_function("document.querySelector('[data-indicator=score_mean] .dash-value')?.textContent === '10'")
    page.select_option("#f-group", "urban")
    page.wait_for_function("document.querySelector('[data-indicator=score_mean] .dash-value')?.textContent === '6'")
    page.select_option("#f-term", "2026-2027-HK1")
    page.wait_for_function("document.querySelector('[data-indicator=registered] .dash-value')?.textContent === '6'")
    # No item analysis stored for the exam: the quality table says so, with no number.
    page.wait_for_function("document.querySelector('#table-quality tbody')?.textContent.includes("
                           "'Chưa có phân tích câu hỏi')")
