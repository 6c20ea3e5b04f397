"""The check-in API (/api/v1/checkin). Kiosks call /challenge and /evidence without a session: they
authenticate by their enrolled Ed25519 key (so those views are @public and CSRF-exempt); everything
else needs a role. Views parse, call services, commit once, answer."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from flask_login import current_user

from exam_server.checkin import services
from exam_server.core.auth import csrf_exempt, public, roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError, error_response
from exam_server.core.http import json_body
from exam_server.core.limits import limiter

log = logging.getLogger(__name__)
bp = Blueprint("checkin_api", __name__)
PREFIX = "/api/v1/checkin"


@bp.route(f"{PREFIX}/kiosks", methods=["POST"])
@roles("admin")
def enrol_kiosk():
    body = json_body()
    kiosk = services.enrol_kiosk(services._id(body.get("exam_id"), "exam_id"),
                                 services._id(body.get("room_id"), "room_id"),
                                 body.get("name"), body.get("public_key"), current_user)
    session.commit()
    return services.kiosk_json(kiosk), 201


@bp.route(f"{PREFIX}/kiosks")
@roles("admin")
def list_kiosks():
    exam_id = request.args.get("exam_id")
    if exam_id is not None and not exam_id.isdigit():
        raise ApiError("bad_argument", "exam_id must be a whole number.", 400, "exam_id")
    return {"kiosks": [services.kiosk_json(k) for k in services.list_kiosks(int(exam_id) if exam_id else None)]}


@bp.route(f"{PREFIX}/kiosks/revoke", methods=["POST"])
@roles("admin")
def revoke_kiosk():
    kiosk = services.revoke_kiosk(services.get_kiosk(services._id(json_body().get("kiosk"), "kiosk")))
    session.commit()
    return services.kiosk_json(kiosk)


def _kiosk_key() -> str:
    body = request.get_json(silent=True)
    return f"kiosk:{body.get('kiosk') if isinstance(body, dict) else None}"


@bp.route(f"{PREFIX}/challenge", methods=["POST"])
@public
@csrf_exempt
@limiter.limit(lambda: current_app.config["CHECKIN_CHALLENGE_LIMIT"], key_func=_kiosk_key)
@limiter.limit(lambda: current_app.config["CHECKIN_CHALLENGE_LIMIT_PER_ADDRESS"])
def challenge():
    kiosk = services.active_kiosk(json_body().get("kiosk"))
    row = services.new_challenge(kiosk, int(current_app.config["CHECKIN_CHALLENGE_TTL_SECONDS"]),
                                 open_max=int(current_app.config["CHECKIN_OPEN_CHALLENGES_MAX"]))
    session.commit()
    return {"challenge": row.challenge, "expires_at": row.expires_at.isoformat()}


@bp.route(f"{PREFIX}/evidence", methods=["POST"])
@public
@csrf_exempt
def evidence():
    row, token, incident = services.check_evidence(json_body(), current_app.config)
    session.commit()
    if token is None:
        # Recorded (committed above) and refused: the kiosk shows the reason, the proctor sees the row.
        # "finished": the candidate's exam is over (409, a state, not bad evidence).
        return error_response(row.outcome, "; ".join(row.reasons) or row.outcome,
                              409 if row.outcome == "finished" else 422, None,
                              outcome=row.outcome, reasons=row.reasons, checkin_id=row.id)
    return {"outcome": row.outcome, "checkin_id": row.id, "token": token, "exam_url": f"/exam#token={token}",
            "candidate": {"id": row.candidate.id, "full_name": row.candidate.full_name,
                          "candidate_number": row.candidate.candidate_number},
            "face": row.face}


@bp.route(f"{PREFIX}/admit", methods=["POST"])
@roles("admin", "proctor")
def admit():
    body = json_body()
    row, token = services.admit(current_user, body.get("candidate_id"), body.get("reason"))
    session.commit()
    return {"outcome": row.outcome, "checkin_id": row.id, "verified": False, "token": token,
            "exam_url": f"/exam#token={token}", "checkin": services.checkin_json(row)}


@bp.route("/api/v1/exams/<int:exam_id>/rooms/<int:room_id>/checkins")
@roles("admin", "proctor")
def room_checkins(exam_id: int, room_id: int):
    return services.room_checkins(services.require_room(current_user, exam_id, room_id))


# The URL is /api/v1/checkin/photos/<photo id>; the argument is named `number` like the other
# numeric route arguments the role-matrix test knows how to fill.
@bp.route(f"{PREFIX}/photos/<int:number>")
@roles("admin", "proctor")
def photo(number: int):
    row = services.get_photo(current_user, number)
    response = Response(row.data, mimetype=row.mime_type)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route(f"{PREFIX}/own-portrait", methods=["POST"])
@public
@csrf_exempt   # anonymous: no cookie session to protect, the session token is the credential
@limiter.limit(lambda: current_app.config["CHECKIN_PORTRAIT_RATE_LIMIT"])
def own_portrait():
    """The exam page's own chip portrait (its instructions screen): POST so the token stays out of
    URLs and logs; never another candidate's."""
    row = services.own_portrait(json_body().get("token"))
    response = Response(row.data, mimetype=row.mime_type)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
