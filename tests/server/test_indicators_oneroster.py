"""OneRoster 1.2 gradebook results (REST, read-only) and the CSV binding's zip: what a department
reads, paging, the official's scope, and no name or number of a candidate in it."""
from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest

from tests.server.indicator_factories import bare_exam, load_units
from tests.server.test_indicators_engine import _send

BASE = "/ims/oneroster/gradebook/v1p2"


@pytest.fixture
def graded(app):
    """12A: 8.0, 6.5, 4.0 and one not scored; 12B: 9.0; Vùng Cao (S2, no class): 10; one
    candidate of a school not in the tree: 7.0 (placed nowhere, so in no class: left out)."""
    from exam_server.core.db import session

    with app.app_context():
        tree = load_units()
        exam_id, c = bare_exam([("S1", "12A")] * 4 + [("S1", "12B"), ("S2", ""), ("Trường lạ", "")])
        _send(exam_id, c, [("score", 0, Decimal(8)), ("score", 1, Decimal("6.5")), ("score", 2, Decimal(4)),
                           ("score", 4, Decimal(9)), ("score", 5, Decimal(10)), ("score", 6, Decimal(7))])
        session.commit()
    return tree, exam_id, c


def _get(client, headers, url, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def test_results_and_line_items(client, token_for, graded):
    tree, exam_id, candidates = graded
    admin = token_for("admin")
    response = _get(client, admin, f"{BASE}/results")
    rows = response.get_json()["results"]
    assert response.headers["X-Total-Count"] == "5"
    assert sorted(r["score"] for r in rows) == [4.0, 6.5, 8.0, 9.0, 10.0]
    first = rows[0]
    assert first["lineItem"]["sourcedId"] == f"e{exam_id}-u{tree['S1-12A']}" and first["student"]["type"] == "user"
    assert first["scoreStatus"] == "fully graded" and first["status"] == "active"
    assert len(first["student"]["sourcedId"]) == 24
    text = response.get_data(as_text=True)
    assert "Thí sinh" not in text and all(f'"{cid}"' not in text for cid in candidates)
    page = _get(client, admin, f"{BASE}/results?limit=2&offset=2")
    assert len(page.get_json()["results"]) == 2 and "offset=4" in page.headers["Link"]
    one = _get(client, admin, f"{BASE}/results/{first['sourcedId']}").get_json()["result"]
    assert one == first
    _get(client, admin, f"{BASE}/results/e{exam_id}-nobody", status=404)
    _get(client, admin, f"{BASE}/results?limit=0", status=422)

    items = {i["sourcedId"]: i for i in _get(client, admin, f"{BASE}/lineItems").get_json()["lineItems"]}
    assert set(items) == {f"e{exam_id}-u{tree[code]}" for code in ("S1-12A", "S1-12B", "S2")}
    class_a = items[f"e{exam_id}-u{tree['S1-12A']}"]
    assert class_a["school"]["sourcedId"] == f"unit-{tree['S1']}" and class_a["resultValueMax"] == 10.0
    assert items[f"e{exam_id}-u{tree['S2']}"]["school"]["sourcedId"] == f"unit-{tree['S2']}"
    of_a = _get(client, admin, f"{BASE}/lineItems/e{exam_id}-u{tree['S1-12A']}/results").get_json()["results"]
    assert sorted(r["score"] for r in of_a) == [4.0, 6.5, 8.0]
    _get(client, admin, f"{BASE}/lineItems/x", status=404)


def test_an_official_reads_only_their_units(app, client, token_for, users, graded):
    tree, exam_id, _c = graded
    official = users["official1"]
    assert client.put(f"/api/v1/officials/{official}/scope", json={"units": ["S2"]},
                      headers=token_for("admin")).status_code == 200
    headers = token_for("official1")
    rows = _get(client, headers, f"{BASE}/results").get_json()["results"]
    assert [r["score"] for r in rows] == [10.0]
    _get(client, headers, f"{BASE}/lineItems/e{exam_id}-u{tree['S1-12A']}", status=404)
    _get(client, token_for("teacher1"), f"{BASE}/results", status=403)


def test_csv_zip(client, token_for, graded):
    _tree, _exam_id, _c = graded
    response = _get(client, token_for("admin"), f"{BASE}/export.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == {"manifest.csv", "categories.csv", "lineItems.csv", "results.csv"}

    def rows(name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))

    manifest = {r["propertyName"]: r["value"] for r in rows("manifest.csv")}
    assert manifest["oneroster.version"] == "1.2" and manifest["file.results"] == "bulk"
    assert manifest["file.users"] == "absent"
    results = rows("results.csv")
    assert sorted(float(r["score"]) for r in results) == [4.0, 6.5, 8.0, 9.0, 10.0]
    assert {r["lineItemSourcedId"] for r in results} == {r["sourcedId"] for r in rows("lineItems.csv")}
