"""matching: pair each source with a target ("ghép nối", column A with column B).

body: {"sources": [{"id": "1", "html": "..."}, ...],   2..20
       "targets": [{"id": "a", "html": "..."}, ...],   2..20, may hold extra distractors
       "shuffle": true}
      Ids are unique across sources and targets (QTI needs one namespace per item).
key:  {"pairs": {"1": "b", "2": "a", ...}, "scoring": "partial" | "all_or_nothing"}
      One target for every source (default scoring partial). Two sources may share a target.
response: {"1": "b", "2": "a"}; sources may be left out (they count as wrong).
score: partial: sources paired right / number of sources; all_or_nothing: 1 only if all right.
Student view body: {"sources": [{"id", "html"}], "targets": [{"id", "html"}]}.
"""
from __future__ import annotations

from typing import Any

from item_bank.model import ItemContent, ResponseError, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MIN_CHOICES, MAX_CHOICES = 2, 20


@register
class Matching(ItemType):
    name = "matching"
    label_vi = "Ghép nối"
    label_en = "Matching"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"sources", "targets", "shuffle"}, "body")
        c.only_fields(key, {"pairs", "scoring"}, "key")
        seen: set[str] = set()
        sources = c.choices(body, "sources", MIN_CHOICES, MAX_CHOICES, seen=seen)
        targets = c.choices(body, "targets", MIN_CHOICES, MAX_CHOICES, seen=seen)
        source_ids, target_ids = [s["id"] for s in sources], [t["id"] for t in targets]
        pairs = c.as_dict(c.required(key, "pairs", "key"), "key.pairs")
        for source in pairs:
            c.known(source, source_ids, f"key.pairs.{source}")
        clean = {s: c.known(c.required(pairs, s, "key.pairs"), target_ids, f"key.pairs.{s}")
                 for s in source_ids}
        return ItemContent(
            type=cls.name, stem=stem,
            body={"sources": sources, "targets": targets,
                  "shuffle": c.boolean(body.get("shuffle"), "body.shuffle", True)},
            key={"pairs": clean, "scoring": c.scoring(key, "partial")},
        )

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        return c.view(cls, content, {"sources": c.public(content.body["sources"]),
                                     "targets": c.public(content.body["targets"])})

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> dict[str, str]:
        if not isinstance(response, dict):
            raise ResponseError(f"Expected an object, got {type(response).__name__}", "wrong_type")
        source_ids = [s["id"] for s in content.body["sources"]]
        target_ids = [t["id"] for t in content.body["targets"]]
        return {c.response_id(s, source_ids): c.response_id(t, target_ids)
                for s, t in response.items()}

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        answers = cls.check_response(content, response)
        pairs = content.key["pairs"]
        right = sum(answers.get(s) == t for s, t in pairs.items())
        if content.key.get("scoring", "partial") == "all_or_nothing":
            return ScoreResult(1.0 if right == len(pairs) else 0.0)
        return ScoreResult(right / len(pairs))
