"""Blueprint ("ma trận đề"): validation names the row and field; dict/JSON round trip."""
from __future__ import annotations

import json
import unicodedata

import pytest
from assembly_helpers import MATH_ROWS, NUM, SC, TF, math_blueprint

from item_bank.assembly import Blueprint, BlueprintError, BlueprintRow
from item_bank.model import CognitiveLevel as L


def test_math_exam_shape():
    bp = math_blueprint()
    assert bp.n_items == 22 and bp.total_points == 10
    by_type = {}
    for row in bp.rows:
        by_type[row.item_type] = by_type.get(row.item_type, 0) + row.count
    assert by_type == {SC: 12, TF: 4, NUM: 6}


def test_round_trip_through_dict_and_json():
    bp = math_blueprint()
    data = bp.to_dict()
    assert data["rows"][0] == {"topic": "Hàm số", "cognitive_level": "biet", "item_type": SC,
                               "count": 3, "points_each": 0.25}
    assert Blueprint.from_dict(data) == bp
    assert Blueprint.from_dict(data["rows"]) == bp            # a bare list of rows
    text = bp.to_json()
    assert "Hàm số" in text                                   # readable Vietnamese, not \u escapes
    assert Blueprint.from_json(text) == bp
    assert json.loads(text) == data


def test_levels_given_as_codes_are_coerced():
    bp = Blueprint([BlueprintRow("Hàm số", "van_dung", SC, 40, 0.25)])
    assert bp.rows[0].cognitive_level is L.VAN_DUNG


def _error(rows, total=10) -> BlueprintError:
    with pytest.raises(BlueprintError) as caught:
        Blueprint(rows, total)
    assert isinstance(caught.value, ValueError)
    return caught.value


@pytest.mark.parametrize("row, field", [
    (BlueprintRow("Hàm số", L.BIET, SC, 0, 0.25), "count"),
    (BlueprintRow("Hàm số", L.BIET, SC, -1, 0.25), "count"),
    (BlueprintRow("Hàm số", L.BIET, SC, 2.0, 0.25), "count"),
    (BlueprintRow("Hàm số", L.BIET, SC, True, 0.25), "count"),
    (BlueprintRow("Hàm số", L.BIET, SC, 2, 0), "points_each"),
    (BlueprintRow("Hàm số", L.BIET, SC, 2, -0.25), "points_each"),
    (BlueprintRow("Hàm số", L.BIET, SC, 2, float("nan")), "points_each"),
    (BlueprintRow("Hàm số", L.BIET, SC, 2, "0.25"), "points_each"),
    (BlueprintRow("", L.BIET, SC, 2, 0.25), "topic"),
    (BlueprintRow("Hàm số", L.BIET, " ", 2, 0.25), "item_type"),
    (BlueprintRow("Hàm số", "easy", SC, 2, 0.25), "cognitive_level"),
])
def test_bad_row_is_named(row, field):
    err = _error([*MATH_ROWS[:3], row])
    assert (err.row, err.field) == (3, field)
    assert err.message.startswith("row 3")


def test_points_must_add_up_to_the_total():
    rows = list(MATH_ROWS)
    rows[0] = BlueprintRow("Hàm số", L.BIET, SC, 4, 0.25)     # one item too many: 10.25
    err = _error(rows)
    assert err.field == "total_points" and err.code == "points_mismatch"
    assert "10.25" in err.message
    assert Blueprint(rows, 10.25).n_items == 23               # another total is fine


def test_decimal_points_within_tolerance():
    # 0.1 * 3 + 0.7 is not exactly 1.0 in binary floating point; the blueprint is still right.
    Blueprint([BlueprintRow("a", L.BIET, SC, 3, 0.1), BlueprintRow("b", L.BIET, SC, 1, 0.7)], 1)


def test_duplicate_cell_even_when_spelled_differently():
    nfd = unicodedata.normalize("NFD", "Hàm  số")
    err = _error([*MATH_ROWS, BlueprintRow(nfd, L.BIET, SC, 1, 0.25)], 10.25)
    assert (err.row, err.field, err.code) == (len(MATH_ROWS), "cell", "duplicate_cell")
    assert "row 0" in err.message


def test_same_topic_other_level_or_type_is_a_different_cell():
    Blueprint([BlueprintRow("Hàm số", L.BIET, SC, 2, 2.5), BlueprintRow("Hàm số", L.HIEU, SC, 1, 2.5),
               BlueprintRow("Hàm số", L.BIET, TF, 1, 2.5)])


@pytest.mark.parametrize("data, field, row", [
    ({"rows": []}, "rows", None),
    ({"rows": "x"}, "rows", None),
    ({"rows": [], "colour": 1}, "colour", None),
    ("rows", "rows", None),
    ([{"topic": "a", "cognitive_level": "biet", "item_type": SC, "count": 40}], "points_each", 0),
    ([{"topic": "a", "cognitive_level": "biet", "item_type": SC, "count": 40, "points_each": 0.25,
       "note": "x"}], "note", 0),
    ([["a", "biet", SC, 40, 0.25]], None, 0),
    ({"rows": [{"topic": "a", "cognitive_level": "biet", "item_type": SC, "count": 40, "points_each": 0.25}],
      "total_points": 0}, "total_points", None),
])
def test_from_dict_errors(data, field, row):
    with pytest.raises(BlueprintError) as caught:
        Blueprint.from_dict(data)
    assert (caught.value.field, caught.value.row) == (field, row)


def test_from_json_rejects_bad_json():
    with pytest.raises(BlueprintError) as caught:
        Blueprint.from_json("{rows: ")
    assert caught.value.code == "invalid_json"
