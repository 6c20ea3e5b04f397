"""Read function for other packages: each candidate's school group (urban, suburban, remote) from
the organisation tree, through the roster's school column (the same placement the indicators
count by, engine.place_units). Read-only: nothing is written. Used by analysis' DIF."""
from __future__ import annotations

from exam_server.indicators.engine import place_units


def candidate_school_groups(exam_id: int) -> dict[int, str]:
    """candidate id -> school group ("" when the school is not in the tree or has no group):
    two statements whatever the roster's size."""
    from exam_server.exams.stats import roster_places

    return {candidate_id: group for candidate_id, (_unit, group) in
            place_units(roster_places(exam_ids=[exam_id])).items()}
