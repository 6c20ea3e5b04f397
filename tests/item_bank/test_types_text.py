import pytest

from item_bank.model import ItemContent, ItemValidationError, ResponseError
from item_bank.types import REGISTRY
from item_bank.types.examples import example

TE = REGISTRY["text_entry"]
ET = REGISTRY["extended_text"]


def invalid(cls, content, code, field):
    with pytest.raises(ItemValidationError) as info:
        cls.validate(content)
    assert (info.value.code, info.value.field) == (code, field), info.value.message


def entry(match, *accepted):
    return TE.validate(ItemContent("text_entry", "x", {}, {"accepted": list(accepted), "match": match}))


# --- text_entry ---------------------------------------------------------------------------------

def test_text_entry_defaults_and_trimming():
    clean = TE.validate(ItemContent("text_entry", "x", {}, {"accepted": ["  Hà Nội "]}))
    assert clean.key == {"accepted": ["Hà Nội"], "match": "normalised"}
    assert clean.body == {}


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("accepted"), "missing_key", "key.accepted"),
    (lambda c: c.key.update(accepted=[]), "missing_key", "key.accepted"),
    (lambda c: c.key.update(accepted="Hà Nội"), "wrong_type", "key.accepted"),
    (lambda c: c.key.update(accepted=["Hà Nội", "  "]), "bad_value", "key.accepted.1"),
    (lambda c: c.key.update(accepted=["Hà Nội", 1]), "wrong_type", "key.accepted.1"),
    (lambda c: c.key.update(accepted=["x" * 1001]), "too_long", "key.accepted.0"),
    (lambda c: c.key.update(accepted=["x"] * 101), "too_long", "key.accepted"),
    (lambda c: c.key.update(match="regex"), "bad_value", "key.match"),
    (lambda c: c.key.update(case_sensitive=True), "unknown_field", "key.case_sensitive"),
    (lambda c: c.body.update(expected_length=0), "bad_value", "body.expected_length"),
    (lambda c: c.body.update(expected_length=2.5), "wrong_type", "body.expected_length"),
    (lambda c: c.body.update(placeholder="..."), "unknown_field", "body.placeholder"),
])
def test_text_entry_invalid(change, code, field):
    item = example("text_entry")
    change(item)
    invalid(TE, item, code, field)


@pytest.mark.parametrize("typed, exact, normalised, folded", [
    ("Hà Nội", 1, 1, 1),
    ("  Hà Nội  ", 1, 1, 1),
    ("hà  nội", 0, 1, 1),
    ("HÀ NỘI", 0, 1, 1),
    ("Ha Noi", 0, 0, 1),
    ("ha noi", 0, 0, 1),
    ("Hà Nọi", 0, 0, 1),
    ("Hải Phòng", 0, 0, 0),
    ("", 0, 0, 0),
])
def test_text_entry_match_modes(typed, exact, normalised, folded):
    assert TE.score(entry("exact", "Hà Nội"), typed).fraction == exact
    assert TE.score(entry("normalised", "Hà Nội"), typed).fraction == normalised
    assert TE.score(entry("fold", "Hà Nội"), typed).fraction == folded


def test_text_entry_d_with_stroke_and_decomposed_input():
    assert TE.score(entry("fold", "Đà Nẵng"), "da nang").fraction == 1.0
    decomposed = "Ha\u0300 No\u0323\u0302i"
    assert TE.score(entry("exact", "Hà Nội"), decomposed).fraction == 1.0


def test_text_entry_any_accepted_answer():
    item = entry("normalised", "H2O", "nước")
    assert TE.score(item, "Nước").fraction == 1.0
    assert TE.score(item, "h2o").fraction == 1.0


def test_text_entry_responses():
    item = TE.validate(example("text_entry"))
    assert TE.score(item, None).fraction == 0.0
    assert TE.score(item, "x" * 1000).fraction == 0.0
    for bad in ("x" * 1001, 5, ["Hà Nội"]):
        with pytest.raises(ResponseError):
            TE.score(item, bad)
    assert TE.student_view(item)["body"] == {"expected_length": 20}


# --- extended_text ------------------------------------------------------------------------------

def test_essay_valid():
    raw = ItemContent("extended_text", "x", {},
                      {"rubric": [{"criterion": " Ý ", "max_points": 1}]})
    clean = ET.validate(raw)
    assert clean.key == {"rubric": [{"criterion": "Ý", "max_points": 1, "description": ""}]}
    assert ET.student_view(clean) == {"type": "extended_text", "stem": "x", "body": {}}


@pytest.mark.parametrize("change, code, field", [
    (lambda c: c.key.pop("rubric"), "missing_key", "key.rubric"),
    (lambda c: c.key.update(rubric=[]), "missing_key", "key.rubric"),
    (lambda c: c.key["rubric"][1].pop("max_points"), "missing_key", "key.rubric.1.max_points"),
    (lambda c: c.key["rubric"][1].update(max_points=0), "bad_value", "key.rubric.1.max_points"),
    (lambda c: c.key["rubric"][1].update(max_points=-1), "bad_value", "key.rubric.1.max_points"),
    (lambda c: c.key["rubric"][1].update(max_points="2"), "wrong_type", "key.rubric.1.max_points"),
    (lambda c: c.key["rubric"][1].pop("criterion"), "missing_key", "key.rubric.1.criterion"),
    (lambda c: c.key["rubric"][1].update(criterion=" "), "bad_value", "key.rubric.1.criterion"),
    (lambda c: c.key["rubric"][1].update(description=None), "wrong_type", "key.rubric.1.description"),
    (lambda c: c.key["rubric"][1].update(weight=1), "unknown_field", "key.rubric.1.weight"),
    (lambda c: c.key["rubric"].append("Trình bày"), "wrong_type", "key.rubric.2"),
    (lambda c: c.body.update(expected_words=-5), "bad_value", "body.expected_words"),
])
def test_essay_invalid(change, code, field):
    item = example("extended_text")
    change(item)
    invalid(ET, item, code, field)


def test_essay_scoring_is_manual():
    item = ET.validate(example("extended_text"))
    assert ET.score(item, "Bài làm của em...") == ET.score(item, "x")
    result = ET.score(item, "Bài làm")
    assert (result.fraction, result.needs_manual) == (0.0, True)
    for empty in (None, "", "  \n "):
        result = ET.score(item, empty)
        assert (result.fraction, result.needs_manual) == (0.0, False)
    with pytest.raises(ResponseError):
        ET.score(item, "x" * 50_001)
    with pytest.raises(ResponseError):
        ET.score(item, {"text": "x"})
    assert ET.score(item, "x" * 50_000).needs_manual
