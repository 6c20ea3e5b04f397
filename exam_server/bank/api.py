"""The item bank's JSON API (/api/v1). Thin: parse, call services, commit once, answer."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_login import current_user

from exam_server.bank import bulk, media, search, services, transfer
from exam_server.bank import jobs as bank_jobs
from exam_server.bank.models import ItemEvent, ItemVersion
from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.core.http import int_arg, json_body
from exam_server.jobs import services as jobs
from exam_server.jobs.api import accepted
from item_bank import types as item_types
from item_bank.serialize import item_from_dict, item_to_dict

bp = Blueprint("bank_api", __name__, url_prefix="/api/v1")
AUTHORS = ("teacher", "admin")


def version_json(version: ItemVersion, *, full: bool = True) -> dict:
    data = {"identifier": version.item.identifier, "version": version.number, "status": version.status.value,
            "title": version.title, "type": version.item_type, "subject": version.subject,
            "grade": version.grade, "topic": version.topic, "cognitive_level": version.cognitive_level,
            "difficulty": version.difficulty, "tags": version.tags, "author": version.author,
            "language": version.language, "created_at": version.created_at.isoformat(),
            "created_by_id": version.created_by_id}
    if full:
        data["item"] = item_to_dict(services.version_to_item(version))
    return data


def event_json(event: ItemEvent) -> dict:
    return {"action": event.action, "actor_id": event.actor_id, "version_id": event.version_id,
            "from_status": event.from_status, "to_status": event.to_status, "comment": event.comment,
            "at": event.created_at.isoformat()}


@bp.route("/items")
@roles(*AUTHORS)
def list_items():
    filters = search.SearchFilters.from_args(request.args)
    page = int_arg("page", 1, 1, 100_000)
    per_page = int_arg("per_page", 20, 1, current_app.config["SEARCH_PAGE_SIZE_MAX"])
    rows, total = search.search(filters, page, per_page)
    return {"items": [version_json(v, full=False) for v in rows], "total": total, "page": page,
            "per_page": per_page}


@bp.route("/items", methods=["POST"])
@roles(*AUTHORS)
def create_item():
    body = json_body()
    if "identifier" in body and body["identifier"] in (None, ""):
        body.pop("identifier")
    version = services.create_item(item_from_dict(body), current_user)
    session.commit()
    return version_json(version), 201


@bp.route("/items/<identifier>")
@roles(*AUTHORS)
def get_item(identifier: str):
    version = services.get_version(identifier)
    data = version_json(version)
    data["versions"] = [version_json(v, full=False) for v in services.list_versions(identifier)]
    return data


@bp.route("/items/<identifier>/versions/<int:number>")
@roles(*AUTHORS)
def get_item_version(identifier: str, number: int):
    return version_json(services.get_version(identifier, number))


@bp.route("/items/<identifier>", methods=["PUT"])
@roles(*AUTHORS)
def revise_item(identifier: str):
    body = json_body()
    comment = str(body.pop("comment", "") or "")
    base_version = body.pop("base_version", None)
    if base_version is not None and (not isinstance(base_version, int) or isinstance(base_version, bool)):
        raise ApiError("bad_base_version", "base_version is the version number the edit started from.", 422,
                       "base_version")
    version = services.revise_item(identifier, item_from_dict(body, identifier=identifier), current_user,
                                   comment, base_version=base_version)
    session.commit()
    return version_json(version)


@bp.route("/items/<identifier>/<any(submit, withdraw, approve, request_changes, retire):action>",
          methods=["POST"])
@roles(*AUTHORS)
def item_action(identifier: str, action: str):
    body = json_body() if request.content_length else {}
    version = services.act(identifier, action, current_user, str(body.get("comment", "") or ""))
    session.commit()
    return version_json(version, full=False)


@bp.route("/items/<identifier>/events")
@roles(*AUTHORS)
def item_events(identifier: str):
    return {"events": [event_json(e) for e in services.list_events(identifier)]}


@bp.route("/items/preview", methods=["POST"])
@roles(*AUTHORS)
def preview_item():
    """Validate an item being edited and answer what a student will see. Nothing is stored."""
    body = json_body()
    body.setdefault("identifier", "preview")
    item = item_types.validate_item(item_from_dict(body))
    return {"student_view": item_types.student_view(item)}


@bp.route("/review-queue")
@roles(*AUTHORS)
def review_queue():
    others, _own = search.review_queue(current_user.id)
    return {"items": [version_json(v, full=False) for v in others]}


@bp.route("/review/bulk", methods=["POST"])
@roles(*AUTHORS)
def review_bulk():
    """Approve or request changes on many submitted items with one comment: {"action",
    "identifiers", "comment"}. Items refused are listed with their reason; the rest are done, all
    in one transaction."""
    body = json_body()
    outcome = bulk.review_many(body.get("identifiers"), body.get("action"), current_user, body.get("comment", ""))
    session.commit()
    return outcome


@bp.route("/media", methods=["POST"])
@roles(*AUTHORS)
def upload_media():
    upload = request.files.get("file")
    if upload is None:
        raise ApiError("missing_file", "Send the image as the multipart field 'file'.", 400, "file")
    stored = media.store_media(upload.read(), current_app.config["MAX_IMAGE_BYTES"], clean=True)
    session.commit()
    return {"url": media.media_url(stored), "sha256": stored.sha256}, 201


@bp.route("/import/qti", methods=["POST"])
@roles(*AUTHORS)
def import_qti():
    """Starts a background job (202); its result is the import report."""
    return _import_job(bank_jobs.IMPORT_QTI)


@bp.route("/import/spreadsheet", methods=["POST"])
@roles(*AUTHORS)
def import_spreadsheet():
    """Starts a background job (202); it fails with the rows in error and nothing imported when
    any row has one (all or nothing)."""
    return _import_job(bank_jobs.IMPORT_SPREADSHEET)


def _import_job(kind: str):
    upload = _upload()
    job = jobs.enqueue(kind, current_user, {"defaults": _import_defaults()},
                       input_name=upload.filename or "upload", input_data=upload.read())
    session.commit()
    return accepted(job)


@bp.route("/export/qti", methods=["POST"])
@roles(*AUTHORS)
def export_qti_job():
    """The export as a background job (202): the filters and `ids` of GET /export/qti, in the query
    string; the job's file is the package."""
    filters = search.SearchFilters.from_args(request.args)
    identifiers = [i for i in request.args.get("ids", "").split(",") if i]
    job = jobs.enqueue(bank_jobs.EXPORT_QTI, current_user,
                       {"filters": {k: v for k, v in vars(filters).items() if v not in (None, "")},
                        "identifiers": identifiers[:transfer.MAX_EXPORT_ITEMS]})
    session.commit()
    return accepted(job)


@bp.route("/export/qti")
@roles(*AUTHORS)
def export_qti():
    filters = search.SearchFilters.from_args(request.args)
    identifiers = [i for i in request.args.get("ids", "").split(",") if i]
    data = transfer.export_qti(identifiers, filters)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": "attachment; filename=items-qti3.zip"})


def _upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError("missing_file", "Choose a file to upload (multipart field 'file').", 400, "file")
    return upload


def _import_defaults() -> dict:
    defaults = {}
    for name in ("subject", "grade", "language"):
        value = request.form.get(name) or request.args.get(name)
        if value:
            defaults[name] = int(value) if name == "grade" and value.isdigit() else value
    return defaults
