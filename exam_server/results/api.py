"""Results, essay marking and corrections: the JSON API. Thin: parse, call services, commit once.

Points and scores are exact decimals sent as strings ("7.25"). Routes:

GET  /api/v1/exams/<exam_id>/results                              admin, teacher
GET  /api/v1/exams/<exam_id>/candidates/<candidate_id>/result     admin, teacher; a student for
     their own roster entry (candidate.user_id) when the exam shows results to candidates
GET  /api/v1/exams/<exam_id>/essay-queue                          admin, teacher (anonymised)
PUT  /api/v1/exams/<exam_id>/essay-policy                         admin
POST /api/v1/essay-scores                                         admin, teacher
GET  /api/v1/exams/<exam_id>/corrections                          admin, teacher
POST /api/v1/exams/<exam_id>/corrections                          admin -> {"rescored": n, ...}
PUT  /api/v1/exams/<exam_id>/results-release {"visible": bool}     admin: show results to candidates
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from exam_server.accounts.models import Role
from exam_server.checkin.services import admission
from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError, Conflict, NotFound
from exam_server.core.http import json_body
from exam_server.exams import services as exam_services
from exam_server.results import review as review_lib
from exam_server.results import services
from exam_server.results.models import Correction, EssayPolicy, Result

bp = Blueprint("results_api", __name__, url_prefix="/api/v1")
STAFF = ("admin", "teacher")


def _num(value) -> str | None:
    return None if value is None else str(value)


def result_json(result: Result, *, staff: bool) -> dict[str, Any]:
    body = {"result_id": result.id, "attempt_id": result.attempt_id, "candidate_id": result.candidate_id,
            "exam_id": result.exam_id, "version": result.version, "status": result.status,
            "score": _num(result.score), "raw_points": _num(result.raw_points),
            "max_points": _num(result.max_points), "pending_essays": result.pending_essays,
            "computed_at": result.computed_at.isoformat()}
    if result.theta is not None:      # an adaptive exam: the ability estimate behind the score
        body["theta"], body["theta_se"] = result.theta, result.theta_se
    items = []
    for item in result.items:
        row = {"number": item.question_number, "max_points": _num(item.max_points), "points": _num(item.points),
               "pending": item.fraction is None, "dropped": item.dropped}
        if staff:
            row |= {"id": item.id, "item_version_id": item.item_version_id, "fraction": _num(item.fraction),
                    "response": item.response, "needs_manual": item.needs_manual, "invalid": item.invalid}
        items.append(row)
    body["items"] = items
    if staff:
        body["reason"] = result.reason
        body["admission"] = admission(result.candidate_id)
    return body


def correction_json(c: Correction) -> dict[str, Any]:
    return {"id": c.id, "exam_id": c.exam_id, "item_version_id": c.item_version_id, "kind": c.kind,
            "data": c.data, "reason": c.reason, "actor_id": c.actor_id, "rescored": c.rescored,
            "at": c.at.isoformat()}


def policy_json(p: EssayPolicy) -> dict[str, Any]:
    return {"exam_id": p.exam_id, "second_scorer_required": p.second_scorer_required,
            "resolution_threshold_points": _num(p.resolution_threshold_points)}


def _commit_or_conflict(message: str, write=None):
    """Run the service (`write`) and commit; a unique constraint hit by a concurrent request
    (a second scorer marking the same round, two rescores of one attempt) answers 409."""
    try:
        outcome = write() if write is not None else None
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("concurrent_change", message) from None
    return outcome


@bp.route("/exams/<int:exam_id>/results")
@roles(*STAFF)
def exam_results(exam_id: int):
    exam = exam_services.get_exam(exam_id)
    results = {r.candidate_id: r for r in services.current_results(exam.id)}
    rows = []
    for candidate in exam_services.list_candidates(exam):
        result = results.get(candidate.id)
        rows.append({"candidate_id": candidate.id, "candidate_number": candidate.candidate_number,
                     "full_name": candidate.full_name,
                     "result": result_json(result, staff=True) if result else None})
    return {"exam_id": exam.id, "score_rounding": exam.score_rounding.value, "candidates": rows}


@bp.route("/exams/<int:exam_id>/candidates/<int:candidate_id>/result")
@roles("admin", "teacher", "student")
def candidate_result(exam_id: int, candidate_id: int):
    exam = exam_services.get_exam(exam_id)
    candidate = exam_services.get_candidate(exam, candidate_id)
    staff = current_user.role != Role.STUDENT
    if not staff:
        if candidate.user_id != current_user.id:
            raise NotFound(f"Exam {exam.id} has no candidate {candidate_id}.", "candidate_id")
        if not exam.results_visible_to_candidates:
            raise ApiError("results_not_released", "The results of this exam are not shown to candidates.", 403)
    versions = services.candidate_results(exam, candidate)
    if not versions:
        raise NotFound("No result yet for this candidate.", "candidate_id")
    body = {"candidate_id": candidate.id, "candidate_number": candidate.candidate_number,
            "full_name": candidate.full_name, "result": result_json(versions[0], staff=staff),
            # As the candidate saw it: options in the candidate's order and letters (never internal ids).
            "review": review_lib.review_json(review_lib.review(versions[0]), with_key=True)}
    if staff:
        body["history"] = [{"version": r.version, "status": r.status, "score": _num(r.score), "reason": r.reason,
                            "computed_at": r.computed_at.isoformat()} for r in versions]
        body["essay_scores"] = [{"question_number": e.question_number, "round": e.round, "scorer_id": e.scorer_id,
                                 "criteria": e.criteria, "total": _num(e.total), "rubric_max": _num(e.rubric_max),
                                 "comment": e.comment, "at": e.at.isoformat()}
                                for e in services.attempt_essay_scores(versions[0].attempt_id)]
    return body


@bp.route("/exams/<int:exam_id>/essay-queue")
@roles(*STAFF)
def essay_queue(exam_id: int):
    exam = exam_services.get_exam(exam_id)
    queue = services.essay_queue(exam, current_user, current_app.config["SECRET_KEY"])
    return {"exam_id": exam.id, "policy": policy_json(services.essay_policy(exam.id)), "items": queue}


@bp.route("/exams/<int:exam_id>/essay-policy", methods=["PUT"])
@roles("admin")
def put_essay_policy(exam_id: int):
    exam = exam_services.get_exam(exam_id)
    data = json_body()
    return _commit_or_conflict("The policy was changed at the same time; try again.",
                               lambda: policy_json(services.set_essay_policy(exam, data)))


@bp.route("/essay-scores", methods=["POST"])
@roles(*STAFF)
def post_essay_score():
    data = json_body()

    def write():
        row, state, result = services.submit_essay_score(current_user, data)
        body = {"id": row.id, "round": row.round, "criteria": row.criteria, "total": _num(row.total),
                "settled": state.fraction is not None, "needs_another_round": state.next_round}
        if result is not None:
            body["result"] = {"version": result.version, "status": result.status}
        return body

    return _commit_or_conflict("Another teacher marked this response at the same time; reload the queue.",
                               write), 201


@bp.route("/exams/<int:exam_id>/corrections")
@roles(*STAFF)
def list_corrections(exam_id: int):
    exam = exam_services.get_exam(exam_id)
    return {"corrections": [correction_json(c) for c in services.list_corrections(exam)]}


@bp.route("/exams/<int:exam_id>/corrections", methods=["POST"])
@roles("admin")
def post_correction(exam_id: int):
    exam = exam_services.get_exam(exam_id)
    data = json_body()

    def write():
        correction, count = services.correct_exam(exam, data, current_user)
        return {"rescored": count, "correction": correction_json(correction)}

    return _commit_or_conflict("Results changed at the same time; try the correction again.", write), 201


@bp.route("/exams/<int:exam_id>/results-release", methods=["PUT"])
@roles("admin")
def put_results_release(exam_id: int):
    """Release the exam's results to its candidates (or withdraw them), in any state of the exam."""
    exam = exam_services.get_exam(exam_id)
    exam_services.release_results(exam, json_body().get("visible"), actor_id=current_user.id)
    session.commit()
    return {"exam_id": exam.id, "results_visible_to_candidates": exam.results_visible_to_candidates}
