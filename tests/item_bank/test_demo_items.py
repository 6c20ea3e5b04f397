"""The demo bank (exam_server/demo/items.json): valid items, keys that score full marks, and answers
recomputed here independently so that a wrong key cannot hide in the demo."""
from __future__ import annotations

import json
import math
from collections import Counter
from fractions import Fraction
from itertools import permutations
from pathlib import Path

import pytest

from item_bank.model import SUBJECTS, CognitiveLevel
from item_bank.serialize import IDENTIFIER_RE, item_from_dict
from item_bank.types import score, student_view, validate_item

ITEMS_FILE = Path(__file__).resolve().parents[2] / "exam_server" / "demo" / "items.json"
RECORDS = json.loads(ITEMS_FILE.read_text(encoding="utf-8"))
BY_ID = {r["identifier"]: r for r in RECORDS}


def full_marks_response(content) -> object:
    """The response a student who knows the key gives, in the response shape of each type."""
    key = content.key
    match content.type:
        case "single_choice":
            return key["correct"]
        case "multiple_response":
            return list(key["correct"])
        case "true_false_cluster":
            return dict(key["values"])
        case "numeric":
            return str(key["value"]).replace(".", ",")     # as Vietnamese students type it
        case "text_entry":
            return key["accepted"][0]
        case "matching":
            return dict(key["pairs"])
        case "ordering":
            return list(key["order"])
    raise AssertionError(content.type)


@pytest.mark.parametrize("record", RECORDS, ids=[r["identifier"] for r in RECORDS])
def test_demo_item_validates_and_its_key_scores_full_marks(record):
    item = validate_item(item_from_dict(record))
    assert IDENTIFIER_RE.match(item.identifier)
    assert item.title and item.metadata.topic and item.metadata.learning_outcome
    assert item.metadata.difficulty is not None and item.metadata.author and item.metadata.source
    assert item.metadata.subject in SUBJECTS and item.metadata.grade == 12
    assert item.metadata.language == ("en" if item.metadata.subject == "english" else "vi")
    # Validation must not have changed the stored content: the demo file is already normal.
    assert item.content.stem == record["content"]["stem"]
    assert "key" not in student_view(item)
    result = score(item, None if item.content.type == "extended_text" else full_marks_response(item.content))
    if item.content.type == "extended_text":
        assert result.fraction == 0.0
        assert score(item, "Learning English opens doors.").needs_manual
        assert sum(c["max_points"] for c in item.content.key["rubric"]) > 0
    else:
        assert result.fraction == 1.0 and not result.needs_manual


def test_demo_bank_covers_the_brief():
    types = Counter(r["content"]["type"] for r in RECORDS)
    assert set(types) == {"single_choice", "multiple_response", "true_false_cluster", "numeric", "text_entry",
                          "extended_text", "matching", "ordering"}
    assert types.most_common(1)[0][0] == "single_choice"
    assert types["numeric"] >= 3 and types["extended_text"] == 2     # the English essay, the math exam's
    assert {r["metadata"]["subject"] for r in RECORDS if r["content"]["type"] == "extended_text"} == {"math", "english"}
    tf_subjects = [r["metadata"]["subject"] for r in RECORDS if r["content"]["type"] == "true_false_cluster"]
    assert len(tf_subjects) >= 3 and set(tf_subjects) <= {"math", "physics"}
    subjects = Counter(r["metadata"]["subject"] for r in RECORDS)
    assert set(subjects) == {"math", "physics", "english"}
    assert {r["metadata"]["cognitive_level"] for r in RECORDS} == {lv.value for lv in CognitiveLevel}
    assert 20 <= len(RECORDS) <= 30
    assert len(BY_ID) == len(RECORDS)
    assert any(r"\(" in r["content"]["stem"] for r in RECORDS if r["metadata"]["subject"] == "math")


# --- The answers, recomputed --------------------------------------------------------------------

def simpson(f, a: float, b: float, n: int = 2000) -> float:
    h = (b - a) / n
    return h / 3 * (f(a) + f(b) + sum((4 if i % 2 else 2) * f(a + i * h) for i in range(1, n)))


def key_of(identifier: str) -> dict:
    return BY_ID[identifier]["content"]["key"]


def option_html(identifier: str, option: str) -> str:
    options = BY_ID[identifier]["content"]["body"]["options"]
    return next(o["html"] for o in options if o["id"] == option)


def test_math_answers():
    # y = x^3 - 3x + 1: y' = 3x^2 - 3 > 0 exactly when |x| > 1; (1; +inf) is the only such option.
    assert option_html("demo-toan12-don-dieu-01", key_of("demo-toan12-don-dieu-01")["correct"]) == (
        r"<p>\((1; +\infty)\)</p>")
    # y = x^3 - 3x^2 + 2: y' = 3x(x - 2) goes + to - at x = 0: a maximum there.
    d = lambda x: 3 * x * x - 6 * x
    assert d(-0.1) > 0 > d(0.1) and d(1.9) < 0 < d(2.1)
    assert key_of("demo-toan12-cuc-tri-01") == {"correct": "A"}

    f = lambda x: x**3 - 3 * x**2 - 9 * x + 5
    fp = lambda x: 3 * x**2 - 6 * x - 9
    grid = [-2 + i / 1000 for i in range(6001)]
    assert key_of("demo-toan12-khao-sat-ds-01")["values"] == {
        "a": all(math.isclose(fp(x), (f(x + 1e-6) - f(x - 1e-6)) / 2e-6, abs_tol=1e-4) for x in (-2, 0, 1, 3)),
        "b": all(fp(x) > 0 for x in grid if -1 < x < 3),
        "c": fp(3) == 0 and fp(2.9) < 0 < fp(3.1) and f(3) == -22,
        "d": min(f(x) for x in grid) == -15,
    }

    # Box from a 12 cm square: V(x) = x (12 - 2x)^2 on (0; 6).
    best = max(x / 1000 * (12 - 2 * x / 1000) ** 2 for x in range(1, 6000))
    assert key_of("demo-toan12-toi-uu-01")["value"] == round(best)

    # F' = f for the keyed antiderivatives, and not for the others.
    checks = {"A": lambda x: math.sin(2 * x), "B": lambda x: math.sin(2 * x) + 3,
              "C": lambda x: 2 * math.sin(2 * x), "D": lambda x: -math.sin(2 * x),
              "E": lambda x: 2 * math.sin(x) * math.cos(x) + 1}
    right = sorted(k for k, F in checks.items()
                   if all(math.isclose((F(x + 1e-6) - F(x - 1e-6)) / 2e-6, 2 * math.cos(2 * x), abs_tol=1e-5)
                          for x in (0.3, 1.1, 2.5)))
    assert key_of("demo-toan12-nguyen-ham-02")["correct"] == right

    assert key_of("demo-toan12-tich-phan-01")["value"] == round(simpson(lambda x: 4 * x**3 - 2 * x, 1, 2), 9)
    area = simpson(lambda x: 2 * x - x * x, 0, 2)
    assert math.isclose(area, 4 / 3) and option_html("demo-toan12-dien-tich-01", "A") == r"<p>\(\frac{4}{3}\)</p>"
    assert key_of("demo-toan12-dien-tich-01") == {"correct": "A"}

    v = lambda t: 3 * t * t + 2 * t
    assert key_of("demo-toan12-tich-phan-ds-01")["values"] == {
        "a": all(v(t) >= 0 for t in grid if 0 <= t <= 2),      # distance is the integral of speed
        "b": math.isclose(simpson(v, 0, 2), 12),
        "c": math.isclose((v(1 + 1e-6) - v(1 - 1e-6)) / 2e-6, 6),
        "d": math.isclose(simpson(v, 2, 3), 24),
    }

    # 6 red, 4 blue, two draws without replacement: enumerate the ordered pairs.
    balls = ["r"] * 6 + ["b"] * 4
    draws = list(permutations(range(10), 2))
    p = lambda ev: Fraction(sum(1 for d in draws if ev(d)), len(draws))
    pa = p(lambda d: balls[d[0]] == "r")
    pab = p(lambda d: balls[d[0]] == balls[d[1]] == "r")
    pb = p(lambda d: balls[d[1]] == "r")
    assert key_of("demo-toan12-xac-suat-ds-01")["values"] == {
        "a": pa == Fraction(3, 5), "b": pab / pa == Fraction(5, 9), "c": pab == Fraction(9, 25),
        "d": pb == Fraction(5, 9)}

    posterior = 0.02 * 0.95 / (0.02 * 0.95 + 0.98 * 0.10)
    assert key_of("demo-toan12-bayes-01")["value"] == round(posterior, 2)


def test_physics_answers():
    # x = 5 cos(4 pi t + pi/3): T = 2 pi / omega.
    assert math.isclose(2 * math.pi / (4 * math.pi), 0.5) and key_of("demo-ly12-dao-dong-01") == {"correct": "A"}
    # T = 2 pi sqrt(m/k) with pi^2 = 10: sqrt(4 * 10 * 0.1 / 100).
    assert math.isclose(math.sqrt(4 * 10 * 0.1 / 100), 0.2) and option_html("demo-ly12-con-lac-lo-xo-01", "A") == (
        "<p>0,2 s.</p>")
    assert key_of("demo-ly12-con-lac-lo-xo-01") == {"correct": "A"}

    m, k, amplitude = 0.2, 80, 0.05
    omega = math.sqrt(k / m)
    assert key_of("demo-ly12-con-lac-ds-01")["values"] == {
        "a": math.isclose(omega, 20), "b": math.isclose(2 * math.pi / omega, 0.5),
        "c": math.isclose(k * amplitude**2 / 2, 0.2),
        "d": math.isclose(omega * math.sqrt(amplitude**2 - 0.03**2), 0.80)}

    wavelength = 60 / 20                     # cm
    maxima = [n for n in range(-20, 21) if abs(n * wavelength) < 20]
    assert key_of("demo-ly12-giao-thoa-ds-01")["values"] == {
        "a": wavelength == 3, "b": True,      # equal paths, sources in phase: constructive
        "c": len(maxima) == 13,
        "d": ((15 - 9) / wavelength) % 1 == 0.5}
    assert key_of("demo-ly12-cong-suat-01")["value"] == 220**2 / 110
    assert math.hypot(40, 60 - 30) == 50 and key_of("demo-ly12-tong-tro-01") == {"correct": "A"}

    units = {o["id"]: o["html"] for o in BY_ID["demo-ly12-don-vi-01"]["content"]["body"]["targets"]}
    pairs = {s: units[t] for s, t in key_of("demo-ly12-don-vi-01")["pairs"].items()}
    assert pairs == {"s1": "<p>rad/s</p>", "s2": "<p>s</p>", "s3": "<p>Hz</p>", "s4": "<p>Ω</p>"}


def test_english_answers():
    assert option_html("demo-anh12-conditional-01", key_of("demo-anh12-conditional-01")["correct"]) == "<p>had</p>"
    assert option_html("demo-anh12-stress-01", key_of("demo-anh12-stress-01")["correct"]) == "<p>education</p>"
    choices = {c["id"]: c["html"] for c in BY_ID["demo-anh12-paragraph-order-01"]["content"]["body"]["choices"]}
    ordered = [choices[i] for i in key_of("demo-anh12-paragraph-order-01")["order"]]
    assert ordered[0].startswith("<p>Social media") and ordered[-1].startswith("<p>Therefore")
    assert key_of("demo-anh12-word-form-01")["accepted"] == ["environmental"]


def test_math_essay_rubric_states_the_right_area():
    """demo-toan12-tu-luan-01: the area between y = x^2 - 2x and the x-axis, integrated by hand here:
    the parabola is below the axis on [0; 2], so S = [x^2 - x^3/3] from 0 to 2 = 4 - 8/3 = 4/3."""
    rubric = BY_ID["demo-toan12-tu-luan-01"]["content"]["key"]["rubric"]
    area = (Fraction(2) ** 2 - Fraction(2) ** 3 / 3) - 0
    assert area == Fraction(4, 3)
    assert any("4/3" in criterion["description"] for criterion in rubric)
    assert "x = 0 và x = 2" in rubric[0]["description"]          # the roots of x^2 - 2x
