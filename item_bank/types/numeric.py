"""numeric: the student types a number (part III of the 2025 Vietnamese exam, "trả lời ngắn").

body: {"unit": "cm", "max_chars": 4}   both optional; unit is plain text shown after the box,
      max_chars limits what the student may type (the exam's answer grid has 4 cells).
key:  {"value": 1.5, "tolerance": 0, "tolerance_mode": "absolute" | "relative"}
      tolerance >= 0 (default 0); relative means a fraction of |value| (0.01 is 1 %).
response: the text typed, e.g. "0,5", "0.5", "-1,25", "+2", " 3 ". A comma or a point is the
      decimal separator (Vietnamese writes a comma); no exponent, no thousands separator,
      at most 32 characters (and at most max_chars once trimmed, when set).
score: 1 if |typed - value| <= tolerance (compared as decimals, so 0.1 + 0.2 issues cannot
      arise), else 0.
Student view body: {"unit", "max_chars"} when set.
Specific error code: key_not_typeable (with max_chars: no answer of at most max_chars characters
      the student could type scores 1, e.g. a key of -1.25 with 4 characters, since "-1,25" has 5).
"""
from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Any

from item_bank.model import ItemContent, ResponseError, ScoreResult
from item_bank.types import _common as c
from item_bank.types.base import ItemType, register

MAX_RESPONSE_CHARS = 32
MAX_UNIT_CHARS = 50
TOLERANCE_MODES = ("absolute", "relative")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")  # ASCII digits only


def parse_number(text: Any, max_chars: int | None = None) -> Decimal:
    """Parse what a student typed; raise ResponseError if it is not a plain decimal number."""
    text = c.response_text(text, MAX_RESPONSE_CHARS).strip().replace("\u2212", "-")
    if not _NUMBER.fullmatch(text):
        raise ResponseError(f"{text!r} is not a number", "not_a_number")
    if max_chars is not None and len(text) > max_chars:
        raise ResponseError(f"At most {max_chars} characters", "too_long")
    return Decimal(text.replace(",", "."))


def _decimal(value: float) -> Decimal:
    # Through str: Decimal(0.1) is 0.1000000000000000055..., Decimal("0.1") is what was meant.
    return Decimal(str(value))


def _shortest_text(number: Decimal) -> int:
    """Characters of the shortest text `parse_number` reads as `number` ("0.5" -> ".5": 2)."""
    sign, digits, exponent = number.normalize().as_tuple()
    if not any(digits):
        return 1                                              # "0"
    places = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent) if places else len(digits) + exponent
    return sign + max(integer_digits, 0) + (1 + places if places else 0)


def shortest_scoring_answer(value: Decimal, tolerance: Decimal) -> int:
    """The fewest characters of a typed answer within `tolerance` of `value` (absolute)."""
    best = _shortest_text(value)
    with decimal.localcontext(prec=200):
        for places in range(0, MAX_RESPONSE_CHARS):
            step = Decimal(1).scaleb(-places)
            for rounding in (decimal.ROUND_FLOOR, decimal.ROUND_CEILING):
                near = value.quantize(step, rounding=rounding)
                if abs(near - value) <= tolerance:
                    best = min(best, _shortest_text(near))
    return best


@register
class Numeric(ItemType):
    name = "numeric"
    label_vi = "Trắc nghiệm trả lời ngắn"
    label_en = "Numeric answer"

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        stem, body, key = c.start(cls, content)
        c.only_fields(body, {"unit", "max_chars"}, "body")
        c.only_fields(key, {"value", "tolerance", "tolerance_mode"}, "key")
        unit = body.get("unit", "")
        if not isinstance(unit, str):
            raise c.fail("The unit must be text", "body.unit", "wrong_type")
        if len(unit) > MAX_UNIT_CHARS:
            raise c.fail(f"The unit is longer than {MAX_UNIT_CHARS} characters", "body.unit", "too_long")
        new_body: dict[str, Any] = {"unit": unit.strip()}
        max_chars = c.optional_count(body.get("max_chars"), "body.max_chars", 1, MAX_RESPONSE_CHARS)
        if max_chars is not None:
            new_body["max_chars"] = max_chars
        value = c.number(c.required(key, "value", "key"), "key.value")
        tolerance = c.number(key.get("tolerance", 0), "key.tolerance")
        if tolerance < 0:
            raise c.fail("The tolerance cannot be negative", "key.tolerance", "bad_value")
        mode = key.get("tolerance_mode", "absolute")
        if mode not in TOLERANCE_MODES:
            raise c.fail(f"tolerance_mode must be one of {', '.join(TOLERANCE_MODES)}",
                         "key.tolerance_mode", "bad_value")
        if max_chars is not None:
            exact = _decimal(value)
            allowed = _decimal(tolerance) * (abs(exact) if mode == "relative" else 1)
            needed = shortest_scoring_answer(exact, allowed)
            if needed > max_chars:
                raise c.fail(f"The key {format(exact.normalize(), 'f').replace('.', ',')} cannot be typed in "
                             f"{max_chars} characters (it needs {needed}): raise max_chars or change the key",
                             "key.value", "key_not_typeable")
        return ItemContent(type=cls.name, stem=stem, body=new_body,
                           key={"value": value, "tolerance": tolerance, "tolerance_mode": mode})

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        shown = {k: content.body[k] for k in ("unit", "max_chars") if k in content.body}
        return c.view(cls, content, shown)

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> Decimal:
        return parse_number(response, content.body.get("max_chars"))

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        if response is None:
            return ScoreResult(0.0)
        typed = cls.check_response(content, response)
        value = _decimal(content.key["value"])
        tolerance = _decimal(content.key.get("tolerance", 0))
        # Enough precision that neither a 32-digit answer nor a float key is rounded.
        with decimal.localcontext(prec=200):
            if content.key.get("tolerance_mode", "absolute") == "relative":
                tolerance *= abs(value)
            return ScoreResult(1.0 if abs(typed - value) <= tolerance else 0.0)
