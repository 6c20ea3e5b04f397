import copy
import dataclasses
import json

import pytest

from item_bank import types
from item_bank.model import CognitiveLevel, Item, ItemContent, ItemMetadata, ItemValidationError
from item_bank.types.examples import RIGHT_RESPONSES, example, names

ALL_TYPES = ["single_choice", "multiple_response", "true_false_cluster", "numeric", "text_entry",
             "extended_text", "matching", "ordering"]


def item(**changes):
    meta = ItemMetadata(subject="math", grade=12, topic="Tích phân", cognitive_level=CognitiveLevel.HIEU,
                        difficulty=0.4, tags=["giải tích", " tích phân ", "giải tích"], language="vi")
    base = Item(identifier="i-0001", title=" Câu 1 ", metadata=meta, content=example("single_choice"))
    for name, value in changes.items():
        if hasattr(meta, name):
            setattr(meta, name, value)
        else:
            setattr(base, name, value)
    return base


def test_registry_is_full_on_import():
    assert sorted(types.REGISTRY) == sorted(ALL_TYPES)
    assert sorted(names()) == sorted(ALL_TYPES)
    for name, cls in types.REGISTRY.items():
        assert cls.name == name and cls.label_vi and cls.label_en


def test_unknown_type():
    with pytest.raises(ItemValidationError) as info:
        types.validate_content(ItemContent("essay", "x"))
    assert (info.value.code, info.value.field) == ("unknown_type", "type")


@pytest.mark.parametrize("name", ALL_TYPES)
def test_every_example_validates_without_mutation_and_idempotently(name):
    raw = example(name)
    before = copy.deepcopy(raw)
    clean = types.validate_content(raw)
    assert raw == before
    assert clean is not raw and clean.body is not raw.body and clean.key is not raw.key
    assert types.validate_content(clean) == clean
    # The normalised copy shares no mutable structure with the input.
    clean.body.clear()
    clean.key.clear()
    assert raw == before


def test_validate_item_normalises():
    clean = types.validate_item(item())
    assert clean.title == "Câu 1"
    assert clean.metadata.tags == ["giải tích", "tích phân"]
    assert clean.metadata.cognitive_level is CognitiveLevel.HIEU
    assert clean.content.body["options"][0]["fixed"] is False


def test_validate_item_accepts_level_codes_and_integer_difficulty():
    clean = types.validate_item(item(cognitive_level="van_dung_cao", difficulty=1))
    assert clean.metadata.cognitive_level is CognitiveLevel.VAN_DUNG_CAO
    assert clean.metadata.difficulty == 1.0
    assert types.validate_item(item(difficulty=None)).metadata.difficulty is None


@pytest.mark.parametrize("changes, field", [
    ({"subject": "maths"}, "metadata.subject"),
    ({"grade": 0}, "metadata.grade"),
    ({"grade": 13}, "metadata.grade"),
    ({"grade": "12"}, "metadata.grade"),
    ({"grade": 11.0}, "metadata.grade"),
    ({"grade": True}, "metadata.grade"),
    ({"cognitive_level": "nho"}, "metadata.cognitive_level"),
    ({"difficulty": 1.5}, "metadata.difficulty"),
    ({"difficulty": -0.1}, "metadata.difficulty"),
    ({"difficulty": float("nan")}, "metadata.difficulty"),
    ({"difficulty": "0.5"}, "metadata.difficulty"),
    ({"language": "fr"}, "metadata.language"),
    ({"tags": "a,b"}, "metadata.tags"),
    ({"tags": ["a", ""]}, "metadata.tags.1"),
    ({"tags": ["a", 3]}, "metadata.tags.1"),
    ({"tags": ["x" * 51]}, "metadata.tags.0"),
    ({"tags": [f"t{i}" for i in range(31)]}, "metadata.tags"),
    ({"topic": None}, "metadata.topic"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"identifier": ""}, "identifier"),
    ({"metadata": {"subject": "math"}}, "metadata"),
    ({"content": {"type": "numeric"}}, "content"),
])
def test_validate_item_refuses(changes, field):
    with pytest.raises(ItemValidationError) as info:
        types.validate_item(item(**changes))
    assert info.value.field == field, info.value.message


def test_validate_item_reports_content_fields():
    broken = item()
    broken.content.key = {}
    with pytest.raises(ItemValidationError) as info:
        types.validate_item(broken)
    assert (info.value.code, info.value.field) == ("missing_key", "key.correct")


def test_validate_item_does_not_mutate():
    raw = item()
    before = copy.deepcopy(raw)
    types.validate_item(raw)
    assert raw == before


@pytest.mark.parametrize("name", ALL_TYPES)
def test_conveniences_accept_item_or_content(name):
    content = types.validate_content(example(name))
    whole = dataclasses.replace(item(), content=content)
    assert types.student_view(whole) == types.student_view(content)
    response = RIGHT_RESPONSES.get(name, "Bài làm")
    assert types.score(whole, response) == types.score(content, response)


# --- the key never reaches a student ------------------------------------------------------------

def _dict_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _dict_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _dict_keys(v)


# Key content distinctive enough that it cannot appear in the example's body or stem.
DISTINCTIVE = {
    "numeric": "987654.321",
    "text_entry": "Thành phố Hồ Chí Minh bí mật",
    "extended_text": "Tiêu chí bí mật của giám khảo",
}
SECRET_WORDS = {"key", "correct", "values", "pairs", "order", "accepted", "rubric", "scoring",
                "tolerance", "tolerance_mode", "value", "fixed", "shuffle", "match"}


@pytest.mark.parametrize("name", ALL_TYPES)
def test_student_view_never_contains_the_key(name):
    raw = example(name)
    if name == "numeric":
        raw.key["value"] = float(DISTINCTIVE[name])
        raw.key["tolerance"] = 0.0125
        raw.body["max_chars"] = 10          # the key must be typeable (numeric's key_not_typeable)
    elif name == "text_entry":
        raw.key["accepted"] = [DISTINCTIVE[name]]
    elif name == "extended_text":
        raw.key["rubric"][0]["criterion"] = DISTINCTIVE[name]
        raw.key["rubric"][0]["description"] = "Mô tả chấm điểm " + DISTINCTIVE[name]
    content = types.validate_content(raw)
    view = types.student_view(content)
    assert set(view) == {"type", "stem", "body"}
    assert view["type"] == name
    keys = set(_dict_keys(view))
    assert not keys & SECRET_WORDS, keys & SECRET_WORDS
    text = json.dumps(view, ensure_ascii=False)
    if name in DISTINCTIVE:
        assert DISTINCTIVE[name] not in text
    if name == "numeric":
        assert "0.0125" not in text
    if name == "true_false_cluster":
        body = json.dumps(view["body"])
        assert "true" not in body and "false" not in body
    if name == "single_choice":
        assert "Cả ba đáp án" in text      # the fixed option itself is still shown


@pytest.mark.parametrize("name", ALL_TYPES)
def test_student_view_is_a_copy(name):
    content = types.validate_content(example(name))
    before = copy.deepcopy(content)
    view = types.student_view(content)
    for value in view["body"].values():
        if isinstance(value, list):
            for entry in value:
                entry["html"] = "changed"
    assert content == before
