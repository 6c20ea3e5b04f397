"""extended_text: an essay ("tự luận"), scored by a teacher against a rubric.

body: {"expected_words": 300}   optional (1..100000), a hint shown to the student
key:  {"rubric": [{"criterion": "Bố cục", "max_points": 1.0, "description": "..."}, ...]}
      At least one criterion; criterion non-empty text (at most 300 characters), max_points a
      number > 0, description optional text (default "").
response: the text written, at most 50,000 characters.
score: a non-empty answer gives ScoreResult(0, needs_manual=True); an empty or missing one 0
      with nothing to mark.
Student view body: {"expected_words"} when set (the rubric is in the key, so never sent).
"""
from __future__ import annotations

from typing import Any

from item_bank.model import ItemContent, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MAX_CHARS = 50_000
MAX_CRITERION_CHARS = 300
MAX_DESCRIPTION_CHARS = 5_000
MAX_CRITERIA = 50


def _text(value: Any, field: str, limit: int, required: bool) -> str:
    if not isinstance(value, str):
        raise c.fail(f"Expected text, got {value!r}", field, "wrong_type")
    value = value.strip()
    if required and not value:
        raise c.fail("Must not be empty", field, "bad_value")
    if len(value) > limit:
        raise c.fail(f"Longer than {limit} characters", field, "too_long")
    return value


@register
class ExtendedText(ItemType):
    name = "extended_text"
    label_vi = "Tự luận"
    label_en = "Essay"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"expected_words"}, "body")
        c.only_fields(key, {"rubric"}, "key")
        new_body = {}
        words = c.optional_count(body.get("expected_words"), "body.expected_words", 1, 100_000)
        if words is not None:
            new_body["expected_words"] = words
        rubric = c.as_list(c.required(key, "rubric", "key"), "key.rubric")
        if not rubric:
            raise c.fail("The rubric needs at least one criterion", "key.rubric", "missing_key")
        if len(rubric) > MAX_CRITERIA:
            raise c.fail(f"At most {MAX_CRITERIA} criteria", "key.rubric", "too_long")
        clean = []
        for i, raw in enumerate(rubric):
            here = f"key.rubric.{i}"
            raw = c.as_dict(raw, here)
            c.only_fields(raw, {"criterion", "max_points", "description"}, here)
            points = c.number(c.required(raw, "max_points", here), f"{here}.max_points")
            if points <= 0:
                raise c.fail("max_points must be more than 0", f"{here}.max_points", "bad_value")
            clean.append({
                "criterion": _text(c.required(raw, "criterion", here), f"{here}.criterion",
                                   MAX_CRITERION_CHARS, required=True),
                "max_points": points,
                "description": _text(raw.get("description", ""), f"{here}.description",
                                     MAX_DESCRIPTION_CHARS, required=False),
            })
        return ItemContent(type=cls.name, stem=stem, body=new_body, key={"rubric": clean})

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        shown = {k: content.body[k] for k in ("expected_words",) if k in content.body}
        return c.view(cls, content, shown)

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> str:
        return c.response_text(response, MAX_CHARS)

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None or not cls.check_response(content, response).strip():
            return ScoreResult(0.0)
        return ScoreResult(0.0, needs_manual=True)
