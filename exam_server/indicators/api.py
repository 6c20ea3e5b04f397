"""The indicators' JSON API and exports (documented in docs/indicators.md and the OpenAPI file
served at /api/v1/indicators/openapi.json).

Admins see every unit; an official sees the units of their scope and below (an API token is the
official's, so it carries the same scope). GETs answer with an ETag and 304 to If-None-Match.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request
from flask_login import current_user
from sqlalchemy import select

from exam_server.core.auth import roles
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, NotFound
from exam_server.core.http import int_arg, json_body
from exam_server.indicators import mastery, quality, query
from exam_server.indicators.models import IndicatorExam, OrgUnit
from exam_server.indicators.recompute import recompute
from exam_server.indicators.registry import MASTERY, QUALITY, REGISTRY
from exam_server.indicators.units import import_units, may_see, scope_units, set_scope

bp = Blueprint("indicators_api", __name__, url_prefix="/api/v1")
VIEWERS = ("admin", "official")
OPENAPI = Path(__file__).with_name("openapi.json")


def _cached(payload_fn, *parts: Any) -> Response:
    """JSON with an ETag from what the answer depends on (the exams' revisions, the query, the
    user's scope); 304 when the client has it already, without computing it again."""
    tag = hashlib.sha256(json.dumps([*parts, request.full_path, current_user.id], default=str).encode()).hexdigest()[:32]
    etag = f'W/"{tag}"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag})
    response = Response(json.dumps(payload_fn(), ensure_ascii=False), mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/indicators/definitions")
@roles(*VIEWERS)
def definitions():
    return {"indicators": [i.describe() for i in REGISTRY],
            "mastery": [{**i.describe(), "route": "/api/v1/indicators/mastery"} for i in MASTERY],
            "quality": [{**i.describe(), "route": "/api/v1/indicators/quality"} for i in QUALITY],
            "absent": {"reliability_per_form": "for an exam without a stored item analysis",
                       "flagged_items": "for an exam without a stored item analysis"}}


@bp.get("/indicators/openapi.json")
@roles(*VIEWERS)
def openapi():
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


@bp.get("/indicators")
@roles(*VIEWERS)
def indicator_table():
    indicator = query.indicator_for(request.args.get("code"))
    unit = query.resolve_unit(current_user, request.args.get("unit"))
    selection = query.select_exams(request.args)
    by = request.args.get("by", "children")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise ApiError("bad_value", "format is json, csv or xlsx.", 422, "format")
    page = int_arg("page", 1, 1, 10**6)
    per_page = int_arg("per_page", 100, 1, 1000)

    def build() -> dict[str, Any]:
        data = query.table(indicator, unit, selection, by)
        data["total_rows"] = len(data["rows"])
        data["page"], data["per_page"] = page, per_page
        data["rows"] = data["rows"][(page - 1) * per_page: page * per_page]
        return data

    if fmt != "json":
        return _export(build(), fmt, indicator.code)
    return _cached(build, selection.revision)


@bp.get("/indicators/mastery")
@roles(*VIEWERS)
def indicator_mastery():
    """Mastery per topic (dimension=topic) or cognitive level (dimension=level) for a unit. The
    facts scored since the last refresh are counted first (mastery.py: off the submit's path)."""
    dimension = request.args.get("dimension", "topic")
    if dimension not in mastery.DIMENSIONS:
        raise ApiError("bad_value", "dimension is topic or level.", 422, "dimension")
    unit = query.resolve_unit(current_user, request.args.get("unit"))
    selection = query.select_exams(request.args)
    if mastery.refresh(selection.exam_ids):
        session.commit()
        selection = query.select_exams(request.args)     # the revisions moved
    return _cached(lambda: mastery.table(unit, selection, dimension), selection.revision)


@bp.get("/indicators/quality")
@roles(*VIEWERS)
def indicator_quality():
    """Reliability per form and flagged items of the selected exams (the stored item analysis;
    exam-level, so a unit is not a dimension of these two)."""
    selection = query.select_exams(request.args)
    return _cached(lambda: {"filters": selection.filters, "exams": quality.quality(selection.exam_ids)},
                   selection.revision, _quality_stamp(selection.exam_ids))


def _quality_stamp(exam_ids: list[int]) -> str:
    from sqlalchemy import func

    from exam_server.indicators.models import IndicatorFormQuality

    if not exam_ids:
        return ""
    return str(session.scalar(select(func.max(IndicatorFormQuality.computed_at))
                              .where(IndicatorFormQuality.exam_id.in_(exam_ids))))


@bp.get("/indicators/summary")
@roles(*VIEWERS)
def indicator_summary():
    unit = query.resolve_unit(current_user, request.args.get("unit"))
    selection = query.select_exams(request.args)
    return _cached(lambda: query.summary(unit, selection), selection.revision)


@bp.get("/indicators/trend")
@roles(*VIEWERS)
def indicator_trend():
    indicator = query.indicator_for(request.args.get("code"))
    unit = query.resolve_unit(current_user, request.args.get("unit"))
    selection = query.select_exams(request.args)
    return _cached(lambda: {"indicator": indicator.code, "points": query.trend(indicator, unit, selection)},
                   selection.revision)


@bp.get("/indicators/exams")
@roles(*VIEWERS)
def indicator_exams():
    rows = session.scalars(select(IndicatorExam).order_by(IndicatorExam.opens_at.desc()))
    return {"exams": [{"exam_id": e.exam_id, "title": e.title, "subject": e.subject, "grade": e.grade,
                       "school_year": e.school_year, "term": e.term, "month": e.month, "opens_at": e.opens_at.isoformat()}
                      for e in rows]}


def unit_json(unit: OrgUnit) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id,
            "depth": unit.depth, "school_group": unit.school_group, "level": unit.level,
            "ownership": unit.ownership, "version": unit.version}


@bp.get("/org-units")
@roles(*VIEWERS)
def list_units():
    """The children of `parent` (id; none: the roots, or an official's scope units)."""
    parent = request.args.get("parent")
    if parent in (None, ""):
        scopes = scope_units(current_user)
        units = query.children(None) if scopes is None else scopes
    else:
        unit = query.resolve_unit(current_user, parent)
        units = query.children(unit)
    return {"units": [unit_json(u) for u in units]}


@bp.get("/org-units/<int:unit_id>")
@roles(*VIEWERS)
def get_unit(unit_id: int):
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not may_see(current_user, unit):
        raise NotFound("No such unit.", "unit_id")
    ancestors = [session.get(OrgUnit, int(i)) for i in unit.path.strip("/").split("/")]
    return {**unit_json(unit), "path": [unit_json(a) for a in ancestors if may_see(current_user, a)]}


@bp.post("/org-units/import")
@roles("admin")
def import_unit_file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError("file_required", "Send the spreadsheet as the `file` field.", 422, "file")
    counts = import_units(upload.read(), upload.filename, utcnow())
    # Candidates are placed in the tree by their roster's school and class: place them again.
    counts["recomputed"] = recompute(list(session.scalars(select(IndicatorExam.exam_id))))
    session.commit()
    return counts


@bp.put("/officials/<int:user_id>/scope")
@roles("admin")
def put_scope(user_id: int):
    from exam_server.accounts.models import User

    user = session.get(User, user_id)
    if user is None or user.role.value != "official":
        raise NotFound("No official with this id.", "user_id")
    codes = json_body().get("units")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ApiError("bad_value", "units is a list of unit codes.", 422, "units")
    units = set_scope(user_id, codes)
    session.commit()
    return {"user_id": user_id, "units": [unit_json(u) for u in units]}


def _safe(value: Any) -> Any:
    """Spreadsheet cells never start a formula (names come from imported files)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _export(data: dict[str, Any], fmt: str, code: str) -> Response:
    header = ["unit_code", "unit_name", "school_group", "value", "n", "suppressed"]
    rows = []
    for row in [{"unit": data["unit"], **data["total"]}, *data["rows"]]:
        unit = row.get("unit") or data["unit"]
        value = row["value"] if not isinstance(row["value"], list) else \
            " ".join(f"{b['from']}:{b['count']}" for b in row["value"])
        rows.append([_safe(unit["code"] or "*"), _safe(unit["name"]), row.get("school_group", ""), value,
                     row["n"], row["suppressed"]])
    name = f"indicator-{code}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = code[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    data_out = io.BytesIO()
    book.save(data_out)
    return Response(data_out.getvalue(), headers={"Content-Disposition": f"attachment; filename={name}"},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
