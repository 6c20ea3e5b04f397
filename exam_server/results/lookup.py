"""A candidate looks up their released result without an account: candidate number, citizen ID
number and date of birth, all three (anonymous, so rate-limited per address: setting
RESULT_LOOKUP_RATE_LIMIT). Every refusal says the same thing, whatever did not match, so the
page cannot be used to learn who sat which exam.

GET  /results/lookup    the form
POST /results/lookup    the released results that match, each as the candidate saw it
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from exam_server.core.auth import public
from exam_server.core.db import session
from exam_server.core.limits import limiter
from exam_server.exams import services as exams
from exam_server.exams.models import Exam
from exam_server.results import review as review_lib
from exam_server.results import services

bp = Blueprint("results_lookup", __name__)
MAX_FIELD = 32


def _date(text: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _limit() -> str:
    return current_app.config["RESULT_LOOKUP_RATE_LIMIT"]


def find_released(number: str, citizen_id: str, born: date) -> list[dict]:
    found = []
    for candidate in exams.candidates_by_identity(number, citizen_id, born):
        exam = session.get(Exam, candidate.exam_id)
        if not exam.results_visible_to_candidates:
            continue
        versions = services.candidate_results(exam, candidate)
        if versions:
            found.append({"exam": exam, "candidate": candidate, "result": versions[0],
                          "review": review_lib.review(versions[0])})
    return found


@bp.route("/results/lookup", methods=["GET"])
@public
def lookup_form():
    return render_template("results/lookup.html", entries=None, error=None, values={})


@bp.route("/results/lookup", methods=["POST"])
@public
@limiter.limit(_limit, methods=["POST"])
def lookup():
    values = {k: (request.form.get(k) or "").strip()[:MAX_FIELD] for k in ("candidate_number", "citizen_id",
                                                                           "date_of_birth")}
    born = _date(values["date_of_birth"])
    if not values["candidate_number"] or not re.fullmatch(r"\d{12}", values["citizen_id"]) or born is None:
        return render_template("results/lookup.html", entries=None, values=values,
                               error=_("Give the candidate number, the 12-digit citizen ID number and the date "
                                       "of birth (dd/mm/yyyy).")), 422
    entries = find_released(values["candidate_number"], values["citizen_id"], born)
    if not entries:
        return render_template("results/lookup.html", entries=None, values=values,
                               error=_("No released result matches these details.")), 404
    return render_template("results/lookup.html", entries=entries, error=None, values={})
