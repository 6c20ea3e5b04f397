"""OneRoster 1.2 gradebook results, read-only: the REST binding's lineItems and results, and the
CSV binding as a zip, from the indicators' facts (each candidate's current score and place).

Mapping: a lineItem is one exam in one class (OneRoster ties a lineItem to a class): sourcedId
"e<exam>-u<unit>", its class the candidate's unit in the tree (a class, or the school when the
roster named no class), its school that unit's school. A result is one candidate's current score
in that exam (0-10, resultValueMin/Max), "fully graded". The student's sourcedId is the same
pseudonym the xAPI statements use (no name, no ID number, no candidate number): a department
matches it through the exam's roster, which its admins hold. Candidates placed in no unit of the
tree are left out (no class to tie them to).

Scope: the bearer token is its user's: an admin reads every result, an official only those of
the units of their scope and below. dateLastModified is when the exam opened (the facts keep no
scoring time): a consumer syncing by date must read the whole exam again after a rescore.
"""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_login import current_user
from sqlalchemy import func, select

from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError, NotFound
from exam_server.indicators.models import CandidateFact, IndicatorExam, OrgUnit, OrgUnitAncestor
from exam_server.indicators.units import scope_units

bp = Blueprint("oneroster", __name__, url_prefix="/ims/oneroster/gradebook/v1p2")
VIEWERS = ("admin", "official")
BASE = "/ims/oneroster/gradebook/v1p2"


def pseudonym(candidate_id: int) -> str:
    """As feed._statement's xAPI actor: one identity for a candidate across the feeds."""
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:candidate:{candidate_id}".encode()).hexdigest()[:24]


def _scoped(query):
    """Only facts placed in the tree, and for an official in the units of their scope."""
    query = query.where(CandidateFact.unit_id.is_not(None))
    scopes = scope_units(current_user)
    if scopes is not None:
        inside = select(OrgUnitAncestor.unit_id).where(OrgUnitAncestor.ancestor_id.in_([s.id for s in scopes]))
        query = query.where(CandidateFact.unit_id.in_(inside))
    return query


def _page() -> tuple[int, int]:
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise ApiError("bad_value", "limit and offset are whole numbers.", 422, "limit") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise ApiError("bad_value", "limit is 1 to 1000 and offset 0 or more.", 422, "limit")
    return limit, offset


def _school_of(unit: OrgUnit, units: dict[int, OrgUnit]) -> OrgUnit:
    parent = units.get(unit.parent_id) if unit.parent_id else None
    return parent if unit.kind != "school" and parent is not None else unit


def _units(unit_ids: set[int]) -> dict[int, OrgUnit]:
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))} if unit_ids else {}
    parents = {u.parent_id for u in units.values() if u.parent_id and u.parent_id not in units}
    if parents:
        units.update({u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(parents)))})
    return units


def _ref(kind: str, sourced_id: str, path: str | None = None) -> dict[str, str]:
    out = {"sourcedId": sourced_id, "type": kind}
    if path:
        out["href"] = f"{BASE}/{path}/{sourced_id}"
    return out


def _line_item(exam: IndicatorExam, unit: OrgUnit, units: dict[int, OrgUnit]) -> dict[str, Any]:
    opened = exam.opens_at.isoformat()
    return {"sourcedId": f"e{exam.exam_id}-u{unit.id}", "status": "active", "dateLastModified": opened,
            "title": exam.title, "description": f"{exam.subject}, grade {exam.grade}, {exam.school_year}",
            "assignDate": opened, "dueDate": opened,
            "class": _ref("class", f"unit-{unit.id}"), "school": _ref("org", f"unit-{_school_of(unit, units).id}"),
            "category": _ref("category", "exam"), "resultValueMin": 0.0, "resultValueMax": 10.0}


def _result(fact: CandidateFact, exam: IndicatorExam) -> dict[str, Any]:
    student = pseudonym(fact.candidate_id)
    return {"sourcedId": f"e{fact.exam_id}-{student}", "status": "active",
            "dateLastModified": exam.opens_at.isoformat(),
            "lineItem": _ref("lineItem", f"e{fact.exam_id}-u{fact.unit_id}", "lineItems"),
            "student": _ref("user", student), "class": _ref("class", f"unit-{fact.unit_id}"),
            "scoreStatus": "fully graded", "score": fact.score_centi / 100,
            "scoreDate": exam.opens_at.date().isoformat(), "comment": ""}


def _exams(exam_ids: set[int]) -> dict[int, IndicatorExam]:
    if not exam_ids:
        return {}
    return {e.exam_id: e for e in session.scalars(select(IndicatorExam).where(IndicatorExam.exam_id.in_(exam_ids)))}


def line_items(limit: int | None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    pairs = _scoped(select(CandidateFact.exam_id, CandidateFact.unit_id).distinct())
    total = session.scalar(select(func.count()).select_from(pairs.subquery()))
    page = pairs.order_by(CandidateFact.exam_id, CandidateFact.unit_id).offset(offset)
    rows = session.execute(page.limit(limit) if limit else page).all()
    exams, units = _exams({r[0] for r in rows}), _units({r[1] for r in rows})
    return [_line_item(exams[e], units[u], units) for e, u in rows if e in exams and u in units], total


def results(limit: int | None, offset: int = 0, *, exam_id: int | None = None, unit_id: int | None = None
            ) -> tuple[list[dict[str, Any]], int]:
    query = _scoped(select(CandidateFact).where(CandidateFact.score_centi.is_not(None)))
    if exam_id is not None:
        query = query.where(CandidateFact.exam_id == exam_id)
    if unit_id is not None:
        query = query.where(CandidateFact.unit_id == unit_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = query.order_by(CandidateFact.exam_id, CandidateFact.candidate_id).offset(offset)
    facts = list(session.scalars(page.limit(limit) if limit else page))
    exams = _exams({f.exam_id for f in facts})
    return [_result(f, exams[f.exam_id]) for f in facts if f.exam_id in exams], total


def _listing(key: str, fetch: Callable[[int, int], tuple[list[dict[str, Any]], int]]) -> Response:
    """One page of a collection: the request's limit and offset, the rows under key, the total in
    X-Total-Count and a Link to the next page when there is one."""
    limit, offset = _page()
    rows, total = fetch(limit, offset)
    response = current_app.json.response({key: rows})
    response.headers["X-Total-Count"] = str(total)
    if offset + limit < total:
        response.headers["Link"] = f'<{request.base_url}?limit={limit}&offset={offset + limit}>; rel="next"'
    return response


def _parse_line_item(sourced_id: str) -> tuple[int, int]:
    try:
        exam, unit = sourced_id.split("-", 1)
        if exam[0] != "e" or unit[0] != "u":
            raise ValueError
        return int(exam[1:]), int(unit[1:])
    except (ValueError, IndexError):
        raise NotFound(f"No lineItem {sourced_id!r}.", "sourcedId") from None


@bp.get("/lineItems")
@roles(*VIEWERS)
def get_line_items():
    return _listing("lineItems", line_items)


@bp.get("/lineItems/<sourced_id>")
@roles(*VIEWERS)
def get_line_item(sourced_id: str):
    exam_id, unit_id = _parse_line_item(sourced_id)
    found = session.scalar(_scoped(select(func.count()).select_from(CandidateFact)
                                   .where(CandidateFact.exam_id == exam_id, CandidateFact.unit_id == unit_id)))
    exam, units = session.get(IndicatorExam, exam_id), _units({unit_id})
    if not found or exam is None or unit_id not in units:
        raise NotFound(f"No lineItem {sourced_id!r}.", "sourcedId")
    return {"lineItem": _line_item(exam, units[unit_id], units)}


@bp.get("/lineItems/<sourced_id>/results")
@roles(*VIEWERS)
def get_line_item_results(sourced_id: str):
    exam_id, unit_id = _parse_line_item(sourced_id)
    return _listing("results", lambda limit, offset: results(limit, offset, exam_id=exam_id, unit_id=unit_id))


@bp.get("/results")
@roles(*VIEWERS)
def get_results():
    return _listing("results", results)


@bp.get("/results/<sourced_id>")
@roles(*VIEWERS)
def get_result(sourced_id: str):
    exam_text, _dash, student = sourced_id.partition("-")
    if not exam_text.startswith("e") or not exam_text[1:].isdigit() or not student:
        raise NotFound(f"No result {sourced_id!r}.", "sourcedId")
    exam_id = int(exam_text[1:])
    # The pseudonym is one-way: find it among the exam's results in the caller's scope (a read
    # of the exam's scored facts; a stored pseudonym column would make it one indexed row).
    for row in results(None, exam_id=exam_id)[0]:
        if row["sourcedId"] == sourced_id:
            return {"result": row}
    raise NotFound(f"No result {sourced_id!r}.", "sourcedId")


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@bp.get("/export.zip")
@roles(*VIEWERS)
def export_zip():
    """The OneRoster 1.2 CSV binding (bulk): manifest.csv, categories.csv, lineItems.csv and
    results.csv of every result the caller may see."""
    items, _n = line_items(None)
    rows, _n = results(None)
    manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]] + [
        [f"file.{name}", "bulk" if name in ("categories", "lineItems", "results") else "absent"]
        for name in ("academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
                     "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItems",
                     "lineItemScoreScales", "orgs", "resources", "results", "resultLearningObjectiveIds",
                     "resultScoreScales", "roles", "scoreScales", "userProfiles", "userResources", "users")] + [
        ["source.systemName", "exam-server"], ["source.systemCode", "indicators"]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        archive.writestr("categories.csv", _csv(["sourcedId", "status", "dateLastModified", "title", "weight"],
                                                [["exam", "active", "", "Exam", ""]]))
        archive.writestr("lineItems.csv", _csv(
            ["sourcedId", "status", "dateLastModified", "title", "description", "assignDate", "dueDate",
             "classSourcedId", "categorySourcedId", "gradingPeriodSourcedId", "academicSessionSourcedId",
             "resultValueMin", "resultValueMax", "schoolSourcedId"],
            [[i["sourcedId"], "active", i["dateLastModified"], i["title"], i["description"], i["assignDate"][:10],
              i["dueDate"][:10], i["class"]["sourcedId"], "exam", "", "", i["resultValueMin"], i["resultValueMax"],
              i["school"]["sourcedId"]] for i in items]))
        archive.writestr("results.csv", _csv(
            ["sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId", "classSourcedId",
             "scoreScaleSourcedId", "scoreStatus", "score", "textScore", "scoreDate", "comment"],
            [[r["sourcedId"], "active", r["dateLastModified"], r["lineItem"]["sourcedId"], r["student"]["sourcedId"],
              r["class"]["sourcedId"], "", r["scoreStatus"], r["score"], "", r["scoreDate"], ""] for r in rows]))
    return Response(buffer.getvalue(), mimetype="application/zip",
                    headers={"Content-Disposition": "attachment; filename=oneroster-results.zip"})
