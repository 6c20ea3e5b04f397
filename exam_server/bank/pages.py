"""Teacher pages of the item bank (server-rendered; the editor and the workflow buttons call the
JSON API of `exam_server.bank.api`).

Pages: the item list with filters, the editor (new item / new version) with a live preview, an
item's view with its versions and audit trail, the review queue, import and export.
The pages only read; every write goes through the API, so its checks are the only ones.
"""
from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from exam_server.accounts.services import display_names
from exam_server.bank import search, services
from exam_server.bank.models import ItemVersion, VersionStatus
from exam_server.bank.workflow import REVIEW_ACTIONS, WORKFLOW
from exam_server.core.auth import roles
from exam_server.core.errors import ApiError
from exam_server.core.http import int_arg
from exam_server.jobs.strings import job_strings
from item_bank import types as item_types
from item_bank.model import LANGUAGES, SUBJECTS, CognitiveLevel
from item_bank.serialize import item_to_dict

bp = Blueprint("bank_pages", __name__, url_prefix="/bank")
AUTHORS = ("teacher", "admin")
PER_PAGE = 20
REVIEW_QUEUE_MAX = 100
# Workflow buttons, in the order they are shown (supersede is never a button: saving does it).
BUTTON_ORDER = ("submit", "approve", "request_changes", "withdraw", "retire")

# --- labels -------------------------------------------------------------------------------------
# Codes are stable (database, API, QTI); what people read is translated here.

TYPE_LABELS = {
    "single_choice": _l("Single choice"),
    "multiple_response": _l("Multiple response"),
    "true_false_cluster": _l("True/false"),
    "numeric": _l("Short answer (number)"),
    "text_entry": _l("Text entry"),
    "extended_text": _l("Essay"),
    "matching": _l("Matching"),
    "ordering": _l("Ordering"),
}
TYPE_HINTS = {
    "single_choice": _l("One correct option among several (A, B, C, D)."),
    "multiple_response": _l("Several correct options; the student ticks all that apply."),
    "true_false_cluster": _l("Four statements about one stem, each true or false."),
    "numeric": _l("The student types a number; a tolerance may be allowed."),
    "text_entry": _l("The student types a word or a short phrase."),
    "extended_text": _l("A written answer, marked by a teacher with a rubric."),
    "matching": _l("Pair each item of column A with one of column B."),
    "ordering": _l("Put the steps or events in the right order."),
}
SUBJECT_LABELS = {
    "math": _l("Mathematics"), "physics": _l("Physics"), "chemistry": _l("Chemistry"),
    "biology": _l("Biology"), "literature": _l("Literature"), "english": _l("English"),
    "history": _l("History"), "geography": _l("Geography"), "informatics": _l("Informatics"),
    "civics": _l("Civic education"), "technology": _l("Technology"), "other": _l("Other"),
}
LEVEL_LABELS = {
    CognitiveLevel.BIET.value: _l("Recognition"),
    CognitiveLevel.HIEU.value: _l("Understanding"),
    CognitiveLevel.VAN_DUNG.value: _l("Application"),
    CognitiveLevel.VAN_DUNG_CAO.value: _l("High application"),
}
STATUS_LABELS = {
    VersionStatus.DRAFT.value: _l("Draft"),
    VersionStatus.IN_REVIEW.value: _l("In review"),
    VersionStatus.APPROVED.value: _l("Approved"),
    VersionStatus.RETIRED.value: _l("Retired"),
    VersionStatus.SUPERSEDED.value: _l("Superseded"),
}
LANGUAGE_LABELS = {"vi": _l("Vietnamese"), "en": _l("English")}
ACTION_LABELS = {
    "create": _l("Created"),
    "revise": _l("New version"),
    "supersede": _l("Superseded"),
    "submit": _l("Submit for review"),
    "withdraw": _l("Withdraw"),
    "approve": _l("Approve"),
    "request_changes": _l("Request changes"),
    "retire": _l("Retire"),
    "import_qti": _l("Imported (QTI)"),
    "import_spreadsheet": _l("Imported (spreadsheet)"),
}
EVENT_LABELS = {
    **ACTION_LABELS,
    "submit": _l("Submitted for review"),
    "withdraw": _l("Withdrawn from review"),
    "approve": _l("Approved"),
    "request_changes": _l("Changes requested"),
    "retire": _l("Retired"),
}
MATCH_LABELS = {"exact": _l("Exactly as written"), "normalised": _l("Ignore case and spaces"),
                "fold": _l("Ignore case, spaces and diacritics")}
SCORING_LABELS = {"all_or_nothing": _l("All or nothing"), "partial": _l("Partial credit")}

_LABELS = {"type": TYPE_LABELS, "subject": SUBJECT_LABELS, "level": LEVEL_LABELS,
           "status": STATUS_LABELS, "language": LANGUAGE_LABELS, "action": ACTION_LABELS,
           "event": EVENT_LABELS, "match": MATCH_LABELS, "scoring": SCORING_LABELS}


def label(kind: str, value: Any) -> str:
    """The reader's word for a code; the code itself when it has no label (a new type...)."""
    if kind == "type" and value not in TYPE_LABELS and value in item_types.REGISTRY:
        cls = item_types.REGISTRY[value]
        return cls.label_en if str(_current_locale()) == "en" else cls.label_vi
    found = _LABELS.get(kind, {}).get(value)
    return str(found) if found is not None else str(value or "")


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "vi")


def type_names() -> list[str]:
    """Every registered item type; the labelled ones first in the order of the exam format."""
    known = [t for t in TYPE_LABELS if t in item_types.REGISTRY]
    return known + sorted(t for t in item_types.REGISTRY if t not in TYPE_LABELS)


def renderer_strings() -> dict[str, str]:
    """Strings of static/js/item-render.js; any page that renders items passes these to it."""
    return {
        "true": _("True"), "false": _("False"), "statement": _("Statement"),
        "choose": _("Choose…"), "move_up": _("Move up"), "move_down": _("Move down"),
        "words": _("{n} words"), "expected_words": _("about {n} words expected"),
        "your_answer": _("Your answer"), "column_a": _("Column A"), "column_b": _("Column B"),
        "order_hint": _("Use the arrows to put the items in order."),
        "unknown_type": _("This item type cannot be shown."),
        "max_chars": _("at most {n} characters"),
    }


def js_strings() -> dict[str, str]:
    """Strings of the bank pages' scripts (editor, workflow buttons, import)."""
    return {
        **renderer_strings(),
        **job_strings(),
        "select_some": _("Select at least one item first."),
        "bulk_done": _("{n} item(s) done."),
        "bulk_refused": _("Not done ({n}):"),
        "saving": _("Saving…"), "saved": _("Saved."), "save_failed": _("Could not save:"),
        "network_error": _("The server could not be reached. Your work is kept on this page; try again."),
        "session_expired": _("Your session has expired. Log in again in another tab, then save again: "
                             "your work is kept on this page."),
        "preview_failed": _("The preview cannot be shown:"),
        "preview_stale": _("The preview shows the last valid version."),
        "preview_empty": _("Start typing: the preview shows the item as students will see it."),
        "preview_shuffled": _("Options are shuffled for each student."),
        "uploading": _("Uploading image…"), "upload_failed": _("The image could not be uploaded:"),
        "confirm_leave": _("You have unsaved changes."),
        "draft_found": _("Unsaved changes from {time} were kept in this browser."),
        "restore": _("Restore"), "discard": _("Discard"),
        "remove": _("Remove"), "add_option": _("Add option"), "add_answer": _("Add answer"),
        "add_criterion": _("Add criterion"), "add_source": _("Add to column A"),
        "add_target": _("Add to column B"), "add_step": _("Add item"),
        "option_text": _("Option text"), "correct": _("Correct"), "fixed": _("Keep in place"),
        "shuffle": _("Shuffle for each student"), "scoring": _("Scoring"),
        "all_or_nothing": str(SCORING_LABELS["all_or_nothing"]), "partial": str(SCORING_LABELS["partial"]),
        "options_single": _("Options — mark the correct one"),
        "options_multiple": _("Options — tick every correct one"),
        "statements": _("Statements — say whether each is true or false"),
        "statement_text": _("Statement text"),
        "value": _("Correct value"), "tolerance": _("Tolerance"), "tolerance_mode": _("Tolerance is"),
        "absolute": _("an absolute amount"), "relative": _("a fraction of the value (0.01 means one percent)"),
        "unit": _("Unit (shown after the box)"), "max_chars_label": _("Maximum characters (optional)"),
        "accepted": _("Accepted answers"), "accepted_answer": _("Accepted answer"),
        "match": _("Compare answers"), "match_exact": str(MATCH_LABELS["exact"]),
        "match_normalised": str(MATCH_LABELS["normalised"]), "match_fold": str(MATCH_LABELS["fold"]),
        "expected_length": _("Expected length in characters (optional)"),
        "rubric": _("Marking rubric"), "criterion": _("Criterion"), "max_points": _("Points"),
        "description": _("Description"), "expected_words_label": _("Expected number of words (optional)"),
        "sources": _("Column A"), "targets": _("Column B (may include extra distractors)"),
        "pairs_with": _("Matches"), "order_steps": _("Items in the CORRECT order (students see them shuffled)"),
        "step_text": _("Item text"),
        "comment_required": _("Write a comment saying what should change."),
        "action_failed": _("The action failed:"), "done": _("Done."),
        "import_failed": _("The import failed:"), "imported": _("Imported"), "skipped": _("Skipped (unchanged)"),
        "errors": _("Errors"), "file": _("File"), "row": _("Row"), "field": _("Field"), "reason": _("Reason"),
        "no_errors": _("No errors."), "choose_file": _("Choose a file first."),
        "err_unsafe_html": _("Unsafe content refused"), "err_bad_latex": _("Formula error"),
        "err_bad_image_src": _("Image not from the bank"), "err_empty_html": _("Empty text"),
    }


@bp.context_processor
def _bank_context() -> dict[str, Any]:
    return {"label": label, "js_strings": js_strings(), "SUBJECTS": SUBJECTS, "LANGUAGES": LANGUAGES,
            "LEVELS": [c.value for c in CognitiveLevel], "STATUSES": [s.value for s in VersionStatus],
            "type_names": type_names(), "TYPE_HINTS": TYPE_HINTS}


# --- helpers ------------------------------------------------------------------------------------

def _filters_or_error() -> tuple[search.SearchFilters, ApiError | None]:
    try:
        return search.SearchFilters.from_args(request.args), None
    except ApiError as exc:
        return search.SearchFilters(), exc


def _query_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k not in names and v != ""}


def workflow_actions(version: ItemVersion, user: Any) -> list[str]:
    """The workflow buttons to show for the latest version. The API checks again; this only
    avoids offering what it would refuse (a teacher never sees Approve on their own item)."""
    own = version.created_by_id == user.id
    shown = []
    for action in BUTTON_ORDER:
        if not WORKFLOW.allows(version.status, action):
            continue
        if action in REVIEW_ACTIONS and own:
            continue
        if action == "withdraw" and not own and user.role.value != "admin":
            continue  # a reviewer approves or asks for changes; withdrawing is the author's
        shown.append(action)
    return shown


def _item_view_data(version: ItemVersion) -> dict[str, Any]:
    item = services.version_to_item(version)
    return {"version": version, "item": item, "key": item.content.key, "body": item.content.body,
            "student_view": item_types.student_view(item)}


# --- pages --------------------------------------------------------------------------------------

@bp.route("/items")
@roles(*AUTHORS)
def item_list():
    filters, error = _filters_or_error()
    page = int_arg("page", 1, 1, 100_000)
    rows, total = ([], 0) if error else search.search(filters, page, PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    names = display_names({v.created_by_id for v in rows})
    base_args = _query_without("page")
    return render_template(
        "bank/item_list.html", rows=rows, total=total, page=page, pages=pages, filters=filters,
        error=error, topics=search.topics_in_use(), names=names, base_args=base_args,
        export_url=url_for("bank_api.export_qti", **_query_without("page")),
        mine=filters.created_by_id == current_user.id), (400 if error else 200)


@bp.route("/items/new")
@roles(*AUTHORS)
def item_new():
    type_name = request.args.get("type", "")
    if type_name not in item_types.REGISTRY:
        return render_template("bank/new_item.html")
    return _editor(type_name, None, None)


@bp.route("/items/<identifier>/edit")
@roles(*AUTHORS)
def item_edit(identifier: str):
    version = services.get_version(identifier)
    return _editor(version.item_type, version, item_to_dict(services.version_to_item(version)))


def _editor(type_name: str, version: ItemVersion | None, item: dict | None):
    editable = version is None or version.status in services.EDITABLE_FROM
    config = {
        "type": type_name,
        "item": item,
        "identifier": version.item.identifier if version else None,
        "base_version": version.number if version else None,
        "editable": editable,
        "urls": {
            "preview": url_for("bank_api.preview_item"),
            "create": url_for("bank_api.create_item"),
            "update": url_for("bank_api.revise_item", identifier=version.item.identifier) if version else None,
            "media": url_for("bank_api.upload_media"),
            "view": url_for("bank_pages.item_view", identifier="__ID__"),
        },
    }
    meta = item["metadata"] if item else {
        "subject": "math", "grade": 12, "topic": "", "learning_outcome": "", "cognitive_level": "biet",
        "difficulty": None, "tags": [], "author": "", "source": "", "language": "vi"}
    return render_template("bank/editor.html", type_name=type_name, version=version, item=item, meta=meta,
                           config=config, editable=editable, topics=search.topics_in_use())


@bp.route("/items/<identifier>")
@roles(*AUTHORS)
def item_view(identifier: str):
    return _view(identifier, None)


@bp.route("/items/<identifier>/versions/<int:number>")
@roles(*AUTHORS)
def item_version(identifier: str, number: int):
    return _view(identifier, number)


def _view(identifier: str, number: int | None):
    latest = services.get_version(identifier)
    version = latest if number is None else services.get_version(identifier, number)
    versions = services.list_versions(identifier)
    events = list(reversed(services.list_events(identifier)))  # newest first
    version_numbers = {v.id: v.number for v in versions}
    names = display_names({v.created_by_id for v in versions} | {e.actor_id for e in events})
    is_latest = version.id == latest.id
    return render_template(
        "bank/item_view.html", **_item_view_data(version), latest=latest, is_latest=is_latest,
        versions=versions, events=events, names=names, version_numbers=version_numbers,
        actions=workflow_actions(latest, current_user) if is_latest else [],
        can_edit=is_latest and latest.status in services.EDITABLE_FROM,
        own=latest.created_by_id == current_user.id)


@bp.route("/review")
@roles(*AUTHORS)
def review_queue():
    others, own = search.review_queue(current_user.id, REVIEW_QUEUE_MAX)
    queue = [_item_view_data(v) for v in others]
    names = display_names({v.created_by_id for v in others + own})
    return render_template("bank/review.html", queue=queue, own=own, names=names)


@bp.route("/import")
@roles(*AUTHORS)
def import_page():
    return render_template("bank/import.html")


@bp.route("/export")
@roles(*AUTHORS)
def export_page():
    filters, error = _filters_or_error()
    total = 0 if error else search.search(filters, 1, 1)[1]
    return render_template("bank/export.html", filters=filters, error=error, total=total, topics=search.topics_in_use(),
                           export_url=url_for("bank_api.export_qti", **_query_without("page")),
                           mine=filters.created_by_id == current_user.id), (400 if error else 200)
