"""The results pages: exams with results, an exam's results table, a candidate's result with its
history, the teacher's blind essay queue (no names, no candidate numbers), and a student's own
results where the exam shows them (Exam.results_visible_to_candidates, as the JSON API).

Reads go through the results services; the essay page posts to /api/v1/essay-scores from
static/js/results-page.js.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam_server.checkin.services import admission
from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError, NotFound
from exam_server.exams import services as exams
from exam_server.exams.models import Candidate, Exam
from exam_server.results import exports, services
from exam_server.results import review as review_lib

bp = Blueprint("results_pages", __name__)
STAFF = ("admin", "teacher")


def essay_strings() -> dict[str, str]:
    """Strings of static/js/results-page.js."""
    return {
        "saving": _("Saving…"),
        "saved": _("Saved. The essay leaves the queue."),
        "your_mark": _("Your mark: {total} / {max}"),
        "failed": _("Not saved: {message}"),
        "empty": _("No essay is waiting for your mark."),
        "bad_points": _("Give points for every criterion."),
        "released": _("Results released to candidates."),
        "withdrawn": _("Results hidden from candidates."),
    }


def _exams_with_results() -> list[tuple[Exam, int]]:
    rows = []
    for exam in exams.list_exams(current_user):
        n = len(services.current_results(exam.id))
        if n:
            rows.append((exam, n))
    return rows


@bp.route("/results/exams")
@roles(*STAFF)
def exam_list():
    return render_template("results/exam_list.html", entries=_exams_with_results())


@bp.route("/results/exams/<int:exam_id>")
@roles(*STAFF)
def exam_results(exam_id: int):
    exam = exams.get_exam(exam_id)
    rows = exports.result_rows(exam)
    parts = exports.exam_parts(exam, rows)
    return render_template("results/exam_results.html", exam=exam, rows=rows,
                           parts=parts, part_headers=[str(exports.PART_LABELS[p]) for p in parts],
                           admissions={row.candidate.id: admission(row.candidate.id) for row in rows},
                           js_strings=essay_strings())


@bp.route("/results/exams/<int:exam_id>/export")
@roles(*STAFF)
def export_results(exam_id: int):
    """?format=csv|xlsx (default xlsx); ?sheet=answers for the CSV of every question as each
    candidate saw it (the XLSX holds both sheets)."""
    exam = exams.get_exam(exam_id)
    fmt = request.args.get("format", "xlsx")
    sheet = request.args.get("sheet", "results")
    if fmt not in ("csv", "xlsx") or sheet not in ("results", "answers"):
        raise ApiError("bad_argument", "format is csv or xlsx; sheet is results or answers.", 400, "format")
    locale = str(get_locale() or "vi")
    name = f"ket-qua-{exam.id}" + ("-bai-lam" if sheet == "answers" and fmt == "csv" else "")
    if fmt == "csv":
        table = exports.answers_table if sheet == "answers" else exports.summary_table
        data, mime = exports.to_csv(*table(exam, locale)), "text/csv; charset=utf-8"
    else:
        data = exports.to_xlsx([(_("Results"), *exports.summary_table(exam, locale, as_text=False)),
                                (_("Answers"), *exports.answers_table(exam, locale, as_text=False))])
        mime = exports.XLSX_MIME
    return Response(data, mimetype=mime, headers={"Content-Disposition": f"attachment; filename={name}.{fmt}",
                                                  "Cache-Control": "no-store, private"})


@bp.route("/results/exams/<int:exam_id>/candidates/<int:candidate_id>")
@roles(*STAFF)
def candidate_result(exam_id: int, candidate_id: int):
    exam = exams.get_exam(exam_id)
    candidate = exams.get_candidate(exam, candidate_id)
    versions = services.candidate_results(exam, candidate)
    if not versions:
        raise NotFound(_("No result yet for this candidate."), "candidate_id")
    return render_template("results/candidate_result.html", exam=exam, candidate=candidate,
                           result=versions[0], history=versions, admission=admission(candidate.id),
                           review=review_lib.review(versions[0]),
                           adaptive_section=review_lib.adaptive_section(versions[0]))


@bp.route("/results/exams/<int:exam_id>/essays")
@roles(*STAFF)
def essay_queue(exam_id: int):
    exam = exams.get_exam(exam_id)
    secret = current_app.config["SECRET_KEY"]
    queue = services.essay_queue(exam, current_user, secret)
    marked = services.marked_essays(exam, current_user, secret)
    return render_template("results/essays.html", exam=exam, queue=queue, marked=marked,
                           js_strings=essay_strings())


@bp.route("/my-results")
@roles("student")
def my_results():
    entries = []
    for candidate in session.scalars(select(Candidate).where(Candidate.user_id == current_user.id)
                                     .order_by(Candidate.id)):
        exam = session.get(Exam, candidate.exam_id)
        released = bool(exam.results_visible_to_candidates)
        versions = services.candidate_results(exam, candidate) if released else []
        entries.append({"exam": exam, "candidate": candidate, "released": released,
                        "result": versions[0] if versions else None,
                        "review": review_lib.review(versions[0]) if versions else []})
    return render_template("results/my_results.html", entries=entries)
