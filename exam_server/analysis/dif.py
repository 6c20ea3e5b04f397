"""Differential item functioning of an exam's items between the groups its roster carries:
gender (the roster's "Giới tính", where recorded) and school group (urban / suburban / remote,
from the organisation tree through the indicators' read function). Mantel-Haenszel with the ETS
A/B/C classes (AA/BB/CC for polytomous items) is item_bank.psychometrics.dif; candidates are
matched on their total points within their form.

A comparison is computed only when both groups have at least DIF_MIN_GROUP candidates with
results (EXAM_DIF_MIN_GROUP, default 100); otherwise it is reported as skipped with both counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from item_bank.psychometrics.dif import mantel_haenszel


@dataclass(frozen=True)
class Comparison:
    key: str              # "gender" | "urban_suburban" | "urban_remote"
    attribute: str        # "gender" | "school_group"
    reference: str
    focal: str


COMPARISONS = (Comparison("gender", "gender", "male", "female"),
               Comparison("urban_suburban", "school_group", "urban", "suburban"),
               Comparison("urban_remote", "school_group", "urban", "remote"))


def candidate_groups(exam_id: int) -> dict[str, dict[int, str | None]]:
    """attribute -> candidate id -> group, from the owning packages' read functions."""
    from exam_server.exams.stats import candidate_genders
    from exam_server.indicators.groups import candidate_school_groups

    return {"gender": candidate_genders(exam_id), "school_group": candidate_school_groups(exam_id)}


def exam_dif(candidates: list[int], version_ids: list[int], fractions: np.ndarray, points: np.ndarray,
             forms: list[str], groups: dict[str, dict[int, str | None]], min_group: int) -> list[dict[str, Any]]:
    """One entry per comparison: its groups' sizes, skipped or not, and per version id the
    Mantel-Haenszel result (DifResult.to_dict())."""
    out = []
    totals = np.nansum(points, axis=1) if len(candidates) else np.zeros(0)
    for comparison in COMPARISONS:
        of = groups.get(comparison.attribute, {})
        labels = np.array([of.get(c) or "" for c in candidates], dtype=object)
        n_ref, n_focal = int((labels == comparison.reference).sum()), int((labels == comparison.focal).sum())
        entry = {"key": comparison.key, "reference": comparison.reference, "focal": comparison.focal,
                 "n_reference": n_ref, "n_focal": n_focal, "min_group": min_group,
                 "skipped": min(n_ref, n_focal) < min_group, "items": {}}
        if not entry["skipped"] and version_ids:
            found = mantel_haenszel(fractions, labels, comparison.reference, comparison.focal,
                                    [str(v) for v in version_ids], forms=np.array(forms, dtype=object),
                                    matching=totals)
            entry["items"] = {int(r.id): r.to_dict() for r in found}
        out.append(entry)
    return out
