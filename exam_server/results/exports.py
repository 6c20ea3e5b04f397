"""An exam's results as a department expects them, on screen and as CSV / XLSX.

Parts follow the 2025 graduation-exam paper: part I multiple choice, part II true/false clusters,
part III short answers, and essays (tự luận); any other type is counted under "other". The
per-question sheet shows each question as the candidate saw it (results/review.py): the answer
and the key in the candidate's letters.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from exam_server.exams import papers
from exam_server.exams import services as exams
from exam_server.exams.models import Candidate, Exam
from exam_server.results import review as review_lib
from exam_server.results import services
from exam_server.results.formats import score_text
from exam_server.results.models import Result

PART_OF_TYPE = {"single_choice": "I", "multiple_response": "I", "true_false_cluster": "II",
                "numeric": "III", "text_entry": "III", "extended_text": "essay",
                "matching": "other", "ordering": "other"}
PARTS = ("I", "II", "III", "essay", "other")
PART_LABELS = {"I": _l("Part I"), "II": _l("Part II"), "III": _l("Part III"), "essay": _l("Essay"),
               "other": _l("Other")}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ResultRow:
    candidate: Candidate
    result: Result | None
    form_code: str
    parts: dict[str, Decimal | None]     # part -> points (None: an essay of the part awaits marking)


def exam_parts(exam: Exam, rows: list[ResultRow]) -> list[str]:
    """The parts the exam's papers have, in paper order."""
    present = {part for row in rows for part in row.parts}
    return [p for p in PARTS if p in present]


def result_rows(exam: Exam) -> list[ResultRow]:
    """Every candidate of the exam with their current result, form code and points per part."""
    candidates = exams.list_candidates(exam)
    results = {r.candidate_id: r for r in services.current_results(exam.id)}
    paper_of = papers.papers(c.id for c in candidates)
    rows = []
    for candidate in candidates:
        paper, result = paper_of.get(candidate.id), results.get(candidate.id)
        parts: dict[str, Decimal | None] = {}
        if paper is not None:
            type_of = {q.number: q.question.item_type for q in paper.questions}
            for item_type in type_of.values():
                parts.setdefault(PART_OF_TYPE.get(item_type, "other"), Decimal(0))
            for item in (result.items if result else []):
                part = PART_OF_TYPE.get(type_of.get(item.question_number, ""), "other")
                if item.points is None or parts.get(part) is None:
                    parts[part] = None
                else:
                    parts[part] += item.points
        rows.append(ResultRow(candidate, result, paper.form.code if paper else "", parts))
    return rows


def _number(value: Any, locale: str, as_text: bool) -> Any:
    """A score or points: text with the locale's separator (CSV, pages), a number (XLSX cells)."""
    if value is None:
        return ""
    return score_text(value, locale) if as_text else float(value)


def summary_table(exam: Exam, locale: str = "vi", as_text: bool = True) -> tuple[list[str], list[list[Any]]]:
    rows = result_rows(exam)
    parts = exam_parts(exam, rows)
    vi = locale == "vi"
    header = (["Số báo danh", "Họ và tên", "Ngày sinh", "Trường", "Lớp", "Mã đề"] if vi else
              ["Candidate number", "Full name", "Date of birth", "School", "Class", "Form code"])
    header += [str(PART_LABELS[p]) for p in parts] + (["Tổng điểm", "Trạng thái"] if vi else ["Total", "Status"])
    body = []
    for row in rows:
        c, result = row.candidate, row.result
        line: list[Any] = [c.candidate_number, c.full_name, c.date_of_birth.strftime("%d/%m/%Y"), c.school,
                           c.class_name, row.form_code]
        if result is None:
            line += [""] * len(parts) + ["", "Chưa có kết quả" if vi else "No result"]
        else:
            line += [_number(row.parts.get(p), locale, as_text) if row.parts.get(p) is not None else
                     ("Đang chờ chấm" if vi else "Awaiting marking") for p in parts]
            status = {"final": ("Chính thức", "Final"), "provisional": ("Tạm thời", "Provisional")}.get(
                result.status, (result.status, result.status))
            line += [_number(result.score, locale, as_text), status[0 if vi else 1]]
        body.append(line)
    return header, body


def answers_table(exam: Exam, locale: str = "vi", as_text: bool = True) -> tuple[list[str], list[list[Any]]]:
    """One line per question of every scored candidate, as the candidate saw it."""
    vi = locale == "vi"
    header = (["Số báo danh", "Câu", "Loại", "Câu trả lời của thí sinh", "Đáp án", "Điểm", "Điểm tối đa"] if vi else
              ["Candidate number", "Question", "Type", "Candidate's answer", "Key", "Points", "Max points"])
    number_of = {c.id: c.candidate_number for c in exams.list_candidates(exam)}
    body = []
    for result in services.current_results(exam.id):
        for q in review_lib.review(result):
            body.append([number_of.get(result.candidate_id, ""), q.number, q.item_type, q.answer, q.key,
                         _number(q.points, locale, as_text), _number(q.max_points, locale, as_text)])
    return header, body


def to_csv(header: list[str], body: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return ("\ufeff" + out.getvalue()).encode("utf-8")     # the BOM: Excel opens Vietnamese text right


def to_xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, header, body in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for line in body:
            sheet.append(line)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
