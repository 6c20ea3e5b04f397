"""The admission codes API. A proctor of the room (or an admin) issues a code; the exam page
(anonymous: the candidate has no account) exchanges a candidate number and a code for the
session token, rate-limited per address (ADMISSION_CODE_RATE_LIMIT) on top of the per-code limit
of wrong tries. Views parse, call services, commit once, answer."""
from __future__ import annotations

from flask import Blueprint, current_app
from flask_login import current_user

from exam_server.admission import services
from exam_server.core.auth import csrf_exempt, public, roles
from exam_server.core.db import session
from exam_server.core.errors import error_response
from exam_server.core.http import json_body
from exam_server.core.limits import limiter

bp = Blueprint("admission_api", __name__)
PREFIX = "/api/v1/admission"


@bp.route(f"{PREFIX}/codes", methods=["POST"])
@roles("admin", "proctor")
def issue_code():
    body = json_body()
    row, code = services.issue(current_user, body.get("candidate_id"), body.get("reason"))
    session.commit()
    return services.code_json(row, code), 201


@bp.route(f"{PREFIX}/redeem", methods=["POST"])
@public
@csrf_exempt   # anonymous: no cookie session to protect, the code is the credential
@limiter.limit(lambda: current_app.config["ADMISSION_CODE_RATE_LIMIT"])
def redeem():
    body = json_body()
    outcome = services.redeem(body.get("candidate_number"), body.get("code"))
    session.commit()   # a wrong try is counted even though the answer is a refusal
    if outcome.token is None:
        status = 422 if outcome.error in ("bad_value", "bad_code_format") else 400
        return error_response(outcome.error, outcome.message, status,
                              "candidate_number" if outcome.error == "bad_value" else "code",
                              tries_left=outcome.tries_left)
    candidate = outcome.candidate
    return {"token": outcome.token, "exam_url": f"/exam#token={outcome.token}",
            "candidate": {"candidate_number": candidate.candidate_number, "full_name": candidate.full_name}}


@bp.route("/api/v1/exams/<int:exam_id>/rooms/<int:room_id>/admission-codes", methods=["POST"])
@roles("admin", "proctor")
def issue_room_codes(exam_id: int, room_id: int):
    """Codes for the whole room in one call (the printable sheet's data)."""
    lines, expires = services.issue_room(current_user, exam_id, room_id, json_body().get("reason"))
    session.commit()
    return {"expires_at": expires.isoformat(), "codes": [
        {"candidate_number": line.candidate_number, "full_name": line.full_name, "code": line.code}
        for line in lines]}, 201


@bp.route("/proctor/exams/<int:exam_id>/rooms/<int:room_id>/admission-sheet", methods=["GET", "POST"])
@roles("admin", "proctor")
def admission_sheet(exam_id: int, room_id: int):
    """GET: the form (a reason); POST: new codes for the room, as a sheet to print and cut (the
    codes are shown this once)."""
    from flask import render_template, request

    from exam_server.live.proctoring import require_room

    room = require_room(current_user, exam_id, room_id)
    if request.method == "GET":
        return render_template("admission/sheet.html", room=room, lines=None)
    lines, expires = services.issue_room(current_user, exam_id, room_id, request.form.get("reason"))
    session.commit()
    return render_template("admission/sheet.html", room=room, lines=lines, expires=expires)
