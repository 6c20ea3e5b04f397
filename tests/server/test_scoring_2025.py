"""Scores of 2025 graduation-exam papers keep the exact sum (issue 10).

The 2025 format (Bộ GD&ĐT, Quyết định 764/QĐ-BGDĐT and the 2025 exam structure): part I
multiple choice at 0.25 a question; part II true/false clusters of four statements scored 0.1,
0.25, 0.5 or 1 point for 1, 2, 3 or 4 statements right; part III short answers at 0.5 (mathematics)
or 0.25 (physics, chemistry, biology). The score is the exact sum on the 10-point scale with two
decimals. Expected scores below come from that rule written out here, not from the scoring code.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_server.results.scoring import Question, score_paper
from item_bank import types as item_types
from item_bank.types.examples import example

D = Decimal
TF_POINTS = {0: D("0"), 1: D("0.1"), 2: D("0.25"), 3: D("0.5"), 4: D("1")}   # by statements right
# subject -> (multiple choice count, true/false clusters, short answers, points per short answer)
FORMATS_2025 = {
    "mathematics": (12, 4, 6, D("0.5")),
    "physics": (18, 4, 6, D("0.25")),
    "chemistry": (18, 4, 6, D("0.25")),
    "biology": (18, 4, 6, D("0.25")),
    "history": (24, 4, 0, D("0")),
    "geography": (24, 4, 0, D("0")),
    "economics_and_law": (24, 4, 0, D("0")),
    "informatics": (24, 4, 0, D("0")),
    "english": (40, 0, 0, D("0")),
}

SC = item_types.validate_content(example("single_choice"))          # key "A"
TF_KEY = {"a": True, "b": False, "c": True, "d": False}
TF = item_types.validate_content(type(example("true_false_cluster"))(
    type="true_false_cluster", stem="<p>?</p>", body=example("true_false_cluster").body, key={"values": TF_KEY}))
NUM = item_types.validate_content(example("numeric"))               # key 1.25, 4 characters


def test_every_format_totals_ten():
    for subject, (mc, tf, short, short_points) in FORMATS_2025.items():
        assert mc * D("0.25") + tf * D("1") + short * short_points == 10, subject


def build(subject: str, right_mc: list[bool], tf_right: list[int], right_short: list[bool]):
    """The paper's questions, the candidate's answers, and the expected score by the rule."""
    mc, tf, short, short_points = FORMATS_2025[subject]
    questions, answers, expected, n = [], {}, D(0), 0
    for ok in right_mc[:mc]:
        n += 1
        questions.append(Question(n, n, SC, D("0.25")))
        answers[n] = "A" if ok else "B"
        expected += D("0.25") if ok else 0
    for right in tf_right[:tf]:
        n += 1
        questions.append(Question(n, n, TF, D("1")))
        answers[n] = {k: (v if i < right else not v) for i, (k, v) in enumerate(TF_KEY.items())}
        expected += TF_POINTS[right]
    for ok in right_short[:short]:
        n += 1
        questions.append(Question(n, n, NUM, short_points))
        answers[n] = "1,25" if ok else "-1,2"
        expected += short_points if ok else 0
    return questions, answers, expected


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(FORMATS_2025)), st.lists(st.booleans(), min_size=40, max_size=40),
       st.lists(st.integers(0, 4), min_size=4, max_size=4), st.lists(st.booleans(), min_size=6, max_size=6))
def test_random_2025_papers_keep_the_exact_sum(subject, right_mc, tf_right, right_short):
    questions, answers, expected = build(subject, right_mc, tf_right, right_short)
    scored = score_paper(questions, answers, "0.01")
    assert scored.max_points == 10
    assert scored.raw_points == expected
    assert scored.score == expected.quantize(D("0.01")) and scored.score == expected   # nothing rounded away
    assert str(scored.score) == format(expected, ".2f")                                # two decimals


def _issue_example(subject: str, mc_right: int, tf_right: list[int], short_right: int):
    mc, _tf, short, _points = FORMATS_2025[subject]
    return build(subject, [i < mc_right for i in range(mc)], tf_right, [i < short_right for i in range(short)])


@pytest.mark.parametrize(("subject", "mc_right", "tf_right", "short_right", "exact", "quarter"), [
    # 9 x 0.25 + (1 + 0.5 + 0.25 + 0.1) + 6 x 0.5 = 2.25 + 1.85 + 3 = 7.10 (7.00 to a quarter)
    ("mathematics", 9, [4, 3, 2, 1], 6, "7.10", "7.00"),
    # 14 x 0.25 + (1 + 0.5 + 0.25 + 0.1) + 2 x 0.25 = 3.5 + 1.85 + 0.5 = 5.85 (5.75 to a quarter)
    ("physics", 14, [4, 3, 2, 1], 2, "5.85", "5.75"),
])
def test_the_issue_examples(subject, mc_right, tf_right, short_right, exact, quarter):
    questions, answers, expected = _issue_example(subject, mc_right, tf_right, short_right)
    assert expected == D(exact)
    assert score_paper(questions, answers, "0.01").score == D(exact)
    assert score_paper(questions, answers, "0.25").score == D(quarter)      # only when asked for


def test_a_new_exam_keeps_the_exact_sum_by_default(client, token_for):
    from tests.server.test_exams import EXAM

    admin = token_for("admin")
    payload = {k: v for k, v in EXAM.items() if k != "score_rounding"}
    created = client.post("/api/v1/exams", json=payload, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["score_rounding"] == "0.01"
    quarter = client.post("/api/v1/exams", json={**payload, "score_rounding": "0.25"}, headers=admin)
    assert quarter.status_code == 201 and quarter.get_json()["score_rounding"] == "0.25"
