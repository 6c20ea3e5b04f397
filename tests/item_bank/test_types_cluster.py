import pytest

from item_bank.model import ItemContent, ItemValidationError, ResponseError
from item_bank.types import REGISTRY
from item_bank.types.examples import example

TF = REGISTRY["true_false_cluster"]


def invalid(content, code, field):
    with pytest.raises(ItemValidationError) as info:
        TF.validate(content)
    assert (info.value.code, info.value.field) == (code, field), info.value.message


def test_valid():
    raw = example("true_false_cluster")
    clean = TF.validate(raw)
    assert clean.key == raw.key and clean is not raw
    assert [s["id"] for s in clean.body["statements"]] == ["a", "b", "c", "d"]
    assert set(clean.body["statements"][0]) == {"id", "html"}


@pytest.mark.parametrize("count", [0, 1, 3, 5])
def test_exactly_four_statements(count):
    statements = [{"id": f"s{i}", "html": "x"} for i in range(count)]
    values = {f"s{i}": True for i in range(count)}
    invalid(ItemContent("true_false_cluster", "x", {"statements": statements}, {"values": values}),
            "wrong_statement_count", "body.statements")


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("values"), "missing_key", "key.values"),
    (lambda c: c.key["values"].pop("b"), "missing_key", "key.values.b"),
    (lambda c: c.key["values"].update(e=True), "unknown_option", "key.values.e"),
    (lambda c: c.key["values"].update(c="đúng"), "wrong_type", "key.values.c"),
    (lambda c: c.key["values"].update(c=1), "wrong_type", "key.values.c"),
    (lambda c: c.key.update(values=[True, False, True, False]), "wrong_type", "key.values"),
    (lambda c: c.key.update(scoring="partial"), "unknown_field", "key.scoring"),
    (lambda c: c.body.update(shuffle=True), "unknown_field", "body.shuffle"),
    (lambda c: c.body["statements"][3].update(id="a"), "duplicate_id", "body.statements.3.id"),
    (lambda c: c.body["statements"][3].update(html=""), "empty_html", "body.statements.3.html"),
    (lambda c: c.body["statements"][3].update(html=r"\(x^{2\)"), "bad_latex", "body.statements.3.html"),
])
def test_invalid(change, code, field):
    content = example("true_false_cluster")
    change(content)
    invalid(content, code, field)


KEY = {"a": True, "b": False, "c": True, "d": False}


@pytest.mark.parametrize("response, fraction", [
    ({"a": True, "b": False, "c": True, "d": False}, 1.0),
    ({"a": True, "b": False, "c": True, "d": True}, 0.5),
    ({"a": True, "b": False, "c": False, "d": True}, 0.25),
    ({"a": True, "b": True, "c": False, "d": True}, 0.1),
    ({"a": False, "b": True, "c": False, "d": True}, 0.0),
    ({"a": True, "b": False, "c": True}, 0.5),        # unanswered counts as wrong
    ({"a": True}, 0.1),
    ({}, 0.0),
    (None, 0.0),
])
def test_scoring_table(response, fraction):
    content = TF.validate(example("true_false_cluster"))
    assert TF.score(content, response).fraction == fraction


@pytest.mark.parametrize("response", [[True] * 4, {"e": True}, {"a": "true"}, {"a": 1}, "TFTF"])
def test_malformed(response):
    content = TF.validate(example("true_false_cluster"))
    with pytest.raises(ResponseError):
        TF.score(content, response)
