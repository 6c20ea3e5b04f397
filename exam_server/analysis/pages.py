"""Item analysis pages: an exam's item analysis (linked from its results page), its CSV / XLSX
export, and the statistics section of the bank's item page (the template global
`item_statistics`, so the bank's view needs no import of this package).

GET  /results/exams/<id>/item-analysis               admin, teacher
GET  /results/exams/<id>/item-analysis.csv | .xlsx   admin, teacher
POST /results/exams/<id>/item-analysis/calibrate     admin, teacher: IRT calibration, then back
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exam_server.analysis import labels, services
from exam_server.core.auth import roles
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError
from exam_server.exams import services as exams
from item_bank.psychometrics import MODELS

bp = Blueprint("analysis_pages", __name__)
STAFF = ("admin", "teacher")
EXPORT_COLUMNS = ("item", "version", "title", "type", "forms", "n", "max_points", "mean_points", "p",
                  "discrimination", "polyserial", "alpha_if_deleted", "flags", "irt_model", "irt_a", "irt_b", "irt_c",
                  "dif_gender", "dif_urban_suburban", "dif_urban_remote")


@bp.app_template_global("item_statistics")
def item_statistics_global(identifier: str):
    return services.item_statistics(identifier)


@bp.app_template_global("flag_text")
def flag_text_global(flag):
    return labels.flag_text(flag)


@bp.route("/results/exams/<int:exam_id>/item-analysis")
@roles(*STAFF)
def exam_items(exam_id: int):
    analysis = services.exam_analysis(exams.get_exam(exam_id), with_dif=True)
    return render_template("analysis/exam_items.html", analysis=analysis, exam=analysis["exam"], models=MODELS,
                           strings=labels.strings(), labels=labels, bands=score_bands(analysis["forms"]))


@bp.route("/results/exams/<int:exam_id>/item-analysis/calibrate", methods=["POST"])
@roles(*STAFF)
def calibrate(exam_id: int):
    model = request.form.get("model", "2pl")
    if model not in MODELS:
        raise ApiError("bad_value", f"model must be one of {', '.join(MODELS)}", 422, "model")
    try:
        summary = services.calibrate_exam(exam_id, model, current_user.id, utcnow())
    except ApiError as exc:
        session.rollback()
        flash(_("Calibration failed: %(reason)s", reason=exc.message), "error")
    else:
        session.commit()
        flash(_("Calibrated %(n)s items with the %(model)s model (%(people)s candidates).",
                n=summary["calibrated"], model=model, people=int(summary["n"])), "info")
    return redirect(url_for("analysis_pages.exam_items", exam_id=exam_id))


def _rows(analysis) -> list[list]:
    rows = []
    for row in analysis["items"]:
        v, s, cal = row["version"], row["stats"], row["calibration"]
        params = cal.parameters if cal else {}
        rows.append([v.identifier, v.number, v.title, v.item_type, " ".join(v.forms), s["n"], s["max_score"],
                     s["mean_score"], s["p"], s["discrimination"], s["polyserial"], s["alpha_if_deleted"],
                     "; ".join(labels.flag_text(f) for f in s["flags"]), cal.model if cal else None,
                     params.get("a"), params.get("b"), params.get("c"),
                     *(labels.dif_text(d["items"].get(v.version_id)) if not d["skipped"] else "n/a"
                       for d in analysis["dif"])])
    return rows


def score_bands(forms: list[dict]) -> list[dict]:
    """Each form's score distribution in ten one-point bands of the 10-point scale (the last one
    closed: 10 counts in 9-10), for the page's bars."""
    out = []
    for f in forms:
        counts = [0] * 10
        for score, n in f.get("distribution", {}).items():
            counts[min(max(int(float(score)), 0), 9)] += n
        out.append({"form": f["form"], "n": f["n"], "bands": counts, "most": max(counts) or 1})
    return out


@bp.route("/results/exams/<int:exam_id>/item-analysis.csv")
@roles(*STAFF)
def export_csv(exam_id: int):
    return _export(exam_id, "csv")


@bp.route("/results/exams/<int:exam_id>/item-analysis.xlsx")
@roles(*STAFF)
def export_xlsx(exam_id: int):
    return _export(exam_id, "xlsx")


def _export(exam_id: int, fmt: str):
    analysis = services.exam_analysis(exams.get_exam(exam_id), with_dif=True)
    rows = _rows(analysis)
    name = f"item-analysis-exam-{exam_id}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(rows)
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "items"
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append(row)
    forms = book.create_sheet("forms")
    forms.append(["form", "n", "items", "mean", "sd", "alpha", "sem", "min", "max"])
    for f in analysis["forms"]:
        forms.append([f["form"], f["n"], len(f["items"]), f["mean"], f["sd"], f["alpha"], f["sem"], f["min"], f["max"]])
    dif_sheet = book.create_sheet("dif")
    dif_sheet.append(["comparison", "reference", "focal", "n_reference", "n_focal", "item", "version", "category",
                      "statistic", "se", "chi2", "p_value", "favours"])
    versions = {row["version"].version_id: row["version"] for row in analysis["items"]}
    for d in analysis["dif"]:
        if d["skipped"]:
            dif_sheet.append([d["key"], d["reference"], d["focal"], d["n_reference"], d["n_focal"]])
        for version_id, r in d["items"].items():
            v = versions[version_id]
            dif_sheet.append([d["key"], d["reference"], d["focal"], d["n_reference"], d["n_focal"], v.identifier,
                              v.number, r["category"], r["statistic"], r["se"], r["chi2"], r["p_value"], r["favours"]])
    data = io.BytesIO()
    book.save(data)
    return Response(data.getvalue(), headers={"Content-Disposition": f"attachment; filename={name}"},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
