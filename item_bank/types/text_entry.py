"""text_entry: the student types a short text (a word, a name, a formula written as text).

body: {"expected_length": 20}   optional, a hint for the width of the box (1..1000)
key:  {"accepted": ["Hà Nội", "Ha Noi"], "match": "exact" | "normalised" | "fold"}
      At least one non-empty accepted answer (plain text, at most 1000 characters each).
      match (default "normalised"):
        exact: the same text once trimmed and in Unicode NFC (case and spacing matter);
        normalised: case and runs of spaces ignored (item_bank.text.normalise), diacritics kept;
        fold: diacritics ignored as well, đ = d (item_bank.text.fold).
response: the text typed, at most 1000 characters.
score: 1 if it matches an accepted answer, else 0; blank counts as wrong.
Student view body: {"expected_length"} when set.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from item_bank.model import ItemContent, ScoreResult
from item_bank.text import fold, normalise
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MAX_CHARS = 1000
MAX_ACCEPTED = 100


def _exact(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


MATCHERS: dict[str, Callable[[str], str]] = {"exact": _exact, "normalised": normalise, "fold": fold}


@register
class TextEntry(ItemType):
    name = "text_entry"
    label_vi = "Điền từ"
    label_en = "Text entry"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"expected_length"}, "body")
        c.only_fields(key, {"accepted", "match"}, "key")
        new_body = {}
        length = c.optional_count(body.get("expected_length"), "body.expected_length", 1, MAX_CHARS)
        if length is not None:
            new_body["expected_length"] = length
        match = key.get("match", "normalised")
        if match not in MATCHERS:
            raise c.fail(f"match must be one of {', '.join(MATCHERS)}", "key.match", "bad_value")
        accepted = c.as_list(c.required(key, "accepted", "key"), "key.accepted")
        if not accepted:
            raise c.fail("At least one accepted answer is required", "key.accepted", "missing_key")
        if len(accepted) > MAX_ACCEPTED:
            raise c.fail(f"At most {MAX_ACCEPTED} accepted answers", "key.accepted", "too_long")
        clean = []
        for i, answer in enumerate(accepted):
            field = f"key.accepted.{i}"
            if not isinstance(answer, str):
                raise c.fail(f"Expected text, got {answer!r}", field, "wrong_type")
            answer = _exact(answer)
            if not MATCHERS[match](answer):
                # e.g. a lone combining accent under "fold": nothing a student could type matches
                raise c.fail("An accepted answer is empty", field, "bad_value")
            if len(answer) > MAX_CHARS:
                raise c.fail(f"Longer than {MAX_CHARS} characters", field, "too_long")
            clean.append(answer)
        return ItemContent(type=cls.name, stem=stem, body=new_body,
                           key={"accepted": clean, "match": match})

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        shown = {k: content.body[k] for k in ("expected_length",) if k in content.body}
        return c.view(cls, content, shown)

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> str:
        return c.response_text(response, MAX_CHARS)

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        key = MATCHERS[content.key.get("match", "normalised")]
        typed = key(cls.check_response(content, response))
        right = bool(typed) and typed in {key(a) for a in content.key["accepted"]}
        return ScoreResult(1.0 if right else 0.0)
