"""The indicator registry: stable codes, names in Vietnamese and English, what is counted over
what, the unit, the dimensions, the minimum cell size, and how the value comes from a cell's
summed counters (and score bins).

Every value is computed over `n` candidates (the denominator's count); below the minimum cell
size the value is suppressed (query.py). Mastery per topic and per cognitive level is counted in
its own cells (mastery.py) and read by its own route; reliability per form and flagged items come
from the psychometrics analyses (psychometrics.py) and are absent, not faked, without one.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DEFAULT_MIN_CELL = 5
DIMENSIONS = ("unit", "exam", "subject", "grade", "school_year", "term", "month", "school_group")
STARTED = ("in_progress", "paused", "submitted", "closed", "terminated")
FINISHED = ("submitted", "closed", "terminated")


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    definition: str
    numerator: str
    denominator: str
    unit: str                                   # count, percent, score, per_100, minutes, distribution
    compute: Callable[[dict[str, int], dict[int, int]], tuple[Any, int]] = field(repr=False)
    dimensions: tuple[str, ...] = DIMENSIONS
    min_cell: int = DEFAULT_MIN_CELL
    score: bool = False                         # a score indicator: has a school-group gap
    needs_bins: bool = False                    # computed from the score bins (median, distribution)

    def describe(self) -> dict[str, Any]:
        return {"code": self.code, "name": {"vi": self.name_vi, "en": self.name_en}, "definition": self.definition,
                "numerator": self.numerator, "denominator": self.denominator, "unit": self.unit,
                "dimensions": list(self.dimensions), "min_cell_size": self.min_cell, "score_indicator": self.score}


def _round(value: float | Decimal, places: int = 2) -> float:
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def started(c: dict[str, int]) -> int:
    return sum(c[s] for s in STARTED)


def finished(c: dict[str, int]) -> int:
    return sum(c[s] for s in FINISHED)


def _share(num: str | Callable, den: Callable[[dict[str, int]], int], scale: int = 100):
    def compute(c, _bins):
        n = den(c)
        top = num(c) if callable(num) else c[num]
        return (_round(Decimal(top) * scale / n) if n else None), n
    return compute


def _mean(c, _bins):
    n = c["scored"]
    return (_round(Decimal(c["score_sum"]) / n / 100) if n else None), n


def _sd(c, _bins):
    """Population standard deviation of the scores (exact sums of hundredths)."""
    n = c["scored"]
    if not n:
        return None, 0
    variance = (Decimal(c["score_sq_sum"]) * n - Decimal(c["score_sum"]) ** 2) / (Decimal(n) * n) / 10000
    return _round(math.sqrt(max(variance, Decimal(0)))), n


def median_centi(bins: dict[int, int]) -> float | None:
    n = sum(bins.values())
    if not n:
        return None
    ordered = sorted(bins.items())

    def at(rank: int) -> int:       # the rank-th smallest score (0-based)
        seen = 0
        for score, count in ordered:
            seen += count
            if rank < seen:
                return score
        raise AssertionError(rank)

    return (at((n - 1) // 2) + at(n // 2)) / 2


def _median(c, bins):
    m = median_centi(bins)
    return (None if m is None else _round(Decimal(str(m)) / 100)), c["scored"]


def distribution(bins: dict[int, int]) -> list[dict[str, Any]]:
    """Counts per 0.25 step, [0, 0.25), [0.25, 0.5), ... [9.75, 10] (a score of 10 in the last)."""
    steps = [0] * 40
    for score, count in bins.items():
        steps[min(score // 25, 39)] += count
    return [{"from": i / 4, "to": (i + 1) / 4, "count": steps[i]} for i in range(40)]


def _distribution(c, bins):
    return distribution(bins), c["scored"]


def _mean_minutes(c, _bins):
    n = c["timed"]
    return (_round(Decimal(c["seconds_sum"]) / n / 60, 1) if n else None), n


def _count(name):
    def compute(c, _bins):
        return c[name], c["registered"]
    return compute


def _scored(c):
    return c["scored"]


REGISTRY: tuple[Indicator, ...] = (
    Indicator("registered", "Số thí sinh đăng ký", "Registered candidates", "Candidates on the exams' rosters.",
              "candidates on the roster", "-", "count", _count("registered")),
    Indicator("participation_rate", "Tỷ lệ dự thi", "Participation rate",
              "Share of registered candidates who started their attempt.", "candidates who started",
              "registered candidates", "percent", _share(started, lambda c: c["registered"])),
    Indicator("in_progress", "Đang làm bài", "In progress", "Attempts running or paused now.",
              "attempts in progress or paused", "-", "count",
              lambda c, _b: (c["in_progress"] + c["paused"], c["registered"])),
    Indicator("chip_verified_rate", "Tỷ lệ xác thực bằng chip CCCD", "Chip-verified identity rate",
              "Share of candidates who started after a verified chip check-in.", "candidates with a chip check-in",
              "candidates who started", "percent", _share("chip_verified", started)),
    Indicator("completion_submitted", "Tỷ lệ nộp bài", "Completion: submitted",
              "Share of started attempts handed in by the candidate.", "submitted attempts", "candidates who started",
              "percent", _share("submitted", started)),
    Indicator("completion_closed", "Tỷ lệ hết giờ", "Completion: closed at the deadline",
              "Share of started attempts closed by the server at the deadline.", "closed attempts",
              "candidates who started", "percent", _share("closed", started)),
    Indicator("completion_terminated", "Tỷ lệ đình chỉ", "Completion: terminated",
              "Share of started attempts ended by a proctor.", "terminated attempts", "candidates who started",
              "percent", _share("terminated", started)),
    Indicator("score_mean", "Điểm trung bình", "Mean score", "Mean of the current scores (0-10).",
              "sum of scores", "scored candidates", "score", _mean, score=True),
    Indicator("score_median", "Điểm trung vị", "Median score", "Median of the current scores.",
              "middle score", "scored candidates", "score", _median, score=True, needs_bins=True),
    Indicator("score_sd", "Độ lệch chuẩn", "Standard deviation of scores",
              "Population standard deviation of the current scores.", "-", "scored candidates", "score", _sd,
              score=True),
    Indicator("pass_rate", "Tỷ lệ đạt (≥ 5,0)", "Pass rate (>= 5.0)", "Share of scored candidates at 5.0 or above.",
              "scores >= 5.0", "scored candidates", "percent", _share("pass_n", _scored), score=True),
    Indicator("share_ge8", "Tỷ lệ điểm ≥ 8,0", "Share >= 8.0", "Share of scored candidates at 8.0 or above.",
              "scores >= 8.0", "scored candidates", "percent", _share("ge8_n", _scored), score=True),
    Indicator("band_tot", "Mức Tốt (≥ 8,0)", "Band Tốt (>= 8.0)", "Achievement band Tốt.", "scores >= 8.0",
              "scored candidates", "percent", _share("ge8_n", _scored), score=True),
    Indicator("band_kha", "Mức Khá (6,5–8,0)", "Band Khá (6.5 to < 8.0)", "Achievement band Khá.",
              "scores 6.5 to < 8.0", "scored candidates", "percent", _share("kha_n", _scored), score=True),
    Indicator("band_dat", "Mức Đạt (5,0–6,5)", "Band Đạt (5.0 to < 6.5)", "Achievement band Đạt.",
              "scores 5.0 to < 6.5", "scored candidates", "percent", _share("dat_n", _scored), score=True),
    Indicator("band_chua_dat", "Mức Chưa đạt (< 5,0)", "Band Chưa đạt (< 5.0)", "Achievement band Chưa đạt.",
              "scores < 5.0", "scored candidates", "percent", _share("chua_dat_n", _scored), score=True),
    Indicator("share_le1", "Tỷ lệ điểm ≤ 1,0", "Share <= 1.0", "Share of scored candidates at or below 1.0.",
              "scores <= 1.0", "scored candidates", "percent", _share("le1_n", _scored), score=True),
    Indicator("score_distribution", "Phổ điểm", "Score distribution", "Scored candidates per 0.25 step.",
              "candidates per step", "scored candidates", "distribution", _distribution, needs_bins=True),
    Indicator("incidents_per_100", "Sự cố trên 100 thí sinh", "Incidents per 100 candidates",
              "Incidents raised (disconnects, second logins, check-in mismatches, focus lost) per 100 registered.",
              "incidents", "registered candidates", "per_100", _share("incidents", lambda c: c["registered"])),
    Indicator("time_on_test_mean", "Thời gian làm bài trung bình", "Mean time on test",
              "Mean minutes from start to finish, pauses excluded, of finished attempts.", "minutes on test",
              "finished attempts", "minutes", _mean_minutes),
)
BY_CODE = {indicator.code: indicator for indicator in REGISTRY}


def _mastery_cells(_c, _bins):
    raise AssertionError("mastery is read from its own cells: mastery.table")


MASTERY: tuple[Indicator, ...] = (
    Indicator("mastery_topic", "Mức độ nắm vững theo chủ đề", "Mastery per topic",
              "Points earned over points possible on the items of each topic (item metadata), current results; "
              "dropped items and essays awaiting their score left out.", "points earned on the topic's items",
              "points possible on the topic's items (n: candidates who had one)", "percent", _mastery_cells,
              dimensions=("topic", *DIMENSIONS), score=True),
    Indicator("mastery_level", "Mức độ nắm vững theo mức độ nhận thức", "Mastery per cognitive level",
              "Points earned over points possible on the items of each cognitive level (item metadata).",
              "points earned on the level's items", "points possible on the level's items (n: candidates who had one)",
              "percent", _mastery_cells, dimensions=("cognitive_level", *DIMENSIONS), score=True),
)
MASTERY_BY_DIMENSION = {"topic": MASTERY[0], "level": MASTERY[1]}


def _stored_analysis(_c, _bins):
    raise AssertionError("read from the stored item analysis: quality.quality")


QUALITY: tuple[Indicator, ...] = (
    Indicator("reliability_per_form", "Độ tin cậy của đề (theo mã đề)", "Reliability per form",
              "Cronbach's alpha (KR-20 for 0/1 items) of each form's total, and the standard error of measurement, "
              "from the psychometrics library's analysis of the exam; absent until an analysis is stored.",
              "-", "scored candidates of the form", "coefficient", _stored_analysis, dimensions=("exam", "form")),
    Indicator("flagged_items", "Câu hỏi bị gắn cờ", "Flagged items",
              "Item versions the analysis flagged (too hard, too easy, low or negative discrimination, "
              "distractor problems), with the reasons; absent until an analysis is stored.",
              "flagged item versions", "item versions of the exam", "count", _stored_analysis,
              dimensions=("exam",)),
)
QUALITY_BY_CODE = {i.code: i for i in QUALITY}
