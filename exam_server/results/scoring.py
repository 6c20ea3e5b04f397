"""Scoring a paper: pure functions, no database, no Flask.

Inputs are the paper's questions (pinned content and points), the candidate's latest responses,
the exam's corrections and, for essays, the resolved teacher scores. All arithmetic is Decimal.

Rules (documented here, tested in tests/server/test_scoring.py):

* A question's points = fraction x the question's points, the fraction coming from
  `item_bank.types.score` on the pinned version (Decimal(str(fraction)): 0.1 is 0.1, not
  0.1000000000000000055...), kept to 4 decimal places (half up).
* A response of the wrong shape (it should not happen: the live server checks shapes when it
  stores an answer) scores 0 and is marked `invalid`; it never fails the whole paper.
* Correction "drop" (a faulty question, "câu hỏi bị lỗi"): following Vietnamese practice the
  question's points are awarded to every candidate ("cho điểm tất cả thí sinh"), whatever they
  answered; the other questions are unchanged. A dropped essay is not marked.
* Correction "accept_keys": additional keys for a question's item version (each a key of the
  item's own type, e.g. {"correct": "B"} for single choice); the question scores the best
  fraction over the original key and every accepted key.
* Essays (needs_manual) are pending until a resolved teacher score is given (as a fraction of
  the rubric's maximum); pending questions count 0 in the provisional total.
* The exam score is on the 0..10 scale: the total points (a blueprint totals 10; were the
  paper's maximum different, the total is scaled to 10), clamped to [0, 10], then rounded per
  the exam's `score_rounding`: "0.01" (the default of a new exam) keeps the exact sum on the
  10-point scale with two decimals, as the 2025 graduation-exam format does (0.25 per
  multiple-choice item, 0.1 / 0.25 / 0.5 / 1 per true/false cluster, 0.25 or 0.5 per short
  answer: every sum has at most two decimals, so nothing is rounded; a scaled total is rounded
  to the nearest hundredth, half up); "0.25", an explicit setting, rounds to the nearest
  quarter, half up (x.125 -> x.25, x.375 -> x.5, so 7.125 -> 7.25 and 7.1249 -> 7.0).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from item_bank import types as item_types
from item_bank.model import ItemContent, ItemValidationError, ResponseError

TEN = Decimal(10)
ZERO = Decimal(0)
ONE = Decimal(1)
POINTS_PLACES = Decimal("0.0001")
FRACTION_PLACES = Decimal("0.00001")
ROUNDING_STEPS = {"0.25": Decimal("0.25"), "0.01": Decimal("0.01")}


def to_decimal(value: Any) -> Decimal:
    """A number as a Decimal without binary noise (floats go through their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a number: {value!r}")
    return Decimal(str(value))


def quantize_points(value: Decimal) -> Decimal:
    return value.quantize(POINTS_PLACES, rounding=ROUND_HALF_UP)


def quantize_fraction(value: Decimal) -> Decimal:
    return value.quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP)


def round_score(value: Decimal, rounding: str) -> Decimal:
    """Round a 0..10 score to the exam's step ("0.25" or "0.01"), half up; result clamped to [0, 10]."""
    try:
        step = ROUNDING_STEPS[rounding]
    except KeyError:
        raise ValueError(f"unknown score rounding {rounding!r}") from None
    value = min(max(to_decimal(value), ZERO), TEN)
    steps = (value / step).quantize(ONE, rounding=ROUND_HALF_UP)
    return (steps * step).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Question:
    """One question of a paper: its number in the candidate's order, the pinned item version."""

    number: int
    item_version_id: int
    content: ItemContent
    points: Decimal


@dataclass(frozen=True)
class Corrections:
    """The exam's corrections, by item version id."""

    dropped: frozenset[int] = frozenset()
    accepted_keys: Mapping[int, tuple[dict[str, Any], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredQuestion:
    number: int
    item_version_id: int
    response: Any
    max_points: Decimal
    fraction: Decimal | None        # None: an essay awaiting its teacher score
    points: Decimal | None
    needs_manual: bool               # an essay to be marked by teachers (pending or resolved)
    dropped: bool = False
    invalid: bool = False

    @property
    def pending(self) -> bool:
        return self.fraction is None


@dataclass(frozen=True)
class PaperScore:
    questions: tuple[ScoredQuestion, ...]
    raw_points: Decimal      # sum of awarded points (pending essays count 0)
    max_points: Decimal
    score: Decimal           # 0..10, rounded per the exam
    theta: float | None = None       # adaptive exams: the EAP ability and its SE (the score is
    theta_se: float | None = None    # then the expected share of the pool's points at θ)

    @property
    def pending(self) -> int:
        return sum(q.pending for q in self.questions)

    @property
    def status(self) -> str:
        return "provisional" if self.pending else "final"


def _fraction(content: ItemContent, response: Any) -> tuple[Decimal, bool, bool]:
    """(fraction, needs_manual, invalid) for one key."""
    try:
        result = item_types.score(content, response)
    except (ResponseError, ItemValidationError, TypeError, ValueError, KeyError, AttributeError):
        return ZERO, False, True
    fraction = min(max(to_decimal(result.fraction), ZERO), ONE)
    return quantize_fraction(fraction), bool(result.needs_manual), False


def score_question(question: Question, response: Any, corrections: Corrections | None = None,
                   manual_fraction: Decimal | None = None) -> ScoredQuestion:
    corrections = corrections or Corrections()
    points = to_decimal(question.points)
    base = {"number": question.number, "item_version_id": question.item_version_id, "response": response,
            "max_points": points}
    if question.item_version_id in corrections.dropped:
        needs_manual = question.content.type == "extended_text"
        return ScoredQuestion(**base, fraction=ONE, points=quantize_points(points), needs_manual=needs_manual,
                              dropped=True)
    fraction, needs_manual, invalid = _fraction(question.content, response)
    for key in corrections.accepted_keys.get(question.item_version_id, ()):
        other, _, other_invalid = _fraction(dataclasses.replace(question.content, key=key), response)
        if not other_invalid:
            fraction = max(fraction, other)
    if needs_manual:
        if manual_fraction is None:
            return ScoredQuestion(**base, fraction=None, points=None, needs_manual=True)
        fraction = quantize_fraction(min(max(to_decimal(manual_fraction), ZERO), ONE))
    return ScoredQuestion(**base, fraction=fraction, points=quantize_points(fraction * points),
                          needs_manual=needs_manual, invalid=invalid)


def score_paper(questions: Iterable[Question], answers: Mapping[int, Any], rounding: str,
                corrections: Corrections | None = None,
                manual_fractions: Mapping[int, Decimal] | None = None) -> PaperScore:
    """Score a whole paper. `answers` maps question numbers to the latest responses (missing =
    unanswered); `manual_fractions` maps essay question numbers to their resolved fraction."""
    manual_fractions = manual_fractions or {}
    scored = tuple(score_question(q, answers.get(q.number), corrections, manual_fractions.get(q.number))
                   for q in questions)
    raw = sum((q.points for q in scored if q.points is not None), ZERO)
    maximum = sum((q.max_points for q in scored), ZERO)
    if maximum <= 0:
        on_ten = ZERO
    elif maximum == TEN:
        on_ten = raw
    else:
        with localcontext(prec=50):
            on_ten = raw * TEN / maximum
    return PaperScore(questions=scored, raw_points=raw, max_points=maximum, score=round_score(on_ten, rounding))
