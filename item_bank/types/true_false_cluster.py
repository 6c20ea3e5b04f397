"""true_false_cluster: four statements about one stem, each true or false.

This is part II of the 2025 Vietnamese upper-secondary graduation exam ("câu trắc nghiệm đúng
sai"), scored by how many of the four statements are judged right.

body: {"statements": [{"id": "a", "html": "..."}, ... exactly 4]}
key:  {"values": {"a": true, "b": false, "c": true, "d": false}}   one boolean per statement
response: {"a": true, "c": false, ...}; statements may be left out (they count as wrong).
score: statements judged right 0 -> 0, 1 -> 0.1, 2 -> 0.25, 3 -> 0.5, 4 -> 1.
Student view body: {"statements": [{"id", "html"}, ...]}.
Specific error code: wrong_statement_count (not exactly 4 statements).
"""
from __future__ import annotations

from typing import Any

from item_bank.model import ItemContent, ResponseError, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

STATEMENTS = 4
# Fraction of the item's points by number of statements right (Bộ GD&ĐT, 2025 exam format).
FRACTION_BY_RIGHT = (0.0, 0.1, 0.25, 0.5, 1.0)


@register
class TrueFalseCluster(ItemType):
    name = "true_false_cluster"
    label_vi = "Trắc nghiệm đúng sai"
    label_en = "True/false cluster"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"statements"}, "body")
        c.only_fields(key, {"values"}, "key")
        statements = c.choices(body, "statements", STATEMENTS, STATEMENTS,
                               count_code="wrong_statement_count")
        ids = [s["id"] for s in statements]
        values = c.as_dict(c.required(key, "values", "key"), "key.values")
        for ident in values:
            c.known(ident, ids, f"key.values.{ident}")
        clean = {}
        for ident in ids:
            value = c.required(values, ident, "key.values")
            if not isinstance(value, bool):
                raise c.fail(f"Expected true or false, got {value!r}", f"key.values.{ident}", "wrong_type")
            clean[ident] = value
        return ItemContent(type=cls.name, stem=stem, body={"statements": statements},
                           key={"values": clean})

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        return c.view(cls, content, {"statements": c.public(content.body["statements"])})

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> dict[str, bool]:
        if not isinstance(response, dict):
            raise ResponseError(f"Expected an object, got {type(response).__name__}", "wrong_type")
        ids = [s["id"] for s in content.body["statements"]]
        for ident, value in response.items():
            c.response_id(ident, ids)
            if not isinstance(value, bool):
                raise ResponseError(f"Expected true or false for {ident!r}", "wrong_type")
        return dict(response)

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        answers = cls.check_response(content, response)
        right = sum(answers.get(ident) is value for ident, value in content.key["values"].items())
        return ScoreResult(FRACTION_BY_RIGHT[right])
