from decimal import Decimal

import pytest

from item_bank.model import ItemContent, ItemValidationError, ResponseError
from item_bank.types import REGISTRY
from item_bank.types.examples import example
from item_bank.types.numeric import parse_number

NUM = REGISTRY["numeric"]


def content(value, tolerance=0, mode="absolute", **body):
    return NUM.validate(ItemContent("numeric", "<p>?</p>", body,
                                    {"value": value, "tolerance": tolerance, "tolerance_mode": mode}))


def test_valid_and_defaults():
    clean = NUM.validate(ItemContent("numeric", "x", {}, {"value": 2}))
    assert clean.body == {"unit": ""}
    assert clean.key == {"value": 2, "tolerance": 0, "tolerance_mode": "absolute"}
    assert NUM.validate(example("numeric")).body == {"unit": "", "max_chars": 4}


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("value"), "missing_key", "key.value"),
    (lambda c: c.key.update(value="1,25"), "wrong_type", "key.value"),
    (lambda c: c.key.update(value=True), "wrong_type", "key.value"),
    (lambda c: c.key.update(value=float("nan")), "bad_value", "key.value"),
    (lambda c: c.key.update(value=float("inf")), "bad_value", "key.value"),
    (lambda c: c.key.update(tolerance=-0.1), "bad_value", "key.tolerance"),
    (lambda c: c.key.update(tolerance="0"), "wrong_type", "key.tolerance"),
    (lambda c: c.key.update(tolerance_mode="percent"), "bad_value", "key.tolerance_mode"),
    (lambda c: c.key.update(accepted=["1"]), "unknown_field", "key.accepted"),
    (lambda c: c.body.update(max_chars=0), "bad_value", "body.max_chars"),
    (lambda c: c.body.update(max_chars=33), "bad_value", "body.max_chars"),
    (lambda c: c.body.update(max_chars="4"), "wrong_type", "body.max_chars"),
    (lambda c: c.body.update(unit=5), "wrong_type", "body.unit"),
    (lambda c: c.body.update(unit="m" * 51), "too_long", "body.unit"),
    (lambda c: c.body.update(options=[]), "unknown_field", "body.options"),
])
def test_invalid(change, code, field):
    item = example("numeric")
    change(item)
    with pytest.raises(ItemValidationError) as info:
        NUM.validate(item)
    assert (info.value.code, info.value.field) == (code, field), info.value.message


@pytest.mark.parametrize("typed, value", [
    ("0,5", "0.5"), ("0.5", "0.5"), ("-1,25", "-1.25"), ("+2", "2"), (" 3 ", "3"), (",5", "0.5"),
    ("5,", "5"), ("\u22124", "-4"), ("007", "7"), ("1" * 32, "1" * 32),
])
def test_parse_accepts(typed, value):
    assert parse_number(typed) == Decimal(value)


@pytest.mark.parametrize("typed", [
    "1,2,3", "abc", "1e400", "1E5", "", " ", "-", "+", ",", "1 000", "1.000,5", "0x10", "½", "٣",
    "inf", "NaN", "--1", "1-", "2" * 33, "1" * 40, None, 5, 0.5, ["1"],
])
def test_parse_refuses(typed):
    with pytest.raises(ResponseError):
        parse_number(typed)


def test_max_chars_is_enforced_on_responses():
    item = content(1.25, max_chars=4)
    assert NUM.score(item, "1,25").fraction == 1.0
    with pytest.raises(ResponseError):
        NUM.check_response(item, "1,250")


def test_exact_decimal_comparison():
    item = content(0.3)
    assert NUM.score(item, "0,3").fraction == 1.0
    assert NUM.score(item, "0.30000000000000004").fraction == 0.0
    item = content(0.1 + 0.2)            # the float 0.30000000000000004 stays what it is
    assert NUM.score(item, "0,3").fraction == 0.0


@pytest.mark.parametrize("typed, fraction", [
    ("2.5", 1.0), ("2.45", 1.0), ("2.55", 1.0), ("2.56", 0.0), ("2.44", 0.0), ("2,5", 1.0),
])
def test_absolute_tolerance(typed, fraction):
    assert NUM.score(content(2.5, 0.05), typed).fraction == fraction


@pytest.mark.parametrize("typed, fraction", [("200", 1.0), ("202", 1.0), ("198", 1.0), ("202,1", 0.0)])
def test_relative_tolerance(typed, fraction):
    assert NUM.score(content(200, 0.01, "relative"), typed).fraction == fraction


def test_negative_value_with_relative_tolerance():
    assert NUM.score(content(-10, 0.1, "relative"), "-9").fraction == 1.0
    assert NUM.score(content(-10, 0.1, "relative"), "9").fraction == 0.0


def test_none_scores_zero_and_view():
    item = content(3, unit="cm", max_chars=4)
    assert NUM.score(item, None).fraction == 0.0
    assert NUM.student_view(item) == {"type": "numeric", "stem": "<p>?</p>",
                                      "body": {"unit": "cm", "max_chars": 4}}
