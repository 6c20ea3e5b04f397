"""Item analysis through the Flask test client on SQLite and PostgreSQL: an exam's item-analysis
page (statistics and flags), its exports, IRT calibration stored per item version with its
provenance, the bank item page's statistics section, and who may see them."""
from __future__ import annotations

import csv
import io
from html import unescape

import openpyxl
import pytest

from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the exam fixture)


@pytest.fixture
def analysed(app, exam):  # noqa: F811
    # question 0 (single choice, key A): A, A, B -> p = 2/3; options C and D never chosen
    answer(app, exam, 0, all_right())
    answer(app, exam, 1, {0: "A"})
    answer(app, exam, 2, {0: "B", 1: "A"})
    return exam


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def test_exam_item_analysis_page_shows_statistics_and_flags(login, analysed):
    client = login("teacher1")
    results = page(client, f"/results/exams/{analysed['id']}")
    assert f"/results/exams/{analysed['id']}/item-analysis" in results          # linked from the results page
    html = page(client, f"/results/exams/{analysed['id']}/item-analysis?lang=en")
    assert 'data-flag="nonfunctioning_distractor"' in html
    assert "Option C is chosen by 0% (under 5%): non-functioning distractor" in html
    assert "0.67" in html and "Fewer than 30 candidates" in html
    vi = page(client, f"/results/exams/{analysed['id']}/item-analysis")
    assert "Phân tích câu hỏi" in vi and "Phương án C" in vi                     # Vietnamese first


def test_exports(login, analysed):
    client = login("admin")
    response = client.get(f"/results/exams/{analysed['id']}/item-analysis.csv?lang=en")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert response.status_code == 200 and len(rows) == 5
    first = rows[0]
    assert float(first["p"]) == pytest.approx(2 / 3) and first["n"] == "3"
    assert "non-functioning" in first["flags"]
    response = client.get(f"/results/exams/{analysed['id']}/item-analysis.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book["items"].max_row == 6 and book["forms"]["A2"].value == "101"


def test_calibration_is_stored_with_its_provenance(app, login, analysed):
    from sqlalchemy import select

    from exam_server.analysis.models import ItemCalibration
    from exam_server.core.db import session

    client = login("teacher1")
    response = client.post(f"/results/exams/{analysed['id']}/item-analysis/calibrate", data={"model": "1pl"})
    assert response.status_code == 302
    with app.app_context():
        rows = session.scalars(select(ItemCalibration).order_by(ItemCalibration.id)).all()
        assert rows and {r.exam_id for r in rows} == {analysed["id"]} and {r.model for r in rows} == {"1pl"}
        assert all(r.n_candidates >= 2 and r.calibrated_at is not None for r in rows)
        assert {"a", "b", "se_b"} <= set(rows[0].parameters)
    html = page(client, f"/results/exams/{analysed['id']}/item-analysis")
    assert "data-irt" in html and "1pl: a" in html
    # the form on the common scale: 4 of its 5 items calibrated (the essay's marks are all 0)
    assert 'id="form-equating"' in html and "4 / 5" in html
    refused = client.post(f"/results/exams/{analysed['id']}/item-analysis/calibrate", data={"model": "9pl"})
    assert refused.status_code == 422


def test_bank_item_page_shows_the_item_in_each_exam(app, login, analysed):
    from exam_server.bank.models import ItemVersion
    from exam_server.core.db import session

    with app.app_context():
        identifier = session.get(ItemVersion, analysed["versions"][0]).item.identifier
    client = login("teacher1")
    html = page(client, f"/bank/items/{identifier}?lang=en")
    assert 'id="item-statistics"' in html and f'data-exam="{analysed["id"]}"' in html
    assert "non-functioning distractor" in html


@pytest.mark.parametrize("username", ["proctor1", "student1"])
def test_other_roles_are_refused(login, analysed, username):
    client = login(username)
    for suffix in ("", ".csv", ".xlsx"):
        assert client.get(f"/results/exams/{analysed['id']}/item-analysis{suffix}").status_code == 403
    assert client.post(f"/results/exams/{analysed['id']}/item-analysis/calibrate").status_code == 403
