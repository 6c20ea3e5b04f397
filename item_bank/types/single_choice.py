"""single_choice: one right option among 2 to 10 (the Vietnamese exam uses 4: A, B, C, D).

body: {"options": [{"id": "A", "html": "...", "fixed": false}, ...], "shuffle": true}
      "fixed" keeps an option in place when options are shuffled ("All of the above").
key:  {"correct": "A"}
response: an option id, e.g. "A".
score: 1 if the chosen option is the correct one, else 0.
Student view body: {"options": [{"id", "html"}, ...]}.
"""
from __future__ import annotations

from typing import Any

from item_bank.model import ItemContent, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MIN_OPTIONS, MAX_OPTIONS = 2, 10


@register
class SingleChoice(ItemType):
    name = "single_choice"
    label_vi = "Trắc nghiệm nhiều phương án lựa chọn"
    label_en = "Single choice"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"options", "shuffle"}, "body")
        c.only_fields(key, {"correct"}, "key")
        options = c.choices(body, "options", MIN_OPTIONS, MAX_OPTIONS, extra=frozenset({"fixed"}))
        ids = [o["id"] for o in options]
        correct = c.known(c.required(key, "correct", "key"), ids, "key.correct")
        return ItemContent(
            type=cls.name, stem=stem,
            body={"options": options, "shuffle": c.boolean(body.get("shuffle"), "body.shuffle", True)},
            key={"correct": correct},
        )

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        return c.view(cls, content, {"options": c.public(content.body["options"])})

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> str:
        return c.response_id(response, [o["id"] for o in content.body["options"]])

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        chosen = cls.check_response(content, response)
        return ScoreResult(1.0 if chosen == content.key["correct"] else 0.0)
