"""exam_server.results.scoring: pure paper scoring (no database)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_server.results.scoring import (
    Corrections,
    Question,
    round_score,
    score_paper,
    score_question,
)
from item_bank import types as item_types
from item_bank.types.examples import example

D = Decimal

# The right response to each example item.
KEY_RESPONSES = {
    "single_choice": lambda c: c.key["correct"],
    "multiple_response": lambda c: list(c.key["correct"]),
    "true_false_cluster": lambda c: dict(c.key["values"]),
    "numeric": lambda c: str(c.key["value"]).replace(".", ","),
    "text_entry": lambda c: c.key["accepted"][0],
    "matching": lambda c: dict(c.key["pairs"]),
    "ordering": lambda c: list(c.key["order"]),
}


def content(item_type: str, **key):
    raw = example(item_type)
    if key:
        raw = type(raw)(type=raw.type, stem=raw.stem, body=raw.body, key={**raw.key, **key})
    return item_types.validate_content(raw)


def tf(values=None):
    return content("true_false_cluster", **({"values": values} if values else {}))


def paper_2025():
    """A 2025-style maths paper: 12 single choice x 0.25, 4 true/false clusters x 1, 6 numeric x 0.5."""
    questions, n = [], 0
    for _ in range(12):
        n += 1
        questions.append(Question(n, 100 + n, content("single_choice"), D("0.25")))
    for _ in range(4):
        n += 1
        questions.append(Question(n, 100 + n, tf({"a": True, "b": False, "c": True, "d": False}), D("1")))
    for i in range(6):
        n += 1
        questions.append(Question(n, 100 + n, content("numeric", value=1.5 + i, tolerance=0.05), D("0.5")))
    return questions


def keyed_answers(questions):
    return {q.number: KEY_RESPONSES[q.content.type](q.content) for q in questions
            if q.content.type in KEY_RESPONSES}


def test_every_type_scores_its_key_fully():
    for item_type, respond in KEY_RESPONSES.items():
        c = content(item_type)
        scored = score_question(Question(1, 1, c, D("1.5")), respond(c))
        assert (scored.fraction, scored.points, scored.needs_manual) == (1, D("1.5"), False), item_type


def test_full_paper_keys_score_ten_and_blank_scores_zero():
    questions = paper_2025()
    result = score_paper(questions, keyed_answers(questions), "0.25")
    assert result.score == D("10.00") and result.raw_points == 10 and result.status == "final"
    blank = score_paper(questions, {}, "0.01")
    assert blank.score == 0 and blank.raw_points == 0


def test_true_false_cluster_table_on_a_paper():
    """Part II: 0, 1, 2, 3, 4 statements right give 0, 0.1, 0.25, 0.5, 1 of the question's points."""
    key = {"a": True, "b": False, "c": True, "d": False}
    questions = [Question(n, n, tf(key), D("1")) for n in range(1, 6)]
    answers = {}
    for right in range(5):
        answers[right + 1] = {k: (v if i < right else not v) for i, (k, v) in enumerate(key.items())}
    result = score_paper(questions, answers, "0.01")
    assert [q.points for q in result.questions] == [D(0), D("0.1"), D("0.25"), D("0.5"), D(1)]
    assert result.raw_points == D("1.85")
    # statements left out count as wrong
    assert score_question(questions[0], {"a": True}).fraction == D("0.1")


def test_numeric_tolerance_on_a_paper():
    questions = [Question(1, 1, content("numeric", value=2.5, tolerance=0.05), D("0.5")),
                 Question(2, 2, content("numeric", value=100, tolerance=0.01, tolerance_mode="relative"), D("0.5")),
                 Question(3, 3, content("numeric", value=0.3, tolerance=0), D("0.5"))]
    answers = {1: "2,55", 2: "101", 3: "0,3"}
    assert [q.fraction for q in score_paper(questions, answers, "0.01").questions] == [1, 1, 1]
    answers = {1: "2,5501", 2: "101,01", 3: "0,30001"}
    assert [q.fraction for q in score_paper(questions, answers, "0.01").questions] == [0, 0, 0]


def test_partial_fractions_have_no_float_drift():
    c = content("matching")  # example matching: partial scoring
    pairs = c.key["pairs"]
    first = next(iter(pairs))
    scored = score_question(Question(1, 1, c, D("1")), {first: pairs[first]})
    assert scored.points == (D(1) / len(pairs)).quantize(D("0.0001"))


def test_invalid_response_scores_zero_not_an_error():
    q = Question(1, 1, content("single_choice"), D("0.25"))
    for bad in ("Z", 5, {"x": 1}, ["A"], "A" * 10_000):
        scored = score_question(q, bad)
        assert scored.fraction == 0 and scored.invalid


@pytest.mark.parametrize("value, rounding, expected", [
    ("7.125", "0.25", "7.25"), ("7.1249", "0.25", "7.00"), ("7.375", "0.25", "7.50"),
    ("7.3749", "0.25", "7.25"), ("9.9", "0.25", "10.00"), ("0.1", "0.25", "0.00"), ("0.125", "0.25", "0.25"),
    ("6.005", "0.01", "6.01"), ("6.0049", "0.01", "6.00"), ("10.2", "0.01", "10.00"), ("-1", "0.25", "0.00"),
])
def test_rounding_cases(value, rounding, expected):
    assert round_score(D(value), rounding) == D(expected)


def test_unknown_rounding_is_refused():
    with pytest.raises(ValueError):
        round_score(D(1), "0.5")


def test_scaled_to_ten_when_the_paper_does_not_total_ten():
    qs = [Question(1, 1, content("single_choice"), D("3")), Question(2, 2, content("single_choice"), D("3"))]
    assert score_paper(qs, {1: "A"}, "0.01").score == D("5.00")


# --- corrections --------------------------------------------------------------------------------

def test_drop_awards_the_points_to_everyone():
    questions = paper_2025()
    corrections = Corrections(dropped=frozenset({101}))
    for answers in ({}, {1: "B"}, {1: "A"}):
        scored = score_paper(questions, answers, "0.01", corrections).questions[0]
        assert scored.dropped and scored.points == D("0.25")


def test_accept_keys_takes_the_best_key():
    q = Question(1, 7, content("single_choice"), D("0.25"))
    corrections = Corrections(accepted_keys={7: ({"correct": "B"},)})
    assert score_question(q, "B", corrections).points == D("0.25")
    assert score_question(q, "A", corrections).points == D("0.25")
    assert score_question(q, "C", corrections).points == 0
    assert score_question(q, "B").points == 0


# --- essays ---------------------------------------------------------------------------------------

def test_essay_is_pending_until_scored_and_then_final():
    questions = [Question(1, 1, content("single_choice"), D("8")), Question(2, 2, content("extended_text"), D("2"))]
    provisional = score_paper(questions, {1: "A", 2: "Bài làm"}, "0.25")
    assert provisional.status == "provisional" and provisional.pending == 1 and provisional.score == 8
    assert provisional.questions[1].needs_manual and provisional.questions[1].points is None
    final = score_paper(questions, {1: "A", 2: "Bài làm"}, "0.25", manual_fractions={2: D("0.75")})
    assert final.status == "final" and final.score == D("9.50")
    # an empty essay has nothing to mark
    assert score_paper(questions, {1: "A", 2: "   "}, "0.25").status == "final"
    # a dropped essay is awarded without marking
    dropped = score_paper(questions, {2: "x"}, "0.25", Corrections(dropped=frozenset({2})))
    assert dropped.status == "final" and dropped.raw_points == 2


# --- properties -----------------------------------------------------------------------------------

TF_KEY = {"a": True, "b": False, "c": True, "d": False}
response_for = {
    "single_choice": st.sampled_from(["A", "B", "C", "D", None, "Z"]),
    "true_false_cluster": st.dictionaries(st.sampled_from("abcd"), st.booleans()) | st.none(),
    "numeric": st.decimals(min_value=-10, max_value=10, places=2, allow_nan=False).map(str) | st.none(),
}
question_types = st.sampled_from(sorted(response_for))
CONTENTS = {"single_choice": content("single_choice"), "true_false_cluster": tf(TF_KEY),
            "numeric": content("numeric", value=1.25, tolerance=0.1)}


@st.composite
def papers(draw):
    """A paper whose points total 10 in quarter points, with random responses."""
    n = draw(st.integers(1, 12))
    quarters = draw(st.lists(st.integers(1, 40), min_size=n, max_size=n))
    total = sum(quarters)
    # scale to 40 quarters (10 points): give the remainder to the last question, keep >= 1
    quarters = [max(1, q * 40 // total) for q in quarters]
    quarters[-1] += 40 - sum(quarters)
    if quarters[-1] < 1:
        quarters = [40 // n] * n
        quarters[-1] += 40 - sum(quarters)
    types = draw(st.lists(question_types, min_size=n, max_size=n))
    questions = [Question(i + 1, i + 1, CONTENTS[t], D(q) / 4) for i, (t, q) in enumerate(zip(types, quarters))]
    answers = {q.number: draw(response_for[q.content.type]) for q in questions}
    return questions, answers


@settings(max_examples=150, deadline=None)
@given(papers(), st.sampled_from(["0.25", "0.01"]))
def test_score_always_within_zero_and_ten(paper, rounding):
    questions, answers = paper
    result = score_paper(questions, answers, rounding)
    assert sum(q.points for q in questions) == 10
    assert D(0) <= result.score <= D(10)
    assert D(0) <= result.raw_points <= D(10)
    assert result.score % D(rounding) == 0


@settings(max_examples=150, deadline=None)
@given(papers(), st.sampled_from(["0.25", "0.01"]))
def test_the_keys_score_ten(paper, rounding):
    questions, _ = paper
    assert score_paper(questions, keyed_answers(questions), rounding).score == D(10)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-1, max_value=11, places=4, allow_nan=False),
       st.decimals(min_value=-1, max_value=11, places=4, allow_nan=False), st.sampled_from(["0.25", "0.01"]))
def test_rounding_is_monotonic_and_close(a, b, rounding):
    low, high = sorted((a, b))
    assert round_score(low, rounding) <= round_score(high, rounding)
    clamped = min(max(a, D(0)), D(10))
    assert abs(round_score(a, rounding) - clamped) <= D(rounding) / 2


@settings(max_examples=150, deadline=None)
@given(papers(), st.sampled_from(["0.25", "0.01"]), st.data())
def test_corrections_never_lower_a_score(paper, rounding, data):
    """Dropping a question or accepting another key can only help a candidate."""
    questions, answers = paper
    before = score_paper(questions, answers, rounding)
    target = data.draw(st.sampled_from(questions))
    dropped = score_paper(questions, answers, rounding, Corrections(dropped=frozenset({target.item_version_id})))
    assert dropped.raw_points >= before.raw_points and dropped.score >= before.score
    assert dropped.raw_points - before.raw_points <= target.points
    if target.content.type == "single_choice":
        extra = Corrections(accepted_keys={target.item_version_id: ({"correct": data.draw(st.sampled_from("ABCD"))},)})
        assert score_paper(questions, answers, rounding, extra).raw_points >= before.raw_points
