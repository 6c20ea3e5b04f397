"""How one candidate's fact counts in a cell: the same rules in Python (the incremental update
after one event) and in SQL (the full recompute in bulk). The property test checks they agree."""
from __future__ import annotations

from sqlalchemy import case, func, literal

from exam_server.indicators.models import CELL_COUNTERS, CandidateFact

PASS_CENTI = 500        # 5.0: Đạt
KHA_CENTI = 650         # 6.5: Khá
GOOD_CENTI = 800        # 8.0: Tốt
LOW_CENTI = 100         # 1.0: the "điểm liệt" watch line
NOT_BEGUN = ("registered", "not_started")
STATUSES = ("in_progress", "paused", "submitted", "closed", "terminated")


def contribution(fact: CandidateFact | None) -> dict[str, int]:
    """The counters one fact adds to every cell it belongs to (nothing for no fact)."""
    if fact is None:
        return {}
    out = dict.fromkeys(CELL_COUNTERS, 0)
    out["registered"] = 1
    if fact.status in NOT_BEGUN:
        out["not_started"] = 1
    elif fact.status in STATUSES:
        out[fact.status] = 1
    out["chip_verified"] = 1 if fact.chip_verified else 0
    out["incidents"] = fact.incidents or 0
    if fact.seconds_on_test is not None:
        out["timed"], out["seconds_sum"] = 1, fact.seconds_on_test
    s = fact.score_centi
    if s is not None:
        out["scored"], out["score_sum"], out["score_sq_sum"] = 1, s, s * s
        out["pass_n"] = int(s >= PASS_CENTI)
        out["ge8_n"] = int(s >= GOOD_CENTI)
        out["kha_n"] = int(KHA_CENTI <= s < GOOD_CENTI)
        out["dat_n"] = int(PASS_CENTI <= s < KHA_CENTI)
        out["chua_dat_n"] = int(s < PASS_CENTI)
        out["le1_n"] = int(s <= LOW_CENTI)
    return out


def _flag(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sql_counters(f=CandidateFact) -> dict[str, object]:
    """The same counters as aggregate SQL over a set of facts (a GROUP BY)."""
    s = f.score_centi
    return {
        "registered": func.count(),
        "not_started": _flag(f.status.in_(NOT_BEGUN)),
        **{status: _flag(f.status == status) for status in STATUSES},
        "chip_verified": _flag(f.chip_verified.is_(True)),
        "incidents": func.coalesce(func.sum(f.incidents), 0),
        "timed": func.count(f.seconds_on_test),
        "seconds_sum": func.coalesce(func.sum(f.seconds_on_test), literal(0)),
        "scored": func.count(s),
        "score_sum": func.coalesce(func.sum(s), 0),
        "score_sq_sum": func.coalesce(func.sum(s * s), 0),
        "pass_n": _flag(s >= PASS_CENTI),
        "ge8_n": _flag(s >= GOOD_CENTI),
        "kha_n": _flag((s >= KHA_CENTI) & (s < GOOD_CENTI)),
        "dat_n": _flag((s >= PASS_CENTI) & (s < KHA_CENTI)),
        "chua_dat_n": _flag(s < PASS_CENTI),
        "le1_n": _flag(s <= LOW_CENTI),
    }
