"""The blueprint (ma trận đề) as a form: templates of the 2025 graduation-exam formats, and how
many approved items the bank holds for each cell before assembling.

Templates give the parts of each 2025 format (Bộ GD&ĐT, structure of the 2025 upper-secondary
graduation exam): multiple choice at 0.25 a question, true/false clusters at 1 point (scored
0.1 / 0.25 / 0.5 / 1), short answers at 0.5 (mathematics) or 0.25 (sciences), literature as
reading questions and two essays. The split across cognitive levels follows the format's
guidance (mostly Biết and Hiểu in part I, Vận dụng in parts II and III); topics are left for the
admin to choose (the form offers the bank's topics). Every template totals 10 points.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask_babel import lazy_gettext as _l

from exam_server.exams import services
from exam_server.exams.models import Exam
from item_bank.assembly.blueprint import normalise_label

# (cognitive level, item type, count, points each)
_SCIENCE = [("biet", "single_choice", 9, 0.25), ("hieu", "single_choice", 6, 0.25),
            ("van_dung", "single_choice", 3, 0.25), ("hieu", "true_false_cluster", 2, 1.0),
            ("van_dung", "true_false_cluster", 2, 1.0), ("van_dung", "numeric", 4, 0.25),
            ("van_dung_cao", "numeric", 2, 0.25)]
_SOCIAL = [("biet", "single_choice", 12, 0.25), ("hieu", "single_choice", 8, 0.25),
           ("van_dung", "single_choice", 4, 0.25), ("hieu", "true_false_cluster", 2, 1.0),
           ("van_dung", "true_false_cluster", 2, 1.0)]
TEMPLATES_2025: dict[str, dict[str, Any]] = {
    "math": {"label": _l("Mathematics 2025: 12 multiple choice, 4 true/false, 6 short answers"), "rows": [
        ("biet", "single_choice", 6, 0.25), ("hieu", "single_choice", 4, 0.25), ("van_dung", "single_choice", 2, 0.25),
        ("hieu", "true_false_cluster", 2, 1.0), ("van_dung", "true_false_cluster", 2, 1.0),
        ("van_dung", "numeric", 4, 0.5), ("van_dung_cao", "numeric", 2, 0.5)]},
    "physics": {"label": _l("Physics 2025: 18 multiple choice, 4 true/false, 6 short answers"), "rows": _SCIENCE},
    "chemistry": {"label": _l("Chemistry 2025: 18 multiple choice, 4 true/false, 6 short answers"), "rows": _SCIENCE},
    "biology": {"label": _l("Biology 2025: 18 multiple choice, 4 true/false, 6 short answers"), "rows": _SCIENCE},
    "history": {"label": _l("History 2025: 24 multiple choice, 4 true/false"), "rows": _SOCIAL},
    "geography": {"label": _l("Geography 2025: 24 multiple choice, 4 true/false"), "rows": _SOCIAL},
    "civics": {"label": _l("Economic and legal education 2025: 24 multiple choice, 4 true/false"), "rows": _SOCIAL},
    "informatics": {"label": _l("Informatics 2025: 24 multiple choice, 4 true/false"), "rows": _SOCIAL},
    "technology": {"label": _l("Technology 2025: 24 multiple choice, 4 true/false"), "rows": _SOCIAL},
    "english": {"label": _l("English 2025: 40 multiple choice"), "rows": [
        ("biet", "single_choice", 16, 0.25), ("hieu", "single_choice", 14, 0.25),
        ("van_dung", "single_choice", 8, 0.25), ("van_dung_cao", "single_choice", 2, 0.25)]},
    "literature": {"label": _l("Literature 2025: reading (4 points) and writing (6 points)"), "rows": [
        # reading: five questions (2 x 0.5 + 3 x 1); writing: a paragraph (2) and an essay (4)
        ("biet", "extended_text", 2, 0.5), ("hieu", "extended_text", 3, 1.0),
        ("van_dung", "extended_text", 1, 2.0), ("van_dung_cao", "extended_text", 1, 4.0)]},
}


def templates_json() -> list[dict[str, Any]]:
    """The templates as the form's script reads them (rows without topics)."""
    return [{"key": key, "subject": key, "label": str(t["label"]),
             "rows": [{"topic": "", "cognitive_level": level, "item_type": item_type, "count": count,
                       "points_each": points} for level, item_type, count, points in t["rows"]]}
            for key, t in TEMPLATES_2025.items()]


def _cell(topic: Any, level: Any, item_type: Any) -> tuple[str, str, str]:
    return (normalise_label(topic) if isinstance(topic, str) else "", str(level or ""),
            normalise_label(item_type) if isinstance(item_type, str) else "")


def bank_cells(exam: Exam) -> dict[tuple[str, str, str], int]:
    """Approved items of the exam's subject and grade per cell (versions of one item count once)."""
    items: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for version in services.assembly_pool(exam):
        items[_cell(version.topic, version.cognitive_level, version.item_type)].add(version.item_id)
    return {cell: len(ids) for cell, ids in items.items()}


def bank_topics(exam: Exam) -> list[str]:
    return sorted({cell[0] for cell in bank_cells(exam) if cell[0]})


def availability(exam: Exam, rows: Any) -> list[dict[str, Any]]:
    """For each row ({topic, cognitive_level, item_type, count}): the approved items the bank has
    for its cell, the items the blueprint needs (rows of one cell add up) and how many are missing.
    Rows that are not objects count as empty cells."""
    if not isinstance(rows, list):
        raise services._bad("rows", "rows must be a list of blueprint rows.")
    if len(rows) > 500:
        raise services._bad("rows", "At most 500 rows.")
    cells = bank_cells(exam)
    keys = []
    needed: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        row = row if isinstance(row, dict) else {}
        key = _cell(row.get("topic"), row.get("cognitive_level"), row.get("item_type"))
        count = row.get("count")
        needed[key] += count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
        keys.append(key)
    return [{"available": cells.get(key, 0), "needed": needed[key],
             "missing": max(0, needed[key] - cells.get(key, 0))} for key in keys]


def form_rows(exam: Exam) -> list[dict[str, Any]]:
    """The stored blueprint's rows with their availability, for the page."""
    rows = list((exam.blueprint or {}).get("rows") or [])
    return [{**row, **found} for row, found in zip(rows, availability(exam, rows))]
