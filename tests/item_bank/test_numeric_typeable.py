"""A numeric item's key must be typeable in its answer box: with max_chars set, some answer of at
most max_chars characters must score 1. Expected lengths come from a hand-written table (the
shortest text `parse_number` reads: "-1,25" is 5 characters, ",5" is 2)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank import types
from item_bank.model import ItemContent, ItemValidationError
from item_bank.types.numeric import parse_number


def numeric(value, max_chars=None, tolerance=0, mode="absolute") -> ItemContent:
    body = {} if max_chars is None else {"max_chars": max_chars}
    return ItemContent(type="numeric", stem="<p>?</p>", body=body,
                       key={"value": value, "tolerance": tolerance, "tolerance_mode": mode})


# (key, tolerance, mode, the fewest characters of an answer that scores 1) by hand.
TABLE = [
    (-1.25, 0, "absolute", 5),      # "-1,25"
    (1.25, 0, "absolute", 4),       # "1,25"
    (0.5, 0, "absolute", 2),        # ",5" (the parser reads it; "0,5" is 3)
    (-0.5, 0, "absolute", 3),       # "-,5"
    (2024, 0, "absolute", 4),
    (-2024, 0, "absolute", 5),
    (0, 0, "absolute", 1),
    (3.14159, 0.01, "absolute", 4),  # "3,14"
    (-1.25, 0.05, "absolute", 4),   # "-1,2" or "-1,3"
    (1234.5, 0.001, "relative", 4), # 1234.5 +- 1.2345: "1234" or "1235"
    (99.95, 0.05, "absolute", 3),   # "100" (3) beats "99,9" (4)
]


@pytest.mark.parametrize(("value", "tolerance", "mode", "needed"), TABLE)
def test_keys_are_accepted_from_their_length_and_refused_below(value, tolerance, mode, needed):
    types.validate_content(numeric(value, needed, tolerance, mode))          # exactly enough
    types.validate_content(numeric(value, None, tolerance, mode))            # no limit: no rule
    if needed > 1:                                                          # one character fewer
        with pytest.raises(ItemValidationError) as refused:
            types.validate_content(numeric(value, needed - 1, tolerance, mode))
        assert refused.value.code == "key_not_typeable" and refused.value.field == "key.value"


def test_the_issue_example_says_why():
    with pytest.raises(ItemValidationError) as refused:
        types.validate_content(numeric(-1.25, 4))
    assert refused.value.code == "key_not_typeable" and refused.value.field == "key.value"
    assert "-1,25" in refused.value.message and "4" in refused.value.message


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-10000, max_value=10000, places=3, allow_nan=False, allow_infinity=False),
       st.integers(min_value=1, max_value=8))
def test_accepted_keys_have_a_scoring_answer_in_the_box(value, max_chars):
    """Whenever the item is accepted, some text of at most max_chars characters scores 1; whenever
    it is refused, the key's own plain writing (both separators, with and without a leading zero)
    does not fit."""
    content = numeric(float(value), max_chars)
    plain = format(Decimal(str(float(value))).normalize(), "f")
    writings = {plain, plain.replace(".", ","), plain.replace("0.", ".", 1) if plain.lstrip("-").startswith("0.")
                else plain}
    fits = [w for w in writings if len(w) <= max_chars]
    try:
        checked = types.validate_content(content)
    except ItemValidationError as exc:
        assert exc.code == "key_not_typeable"
        assert not fits, (value, max_chars, fits)
        return
    assert fits, (value, max_chars)
    for w in fits:
        assert parse_number(w, max_chars) is not None
        assert types.score(checked, w).fraction == 1.0
