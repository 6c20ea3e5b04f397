"""The admin's exam pages: the list of exams with a "new exam" form, and one exam's page (settings,
lifecycle buttons, rooms and proctors, roster upload, blueprint and assembly, forms, candidates,
the rooms' kiosks).

Admins only, like every write of the exams JSON API. The pages read through the exams and check-in
services; every action goes to the existing JSON APIs from static/js/admin-exams.js.
"""
from __future__ import annotations

import json

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from exam_server.accounts.models import Role, User
from exam_server.bank.pages import LEVEL_LABELS, SUBJECT_LABELS, TYPE_LABELS
from exam_server.checkin import services as checkin
from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.exams import blueprint_form, services
from exam_server.exams.checklist import checklist
from exam_server.exams.models import Candidate, DeliveryMode, ExamStatus, ScoreRounding
from exam_server.jobs.strings import job_strings

bp = Blueprint("exam_pages", __name__)
MANAGERS = ("admin",)   # the roles of the exams API's writes (create, edit, rooms, roster, assemble)

STATUS_LABELS = {
    ExamStatus.DRAFT.value: _l("Draft"),
    ExamStatus.ASSEMBLED.value: _l("Assembled"),
    ExamStatus.PUBLISHED.value: _l("Published"),
    ExamStatus.CLOSED.value: _l("Closed"),
}
DELIVERY_LABELS = {
    DeliveryMode.ONE_PER_PAGE.value: _l("One question per page"),
    DeliveryMode.ALL_ON_PAGE.value: _l("All questions on one page"),
}
ROUNDING_LABELS = {
    ScoreRounding.HUNDREDTH.value: _l("Exact sum, two decimals (2025 format)"),
    ScoreRounding.QUARTER.value: _l("Rounded to the nearest 0.25"),
}
TRANSITION_LABELS = {
    "publish": _l("Publish"),
    "unpublish": _l("Unpublish"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
}


def page_strings() -> dict[str, str]:
    """Strings of static/js/admin-exams.js (and of jobs.js: roster import and assembly are jobs)."""
    return {
        **job_strings(),
        "working": _("Working…"),
        "done": _("Done."),
        "failed": _("Refused: {message}"),
        "row_error": _("Row {row}, {field}: {reason}"),
        "imported": _("{n} candidate(s) imported."),
        "unknown_proctor": _("No active proctor is called {name}."),
        "bad_json": _("The blueprint is not valid JSON."),
        "no_file": _("Choose a file first."),
        "confirm_reopen": _("Reopening drops the assembled forms and papers. Continue?"),
        "confirm_revoke": _("Revoke this kiosk? It can no longer check candidates in."),
        "confirm_close": _("Close this exam? Candidates can no longer sit it, and it cannot be opened again."),
        # static/js/blueprint-form.js
        "bp_missing": _("{n} missing"),
        "bp_not_ten": _("The points add up to {total}, not 10."),
        "bp_replace": _("Replace the rows of the table with the template?"),
        "bp_template_applied": _("Template applied: choose a topic for each row, then save."),
        "bp_no_rows": _("Add at least one row."),
        "bp_no_topic": _("Give every row a topic."),
        "bp_row": _("Row {n}: "),
    }


def _proctors() -> list[User]:
    """The active proctors the rooms can be given (by username on the page)."""
    return list(session.scalars(select(User).where(User.role == Role.PROCTOR, User.is_active.is_(True))
                                .order_by(User.username)))


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "delivery_labels": DELIVERY_LABELS,
            "subject_labels": SUBJECT_LABELS, "transition_labels": TRANSITION_LABELS,
            "rounding_labels": ROUNDING_LABELS}


@bp.route("/admin/exams")
@roles(*MANAGERS)
def exam_list():
    counts = dict(session.execute(select(Candidate.exam_id, func.count(Candidate.id))
                                  .group_by(Candidate.exam_id)).all())
    entries = [(exam, counts.get(exam.id, 0)) for exam in services.list_exams(current_user)]
    return render_template("exams/exam_list.html", entries=entries, js_strings=page_strings(), **_labels())


@bp.route("/admin/exams/<int:exam_id>")
@roles(*MANAGERS)
def exam_detail(exam_id: int):
    exam = services.get_exam(exam_id)
    rooms = services.list_rooms(exam)
    forms = services.list_forms(exam)
    kiosks = checkin.list_kiosks(exam.id)
    transitions = [a for a in services.MANUAL_ACTIONS if services.EXAM_STATES.allows(exam.status, a)]
    return render_template(
        "exams/exam_detail.html", exam=exam, rooms=rooms, forms=forms,
        candidates=services.list_candidates(exam), transitions=transitions,
        editable=exam.status == ExamStatus.DRAFT,
        checklist=checklist(exam) if exam.status in (ExamStatus.DRAFT, ExamStatus.ASSEMBLED) else [],
        roster_open=exam.status in (ExamStatus.DRAFT, ExamStatus.ASSEMBLED),
        rooms_open=exam.status != ExamStatus.CLOSED,
        kiosks_by_room={room.id: [k for k in kiosks if k.room_id == room.id] for room in rooms},
        proctors=_proctors(), subjects=list(SUBJECT_LABELS),
        blueprint_json=json.dumps(exam.blueprint, ensure_ascii=False, indent=2) if exam.blueprint else "",
        blueprint_rows=blueprint_form.form_rows(exam), bank_topics=blueprint_form.bank_topics(exam),
        blueprint_templates=blueprint_form.templates_json(), level_labels=LEVEL_LABELS, type_labels=TYPE_LABELS,
        js_strings=page_strings(), **_labels())
