"""The blueprint form's server side (issue 10): the 2025 templates and the bank's availability per
cell. Totals are written out from the 2025 format, not read from the templates' code."""
from __future__ import annotations

import pytest

from tests.server.test_exams import make_exam
from tests.server.test_exams_assembly import seed_bank

# subject -> (multiple choice, true/false clusters, short answers, essays) and total points, by hand
FORMATS = {"math": (12, 4, 6, 0), "physics": (18, 4, 6, 0), "chemistry": (18, 4, 6, 0), "biology": (18, 4, 6, 0),
           "history": (24, 4, 0, 0), "geography": (24, 4, 0, 0), "civics": (24, 4, 0, 0),
           "informatics": (24, 4, 0, 0), "technology": (24, 4, 0, 0), "english": (40, 0, 0, 0),
           "literature": (0, 0, 0, 7)}


@pytest.mark.parametrize("subject", sorted(FORMATS))
def test_each_2025_template_has_the_formats_parts_and_totals_ten(app, subject):
    from exam_server.exams.blueprint_form import templates_json
    from item_bank.assembly.blueprint import Blueprint

    with app.test_request_context():
        template = next(t for t in templates_json() if t["key"] == subject)
    counts = {}
    for row in template["rows"]:
        counts[row["item_type"]] = counts.get(row["item_type"], 0) + row["count"]
    mc, tf, short, essays = FORMATS[subject]
    assert (counts.get("single_choice", 0), counts.get("true_false_cluster", 0), counts.get("numeric", 0),
            counts.get("extended_text", 0)) == (mc, tf, short, essays)
    Blueprint.from_dict({"total_points": 10, "rows": [{**r, "topic": "Chủ đề"} for r in template["rows"]]})


def test_availability_counts_approved_items_per_cell(client, token_for):
    seed_bank(client, token_for)          # approved, grade 12 math, "Đạo hàm" / hieu: 6 SC, 3 TF, 3 numeric
    admin = token_for("admin")
    exam = make_exam(client, admin, subject="math", grade=12)
    url = f"/api/v1/exams/{exam['id']}/blueprint/availability"
    rows = [{"topic": "Đạo hàm", "cognitive_level": "hieu", "item_type": "single_choice", "count": 4},
            {"topic": " Đạo  hàm ", "cognitive_level": "hieu", "item_type": "single_choice", "count": 4},
            {"topic": "Đạo hàm", "cognitive_level": "biet", "item_type": "single_choice", "count": 2},
            {"topic": "Đạo hàm", "cognitive_level": "hieu", "item_type": "numeric", "count": 3},
            {"topic": "Tích phân", "cognitive_level": "hieu", "item_type": "numeric", "count": 1},
            "not a row"]
    answer = client.post(url, json={"rows": rows}, headers=admin)
    assert answer.status_code == 200, answer.get_json()
    # The two first rows are one cell (the same topic written twice): 8 needed of 6, 2 missing.
    assert [(r["available"], r["needed"], r["missing"]) for r in answer.get_json()["rows"]] == [
        (6, 8, 2), (6, 8, 2), (0, 2, 2), (3, 3, 0), (0, 1, 1), (0, 0, 0)]
    assert client.post(url, json={"rows": "x"}, headers=admin).status_code == 422
    assert client.post(url, json={"rows": []}, headers=token_for("teacher1")).status_code == 403


def test_the_page_shows_the_stored_blueprint_with_its_availability(client, token_for, login):
    from tests.server.test_exams import BLUEPRINT

    seed_bank(client, token_for)
    admin = token_for("admin")
    exam = make_exam(client, admin, subject="math", grade=12, blueprint=BLUEPRINT)
    page = login("admin").get(f"/admin/exams/{exam['id']}").get_data(as_text=True)
    assert page.count("data-bp-row>") == 3 + 1                   # three rows and the empty template row
    assert 'data-available="6" data-missing="0"' in page           # 4 single choice of 6
    assert 'data-available="3" data-missing="0"' in page           # 2 true/false of 3; 2 numeric of 3
    assert "Toán 2025" in page and 'id="blueprint-templates"' in page
