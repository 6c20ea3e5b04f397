"""ordering: put 2 to 20 choices in the right order ("sắp xếp thứ tự").

body: {"choices": [{"id": "a", "html": "..."}, ...], "shuffle": true}
key:  {"order": ["c", "a", "b"], "scoring": "all_or_nothing" | "partial"}
      order lists every choice id exactly once (default scoring all_or_nothing).
response: a list of all the choice ids, a permutation, e.g. ["a", "c", "b"].
score: all_or_nothing: 1 only for the exact order; partial: fraction of positions right.
Student view body: {"choices": [{"id", "html"}, ...]} in stored order.
Specific error codes: bad_order (key.order not a permutation of the choices),
order_revealed (shuffle false while the choices are stored in the right order: the student
would see the answer).
"""
from __future__ import annotations

from typing import Any

from item_bank.model import ItemContent, ResponseError, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MIN_CHOICES, MAX_CHOICES = 2, 20


@register
class Ordering(ItemType):
    name = "ordering"
    label_vi = "Sắp xếp thứ tự"
    label_en = "Ordering"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"choices", "shuffle"}, "body")
        c.only_fields(key, {"order", "scoring"}, "key")
        choices = c.choices(body, "choices", MIN_CHOICES, MAX_CHOICES)
        ids = [ch["id"] for ch in choices]
        listed = c.as_list(c.required(key, "order", "key"), "key.order")
        order = [c.known(v, ids, f"key.order.{i}") for i, v in enumerate(listed)]
        if sorted(order) != sorted(ids):
            raise c.fail("The order must list every choice exactly once", "key.order", "bad_order")
        shuffle = c.boolean(body.get("shuffle"), "body.shuffle", True)
        if not shuffle and order == ids:
            raise c.fail("Choices are stored in the right order and not shuffled", "body.shuffle",
                         "order_revealed")
        return ItemContent(type=cls.name, stem=stem, body={"choices": choices, "shuffle": shuffle},
                           key={"order": order, "scoring": c.scoring(key, "all_or_nothing")})

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        return c.view(cls, content, {"choices": c.public(content.body["choices"])})

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> list[str]:
        ids = [ch["id"] for ch in content.body["choices"]]
        order = c.response_ids(response, ids)
        if len(order) != len(ids):
            raise ResponseError("The response must place every choice", "incomplete")
        return order

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        given = cls.check_response(content, response)
        order = content.key["order"]
        right = sum(a == b for a, b in zip(given, order))
        if content.key.get("scoring", "all_or_nothing") == "all_or_nothing":
            return ScoreResult(1.0 if right == len(order) else 0.0)
        return ScoreResult(right / len(order))
