"""multiple_response: several right options among 2 to 10; the student ticks any number.

body: {"options": [{"id": "A", "html": "...", "fixed": false}, ...], "shuffle": true}
key:  {"correct": ["A", "C"], "scoring": "all_or_nothing" | "partial"}   (default all_or_nothing)
      At least one correct option; the list is stored in the options' order.
response: a list of option ids without duplicates, e.g. ["A", "C"]; [] means nothing ticked.
score: all_or_nothing: 1 if exactly the correct set is ticked, else 0.
       partial: max(0, (right ticked - wrong ticked) / number of correct options), so ticking
       everything is not rewarded.
Student view body: {"options": [{"id", "html"}, ...]}.
"""
from __future__ import annotations

from typing import Any

from item_bank.model import ItemContent, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MIN_OPTIONS, MAX_OPTIONS = 2, 10


@register
class MultipleResponse(ItemType):
    name = "multiple_response"
    label_vi = "Trắc nghiệm nhiều đáp án đúng"
    label_en = "Multiple response"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"options", "shuffle"}, "body")
        c.only_fields(key, {"correct", "scoring"}, "key")
        options = c.choices(body, "options", MIN_OPTIONS, MAX_OPTIONS, extra=frozenset({"fixed"}))
        ids = [o["id"] for o in options]
        listed = c.as_list(c.required(key, "correct", "key"), "key.correct")
        if not listed:
            raise c.fail("At least one option must be correct", "key.correct", "missing_key")
        correct = [c.known(v, ids, f"key.correct.{i}") for i, v in enumerate(listed)]
        if len(set(correct)) != len(correct):
            raise c.fail("An option is listed twice", "key.correct", "duplicate_id")
        return ItemContent(
            type=cls.name, stem=stem,
            body={"options": options, "shuffle": c.boolean(body.get("shuffle"), "body.shuffle", True)},
            key={"correct": [i for i in ids if i in correct],
                 "scoring": c.scoring(key, "all_or_nothing")},
        )

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        return c.view(cls, content, {"options": c.public(content.body["options"])})

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> list[str]:
        return c.response_ids(response, [o["id"] for o in content.body["options"]])

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        chosen = set(cls.check_response(content, response))
        correct = set(content.key["correct"])
        if content.key.get("scoring", "all_or_nothing") == "all_or_nothing":
            return ScoreResult(1.0 if chosen == correct else 0.0)
        right, wrong = len(chosen & correct), len(chosen - correct)
        return ScoreResult(max(0.0, (right - wrong) / len(correct)))
