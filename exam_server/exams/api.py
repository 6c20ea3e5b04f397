"""The exams' JSON API (/api/v1/exams). Thin: parse, call services, commit once, answer.

Admins create, edit and assemble; teachers read; proctors read the exams of rooms they proctor.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError, Conflict
from exam_server.core.http import json_body
from exam_server.exams import jobs as exam_jobs
from exam_server.exams import services
from exam_server.exams.models import Candidate, Exam, ExamForm, ExamRoom
from exam_server.jobs import services as jobs
from exam_server.jobs.api import accepted

bp = Blueprint("exams_api", __name__, url_prefix="/api/v1/exams")
READERS = ("admin", "teacher", "proctor")
STAFF = ("admin", "teacher")


def exam_json(exam: Exam) -> dict[str, Any]:
    return {"id": exam.id, "title": exam.title, "subject": exam.subject, "grade": exam.grade,
            "opens_at": exam.opens_at.isoformat(), "closes_at": exam.closes_at.isoformat(),
            "duration_minutes": exam.duration_minutes, "score_rounding": exam.score_rounding.value,
            "delivery_mode": exam.delivery_mode.value,
            "results_visible_to_candidates": exam.results_visible_to_candidates,
            "blueprint": exam.blueprint, "status": exam.status.value, "created_by_id": exam.created_by_id,
            "adaptive": (exam.adaptive or {}).get("rules"),
            "created_at": exam.created_at.isoformat()}


def room_json(room: ExamRoom) -> dict[str, Any]:
    return {"id": room.id, "name": room.name, "kiosk_count": room.kiosk_count,
            "proctor_ids": [u.id for u in room.proctors]}


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {"id": candidate.id, "candidate_number": candidate.candidate_number,
            "full_name": candidate.full_name, "date_of_birth": candidate.date_of_birth.isoformat(),
            "citizen_id": candidate.citizen_id, "school": candidate.school, "class_name": candidate.class_name,
            "room_id": candidate.room_id, "room": candidate.room.name if candidate.room else None,
            "extra_time_minutes": candidate.extra_time_minutes,
            "extra_time_percent": candidate.extra_time_percent,
            "gender": candidate.gender,
            "allowed_minutes": services.allowed_minutes(candidate), "user_id": candidate.user_id}


def form_json(form: ExamForm) -> dict[str, Any]:
    """Identifiers and pinned versions; never keys."""
    return {"id": form.id, "code": form.code, "index": form.index,
            "items": [{"position": fi.position, "item_version_id": fi.item_version_id,
                       "identifier": fi.item_version.item.identifier, "version": fi.item_version.number,
                       "title": fi.item_version.title, "type": fi.item_version.item_type,
                       "topic": fi.item_version.topic, "cognitive_level": fi.item_version.cognitive_level,
                       "difficulty": fi.item_version.difficulty, "points": fi.points}
                      for fi in form.items]}


@bp.route("", methods=["POST"])
@roles("admin")
def create_exam():
    exam = services.create_exam(json_body(), current_user)
    session.commit()
    return exam_json(exam), 201


@bp.route("")
@roles(*READERS)
def list_exams():
    return {"exams": [exam_json(e) for e in services.list_exams(current_user)]}


@bp.route("/<int:exam_id>")
@roles(*READERS)
def get_exam(exam_id: int):
    exam = services.readable_exam(exam_id, current_user)
    data = exam_json(exam)
    data["rooms"] = [room_json(r) for r in services.list_rooms(exam)]
    data["forms"] = [{"code": f.code, "index": f.index} for f in services.list_forms(exam)]
    return data


@bp.route("/<int:exam_id>", methods=["PUT"])
@roles("admin")
def update_exam(exam_id: int):
    body = json_body()
    exam = services.update_exam(services.get_exam(exam_id), body)
    session.commit()
    return exam_json(exam)


@bp.route("/<int:exam_id>/blueprint", methods=["PUT"])
@roles("admin")
def put_blueprint(exam_id: int):
    if not request.is_json:
        raise ApiError("expected_json", "Send the blueprint as JSON.", 415)
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError("bad_json", "The body is not JSON.", 400)
    exam = services.set_blueprint(services.get_exam(exam_id), body)
    session.commit()
    return {"blueprint": exam.blueprint}


@bp.route("/<int:exam_id>/rooms", methods=["POST"])
@roles("admin")
def add_room(exam_id: int):
    body = json_body()
    room = services.add_room(services.get_exam(exam_id), body)
    _commit("Another request added a room of this name at the same time.")
    return room_json(room), 201


@bp.route("/<int:exam_id>/rooms/<int:room_id>/proctors", methods=["PUT"])
@roles("admin")
def put_proctors(exam_id: int, room_id: int):
    body = json_body()
    room = services.get_room(services.get_exam(exam_id), room_id)
    services.assign_proctors(room, body.get("proctor_ids"))
    session.commit()
    return room_json(room)


@bp.route("/<int:exam_id>/roster", methods=["POST"])
@roles("admin")
def import_roster(exam_id: int):
    """Starts a background job (202, its URL in Location); the job's result is {"imported": n}, or
    it fails with the per-row errors."""
    exam = services.get_exam(exam_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError("missing_file", "Choose a roster file (multipart field 'file').", 400, "file")
    job = jobs.enqueue(exam_jobs.IMPORT_ROSTER, current_user, {"exam_id": exam.id},
                       input_name=upload.filename, input_data=upload.read())
    session.commit()
    return accepted(job)


def _commit(message: str) -> None:
    """Commit; a unique constraint hit by a concurrent request is a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("concurrent_change", message) from None


@bp.route("/<int:exam_id>/assemble", methods=["POST"])
@roles("admin")
def assemble(exam_id: int):
    """Starts a background job (202); its result is the exam's status and the forms made."""
    body = json_body()
    exam = services.get_exam(exam_id)
    job = jobs.enqueue(exam_jobs.ASSEMBLE, current_user, {"exam_id": exam.id, "options": body})
    session.commit()
    return accepted(job)


@bp.route("/<int:exam_id>/<any(publish, unpublish, close, reopen):transition>", methods=["POST"])
@roles("admin")
def exam_transition(exam_id: int, transition: str):
    exam = services.transition(services.get_exam(exam_id), transition)
    session.commit()
    return exam_json(exam)


@bp.route("/<int:exam_id>/forms")
@roles(*STAFF)
def list_forms(exam_id: int):
    exam = services.get_exam(exam_id)
    return {"forms": [form_json(f) for f in services.list_forms(exam)]}


@bp.route("/<int:exam_id>/candidates")
@roles(*READERS)
def list_candidates(exam_id: int):
    exam = services.readable_exam(exam_id, current_user)
    return {"candidates": [candidate_json(c) for c in services.list_candidates(exam, current_user)]}


@bp.route("/<int:exam_id>/candidates/<int:candidate_id>/paper")
@roles("admin")
def candidate_paper(exam_id: int, candidate_id: int):
    """For complaints: the exact paper, reproduced from the recorded seed, with its versions."""
    exam = services.get_exam(exam_id)
    candidate = services.get_candidate(exam, candidate_id)
    check = services.reproduce_paper(candidate, current_app.config["SECRET_KEY"])
    paper = services.get_paper(candidate)
    return {"candidate": candidate_json(candidate), "form_code": paper.form.code, **check,
            "questions": [{"number": e.number, "form_position": e.form_position,
                           "item_version_id": e.item_version.id,
                           "identifier": e.item_version.item.identifier, "version": e.item_version.number,
                           "points": e.points, "option_order": e.option_order}
                          for e in services.paper_for(candidate)],
            "student_view": services.render_paper(candidate)}


@bp.route("/<int:exam_id>/blueprint/availability", methods=["POST"])
@roles("admin")
def blueprint_availability(exam_id: int):
    """{"rows": [...]} -> per row the approved items of its cell in the bank, needed and missing:
    what the blueprint form shows before assembling (nothing is stored)."""
    from exam_server.exams.blueprint_form import availability

    exam = services.get_exam(exam_id)
    return {"rows": availability(exam, json_body().get("rows"))}
