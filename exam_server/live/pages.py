"""The live pages: the student's exam page and the proctor's room page (docs/protocol.md).

Both pages are shells: everything live comes over Socket.IO (/student with the session token,
/proctor with the cookie session). The exam page is public because the candidate is identified
by the session token (kiosk check-in or a proctor's fallback), not by a login.
"""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exam_server.accounts.models import Role
from exam_server.bank.pages import renderer_strings
from exam_server.core.auth import public, roles
from exam_server.core.errors import Forbidden
from exam_server.exams import services as exams

bp = Blueprint("live_pages", __name__)
PROCTORS = ("proctor", "admin")


def exam_strings() -> dict[str, str]:
    """Strings of static/js/exam-page.js."""
    return {
        **renderer_strings(),
        "connecting": _("Connecting…"),
        "saved": _("All answers saved"),
        "saving": _("Saving…"),
        "offline": _("Offline: {n} answer(s) kept on this computer, sent when the connection is back"),
        "offline_saved": _("Offline: the connection to the server is lost"),
        "not_saved": _("Not saved yet: retrying"),
        "refused": _("Question {q}: the answer was refused ({message})"),
        "question": _("Question {n}"), "points": _("{p} point(s)"),
        "flag": _("Flag for review"), "unflag": _("Remove flag"),
        "previous": _("Previous"), "next": _("Next"),
        "answered": _("Answered"), "flagged": _("Flagged"), "current": _("Current"),
        "answered_count": _("{n} of {m} answered"),
        "remaining": _("Time remaining"),
        "submit": _("Submit"),
        "confirm_title": _("Submit the exam?"),
        "confirm_all": _("You have answered every question."),
        "confirm_unanswered": _("Not answered yet: {list}."),
        "confirm_flagged": _("Flagged for review: {list}."),
        "confirm_final": _("After submitting you cannot change your answers."),
        "confirm_yes": _("Submit now"), "confirm_no": _("Go back"),
        "submit_offline": _("You are offline. Your answers are kept; submit when the connection is back."),
        "submit_waiting": _("Sending the last answers before submitting…"),
        "submit_failed": _("The exam could not be submitted: {message}"),
        "submitted": _("Your exam has been submitted. You may leave the room when the proctor allows it."),
        "closed": _("Time is up: the server closed your exam. Your saved answers are kept."),
        "terminated": _("Your exam was ended by the proctor: {reason}"),
        "finished": _("This exam is finished."),
        "paused": _("The proctor has paused your exam: {reason}"),
        "paused_plain": _("The proctor has paused your exam."),
        "resumed": _("Your exam continues."),
        "extended": _("The proctor gave you {n} more minute(s)."),
        "moved": _("Please go to kiosk {kiosk}: the proctor moved you."),
        "notice": _("Message from the proctor"),
        "time_up_wait": _("Time is up: waiting for the server…"),
        "bad_token": _("This session code is not valid (it may have expired). Ask the proctor for a new one."),
        "already_connected": _("This exam is already open on another screen. Retrying…"),
        "exam_not_open": _("The exam is not open yet. The page will keep trying."),
        "server_busy": _("Many students are connecting at once: this page connects in a few seconds."),
        "attempt_finished": _("Your exam is already finished."),
        "session_replaced": _("You checked in again at another kiosk, or the proctor gave you a new code: "
                              "this screen is closed. Your saved answers are kept."),
        "connect_failed": _("Cannot reach the server ({error}). Retrying…"),
        "dismiss": _("Close"),
        "adaptive_confirm": _("Confirm answer"),
        "adaptive_note": _("Adaptive test: a confirmed answer is final, and the next question depends on it."),
        "adaptive_done": _("You have answered every question of this adaptive test: submit your exam."),
        "adaptive_section_done": _("The adaptive section is over: check your other answers, then submit your exam."),
        "form": _("Form {code}"),
        "waiting_start": _("You are connected. The exam starts when the proctor opens the room."),
        # The entry with an admission code (admission-entry.js).
        "number_required": _("Type your candidate number."),
        "code_format": _("An admission code has 8 letters and digits, like ABCD-EFGH."),
        "code_wrong": _("The candidate number or the admission code is not right, or the code has expired or "
                        "was already used. Ask the proctor."),
        "code_wrong_left": _("The candidate number or the admission code is not right ({n} tries left)."),
        "code_locked": _("Too many wrong codes: this code no longer works. Ask the proctor for a new one."),
        "code_rate_limited": _("Too many tries from this computer: wait a minute."),
        "code_failed": _("The code could not be checked: {message}"),
    }


def proctor_strings() -> dict[str, str]:
    """Strings of static/js/proctor-page.js."""
    return {
        "connecting": _("Connecting…"), "live": _("Live"), "disconnected": _("Disconnected: reconnecting…"),
        "state_not_arrived": _("Not arrived"), "state_checked_in": _("Checked in"),
        "state_in_progress": _("In progress"), "state_paused": _("Paused"), "state_submitted": _("Submitted"),
        "state_closed": _("Closed"), "state_terminated": _("Terminated"),
        "online": _("Online"), "offline_since": _("Offline since {time}"), "never_connected": _("Not connected"),
        "chip": _("Chip"), "manual": _("Manual"), "verified": _("verified"), "unverified": _("not verified"),
        "no_checkin": _("No check-in"),
        "incident_disconnect": _("Disconnected"), "incident_second_login": _("Second login"),
        "incident_checkin_mismatch": _("Check-in mismatch"), "incident_focus_lost": _("Left the exam window"),
        "incident_checkin_after_finish": _("Check-in after finishing"),
        "room_started": _("Room started"), "room_not_started": _("Room not started"),
        "room_paused": _("Room paused"),
        "pause": _("Pause"), "resume": _("Resume"), "extend": _("Extend time"), "move": _("Move to kiosk"),
        "terminate": _("Terminate"), "note": _("Note"), "message": _("Message"), "issue_token": _("Issue session code"),
        "pause_room": _("Pause the room"), "resume_room": _("Resume the room"), "note_room": _("Note for the room"),
        "minutes": _("Minutes (1–120)"), "kiosk": _("Kiosk"), "reason": _("Reason"), "text": _("Text"),
        "reason_required": _("A reason is required."), "confirm": _("Confirm"), "cancel": _("Cancel"),
        "done": _("Done."), "failed": _("Failed: {message}"),
        "token_title": _("Session code for {name}"),
        "token_help": _("Open this address on the candidate's kiosk (or type the code on the exam page). "
                        "It is shown once."),
        "copy": _("Copy"), "copied": _("Copied"),
        "for_candidate": _("{action}: {name}"),
        "all_candidates": _("the whole room"),
        "incident_log": _("Incidents"), "no_incidents": _("No incidents."),
        "admit": _("Admission code…"),
        "chip_verified": _("Chip verified"),
        "admitted_unverified": _("Admitted manually (unverified)"),
        "admitted_by": _("by {name} at {time}"),
        "chip_at_kiosk": _("chip check-in at kiosk {kiosk} at {time}"),
        "not_verified_because": _("Not verified: {outcome}"),
        "outcome_verified": _("verified"), "outcome_mismatch": _("does not match the roster"),
        "outcome_chip_failed": _("the chip failed verification"),
        "outcome_no_candidate": _("no candidate of this room"), "outcome_manual": _("admitted manually"),
        "passive_auth": _("Passive authentication"), "active_auth": _("Active authentication"),
        "auth_ok": _("passed"), "auth_failed": _("failed"),
        "card_read": _("chip: {name}, ID {id}, born {dob}"),
        "differs": _("{field}: on the chip {chip}, on the roster {roster}"),
        "field_id_number": _("ID number"), "field_full_name": _("Full name"),
        "field_date_of_birth": _("Date of birth"),
        "photo_chip": _("Chip photo"), "photo_live": _("Live photo"),
        "photo_none": _("No photo"), "photo_purged": _("Photo deleted (retention period over)"),
        "face_match": _("Face matches"), "face_no_match": _("Face does not match"),
        "face_not_compared": _("Face not compared"),
        # Why a face was not compared, by face.compare()'s status (its `detail` is for the logs).
        "face_why_no_photo": _("no live photo was taken, or the chip has no portrait"),
        "face_why_no_face_chip": _("no face found in the chip portrait"),
        "face_why_no_face_live": _("no face found in the live photo"),
        "face_why_unavailable": _("face comparison is not installed on the server"),
        "face_why_error": _("the comparison failed (see the server log)"),
        "face_numbers": _("score {score} (distance {distance}, match below {threshold})"),
        "earlier_attempts": _("Earlier check-in attempts ({n})"),
        # The room of 40 (issue 10): compact rows, counters, menus, admission codes.
        "offline": _("Offline"), "offline_short": _("lost {time}"),
        "checkin_details": _("Check-in details"), "checkin": _("Check-in details"),
        "checkin_of": _("Check-in of {name}"),
        "chip_short": _("Chip"), "manual_short": _("Manual"),
        "incidents_title": _("{n} incident(s), {open} open"),
        "actions": _("Actions"), "actions_for": _("Actions for {name}"),
        "answered": _("Answered"), "shown": _("{n} of {m} shown"),
        "terminate_confirm": _("Terminate the exam"), "danger_zone": _("Cannot be undone"),
        "code_title": _("{name} ({number})"),
        "code_valid_until": _("Valid until {time} ({minutes} minutes), once."),
        "no_window": _("not set"), "window_same_day": _("{date}, {from}–{to}"), "window": _("{from} to {to}"),
    }


@bp.route("/exam")
@public
def exam_page():
    return render_template("live/exam.html", js_strings=exam_strings())


def _my_rooms(exam) -> list:
    rooms = exams.list_rooms(exam)
    if current_user.role == Role.PROCTOR:
        rooms = [room for room in rooms if any(p.id == current_user.id for p in room.proctors)]
    return rooms


@bp.route("/proctor")
@roles(*PROCTORS)
def proctor_list():
    entries = [(exam, _my_rooms(exam)) for exam in exams.list_exams(current_user)]
    return render_template("live/proctor_list.html", entries=[e for e in entries if e[1]])


@bp.route("/proctor/exams/<int:exam_id>/rooms/<int:room_id>")
@roles(*PROCTORS)
def proctor_room(exam_id: int, room_id: int):
    exam = exams.readable_exam(exam_id, current_user)
    room = exams.get_room(exam, room_id)
    if current_user.role == Role.PROCTOR and all(p.id != current_user.id for p in room.proctors):
        raise Forbidden("You do not proctor this room.", code="not_your_room")
    candidates = [c for c in exams.list_candidates(exam) if c.room_id == room.id]
    return render_template("live/proctor_room.html", exam=exam, room=room, candidates=candidates,
                           exam_url=url_for("live_pages.exam_page", _external=True),
                           js_strings=proctor_strings())
