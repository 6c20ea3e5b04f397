import pytest

from item_bank.model import ItemContent, ItemValidationError, ResponseError
from item_bank.types import REGISTRY
from item_bank.types.examples import example

MA = REGISTRY["matching"]
OR = REGISTRY["ordering"]


def invalid(cls, content, code, field):
    with pytest.raises(ItemValidationError) as info:
        cls.validate(content)
    assert (info.value.code, info.value.field) == (code, field), info.value.message


# --- matching -----------------------------------------------------------------------------------

def test_matching_valid_defaults():
    clean = MA.validate(example("matching"))
    assert clean.key == {"pairs": {"s1": "t2", "s2": "t1"}, "scoring": "partial"}
    assert clean.body["shuffle"] is True
    assert MA.student_view(clean)["body"] == {
        "sources": [{"id": s["id"], "html": s["html"]} for s in clean.body["sources"]],
        "targets": [{"id": t["id"], "html": t["html"]} for t in clean.body["targets"]],
    }


def test_two_sources_may_share_a_target():
    item = example("matching")
    item.key["pairs"] = {"s1": "t1", "s2": "t1"}
    assert MA.validate(item).key["pairs"] == {"s1": "t1", "s2": "t1"}


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("pairs"), "missing_key", "key.pairs"),
    (lambda c: c.key["pairs"].pop("s2"), "missing_key", "key.pairs.s2"),
    (lambda c: c.key["pairs"].update(s3="t1"), "unknown_option", "key.pairs.s3"),
    (lambda c: c.key["pairs"].update(s2="t9"), "unknown_option", "key.pairs.s2"),
    (lambda c: c.key["pairs"].update(s2=["t1"]), "wrong_type", "key.pairs.s2"),
    (lambda c: c.key.update(pairs=[["s1", "t2"]]), "wrong_type", "key.pairs"),
    (lambda c: c.key.update(scoring="some"), "bad_value", "key.scoring"),
    (lambda c: c.body["targets"][0].update(id="s1"), "duplicate_id", "body.targets.0.id"),
    (lambda c: c.body.update(sources=c.body["sources"][:1]), "wrong_option_count", "body.sources"),
    (lambda c: c.body.pop("targets"), "missing_key", "body.targets"),
    (lambda c: c.body["targets"][2].update(html='<img src="http://x/y.png">'), "bad_image_src",
     "body.targets.2.html"),
    (lambda c: c.body.update(columns=2), "unknown_field", "body.columns"),
])
def test_matching_invalid(change, code, field):
    item = example("matching")
    change(item)
    invalid(MA, item, code, field)


@pytest.mark.parametrize("response, partial, all_or_nothing", [
    ({"s1": "t2", "s2": "t1"}, 1.0, 1.0),
    ({"s1": "t2", "s2": "t3"}, 0.5, 0.0),
    ({"s1": "t2"}, 0.5, 0.0),
    ({"s1": "t1", "s2": "t2"}, 0.0, 0.0),
    ({}, 0.0, 0.0),
    (None, 0.0, 0.0),
])
def test_matching_scoring(response, partial, all_or_nothing):
    item = MA.validate(example("matching"))
    assert MA.score(item, response).fraction == partial
    item.key["scoring"] = "all_or_nothing"
    assert MA.score(item, response).fraction == all_or_nothing


@pytest.mark.parametrize("response", [[("s1", "t2")], {"s9": "t1"}, {"s1": "t9"}, {"s1": 1}, "s1t2"])
def test_matching_malformed(response):
    item = MA.validate(example("matching"))
    with pytest.raises(ResponseError):
        MA.score(item, response)


# --- ordering -----------------------------------------------------------------------------------

def test_ordering_valid_defaults():
    raw = ItemContent("ordering", "x", {"choices": [{"id": "a", "html": "1"}, {"id": "b", "html": "2"}]},
                      {"order": ["b", "a"]})
    clean = OR.validate(raw)
    assert clean.key == {"order": ["b", "a"], "scoring": "all_or_nothing"}
    assert clean.body["shuffle"] is True


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("order"), "missing_key", "key.order"),
    (lambda c: c.key.update(order=["c", "a"]), "bad_order", "key.order"),
    (lambda c: c.key.update(order=["c", "a", "a"]), "bad_order", "key.order"),
    (lambda c: c.key.update(order=["c", "a", "b", "b"]), "bad_order", "key.order"),
    (lambda c: c.key.update(order=["c", "a", "z"]), "unknown_option", "key.order.2"),
    (lambda c: c.key.update(order="cab"), "wrong_type", "key.order"),
    (lambda c: c.key.update(scoring="kendall"), "bad_value", "key.scoring"),
    (lambda c: c.body.update(choices=c.body["choices"][:1]), "wrong_option_count", "body.choices"),
    (lambda c: c.body.update(choices=[{"id": str(i), "html": "x"} for i in range(21)]),
     "wrong_option_count", "body.choices"),
    (lambda c: c.body.update(shuffle=False), "order_revealed", "body.shuffle"),
])
def test_ordering_invalid(change, code, field):
    item = example("ordering")
    change(item)
    invalid(OR, item, code, field)


def test_ordering_unshuffled_but_not_revealing_is_fine():
    item = example("ordering")
    item.body["shuffle"] = False
    item.key["order"] = ["a", "c", "b"]
    assert OR.validate(item).body["shuffle"] is False


@pytest.mark.parametrize("response, partial, all_or_nothing", [
    (["c", "a", "b"], 1.0, 1.0),
    (["c", "b", "a"], 1 / 3, 0.0),
    (["a", "b", "c"], 0.0, 0.0),
    (None, 0.0, 0.0),
])
def test_ordering_scoring(response, partial, all_or_nothing):
    item = OR.validate(example("ordering"))
    assert OR.score(item, response).fraction == pytest.approx(partial)
    item.key["scoring"] = "all_or_nothing"
    assert OR.score(item, response).fraction == all_or_nothing


@pytest.mark.parametrize("response", [["c", "a"], ["c", "a", "a"], ["c", "a", "b", "d"], "cab", [1, 2, 3]])
def test_ordering_malformed(response):
    item = OR.validate(example("ordering"))
    with pytest.raises(ResponseError):
        OR.check_response(item, response)
