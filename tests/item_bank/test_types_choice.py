import pytest

from item_bank.model import ItemContent, ItemValidationError, ResponseError
from item_bank.types import REGISTRY
from item_bank.types.examples import example

SC = REGISTRY["single_choice"]
MR = REGISTRY["multiple_response"]


def invalid(cls, content, code, field):
    with pytest.raises(ItemValidationError) as info:
        cls.validate(content)
    assert (info.value.code, info.value.field) == (code, field), info.value.message
    return info.value


def options(*ids):
    return [{"id": i, "html": f"<p>Phương án {i}</p>"} for i in ids]


# --- single_choice ------------------------------------------------------------------------------

def test_single_choice_valid_is_normalised():
    raw = ItemContent("single_choice", "<p>Chọn <font>đáp án</font></p>",
                      {"options": options("A", "B", "C", "D")}, {"correct": "C"})
    clean = SC.validate(raw)
    assert clean is not raw
    assert clean.stem == "<p>Chọn đáp án</p>"
    assert clean.body["shuffle"] is True
    assert [o["fixed"] for o in clean.body["options"]] == [False] * 4
    assert clean.key == {"correct": "C"}
    assert "fixed" not in raw.body["options"][0]          # input untouched
    assert SC.validate(clean) == clean                     # idempotent


def test_single_choice_two_and_ten_options():
    SC.validate(ItemContent("single_choice", "x", {"options": options("A", "B")}, {"correct": "B"}))
    ids = [str(i) for i in range(10)]
    SC.validate(ItemContent("single_choice", "x", {"options": options(*ids)}, {"correct": "9"}))


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("correct"), "missing_key", "key.correct"),
    (lambda c: c.key.update(correct="E"), "unknown_option", "key.correct"),
    (lambda c: c.key.update(correct=0), "wrong_type", "key.correct"),
    (lambda c: c.key.update(scoring="partial"), "unknown_field", "key.scoring"),
    (lambda c: c.body.update(columns=2), "unknown_field", "body.columns"),
    (lambda c: c.body.pop("options"), "missing_key", "body.options"),
    (lambda c: c.body.update(options={"A": "x"}), "wrong_type", "body.options"),
    (lambda c: c.body.update(options=options("A")), "wrong_option_count", "body.options"),
    (lambda c: c.body.update(options=options(*"ABCDEFGHIJK")), "wrong_option_count", "body.options"),
    (lambda c: c.body["options"][1].update(id="A"), "duplicate_id", "body.options.1.id"),
    (lambda c: c.body["options"][1].update(id=""), "bad_id", "body.options.1.id"),
    (lambda c: c.body["options"][1].update(id="a b"), "bad_id", "body.options.1.id"),
    (lambda c: c.body["options"][1].update(id="x" * 33), "bad_id", "body.options.1.id"),
    (lambda c: c.body["options"][1].update(id=2), "bad_id", "body.options.1.id"),
    (lambda c: c.body["options"][1].pop("id"), "missing_key", "body.options.1.id"),
    (lambda c: c.body["options"][2].pop("html"), "missing_key", "body.options.2.html"),
    (lambda c: c.body["options"][2].update(html="<p> </p>"), "empty_html", "body.options.2.html"),
    (lambda c: c.body["options"][2].update(html="<b onclick=x>1</b>"), "unsafe_html", "body.options.2.html"),
    (lambda c: c.body["options"][2].update(html=r"\(\frac{1}{\)"), "bad_latex", "body.options.2.html"),
    (lambda c: c.body["options"][2].update(correct=True), "unknown_field", "body.options.2.correct"),
    (lambda c: c.body["options"][2].update(fixed="yes"), "wrong_type", "body.options.2.fixed"),
    (lambda c: c.body.update(shuffle=1), "wrong_type", "body.shuffle"),
    (lambda c: setattr(c, "stem", ""), "empty_html", "stem"),
    (lambda c: setattr(c, "stem", "<script>x</script>"), "unsafe_html", "stem"),
    (lambda c: setattr(c, "body", []), "wrong_type", "body"),
    (lambda c: setattr(c, "key", None), "wrong_type", "key"),
    (lambda c: setattr(c, "type", "multiple_response"), "wrong_type", "type"),
])
def test_single_choice_invalid(change, code, field):
    content = example("single_choice")
    change(content)
    invalid(SC, content, code, field)


def test_single_choice_scoring_and_responses():
    content = SC.validate(example("single_choice"))
    assert SC.score(content, "A").fraction == 1.0
    assert SC.score(content, "B").fraction == 0.0
    assert SC.score(content, None).fraction == 0.0
    assert not SC.score(content, "A").needs_manual
    for bad in ("E", "a", ["A"], 1, ""):
        with pytest.raises(ResponseError):
            SC.score(content, bad)


def test_single_choice_student_view():
    content = SC.validate(example("single_choice"))
    view = SC.student_view(content)
    assert view == {"type": "single_choice", "stem": content.stem,
                    "body": {"options": [{"id": o["id"], "html": o["html"]}
                                         for o in content.body["options"]]}}


# --- multiple_response --------------------------------------------------------------------------

def test_multiple_response_valid_defaults_and_order():
    raw = ItemContent("multiple_response", "x", {"options": options("A", "B", "C", "D")},
                      {"correct": ["D", "B"]})
    clean = MR.validate(raw)
    assert clean.key == {"correct": ["B", "D"], "scoring": "all_or_nothing"}
    assert raw.key == {"correct": ["D", "B"]}


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("correct"), "missing_key", "key.correct"),
    (lambda c: c.key.update(correct=[]), "missing_key", "key.correct"),
    (lambda c: c.key.update(correct="A"), "wrong_type", "key.correct"),
    (lambda c: c.key.update(correct=["A", "Z"]), "unknown_option", "key.correct.1"),
    (lambda c: c.key.update(correct=["A", "A"]), "duplicate_id", "key.correct"),
    (lambda c: c.key.update(scoring="most"), "bad_value", "key.scoring"),
    (lambda c: c.key.update(weights=[1]), "unknown_field", "key.weights"),
    (lambda c: c.body.update(options=options("A")), "wrong_option_count", "body.options"),
])
def test_multiple_response_invalid(change, code, field):
    content = example("multiple_response")
    change(content)
    invalid(MR, content, code, field)


@pytest.mark.parametrize("response, partial, all_or_nothing", [
    (["A", "C"], 1.0, 1.0),
    (["C", "A"], 1.0, 1.0),
    (["A"], 0.5, 0.0),
    (["A", "B"], 0.0, 0.0),
    (["A", "C", "B"], 0.5, 0.0),
    (["A", "B", "C", "D"], 0.0, 0.0),
    (["B", "D"], 0.0, 0.0),
    ([], 0.0, 0.0),
    (None, 0.0, 0.0),
])
def test_multiple_response_scoring(response, partial, all_or_nothing):
    content = MR.validate(example("multiple_response"))
    assert MR.score(content, response).fraction == partial
    content.key["scoring"] = "all_or_nothing"
    assert MR.score(content, response).fraction == all_or_nothing


@pytest.mark.parametrize("response", ["A", ["A", "A"], ["A", "E"], [1], {"A": True}])
def test_multiple_response_malformed(response):
    content = MR.validate(example("multiple_response"))
    with pytest.raises(ResponseError):
        MR.check_response(content, response)
