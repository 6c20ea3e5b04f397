"""Item analysis of exams: feeds the psychometrics library the scored results (through the
results package's services) and stores IRT calibrations. Services flush, never commit.

    exam_analysis(exam)            classical statistics per item version and per form
    item_statistics(identifier)    one bank item's statistics in every exam it served in
    calibrate_exam(exam_id, model, actor_id, now)   IRT parameters per version (a plain function:
                                   a job queue can run it; the caller commits)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from exam_server.analysis import dif
from exam_server.analysis.models import ItemCalibration
from exam_server.bank import services as bank
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.exams import services as exams
from exam_server.exams.models import Exam
from exam_server.results import services as results
from item_bank.psychometrics import PsychometricsError, Responses, calibrate
from item_bank.psychometrics.classical import analyze

SMALL_SAMPLE = 30


@dataclass
class VersionInfo:
    version_id: int
    identifier: str
    number: int
    title: str
    item_type: str
    max_points: float
    forms: list[str] = field(default_factory=list)
    key: str | None = None
    options: list[str] | None = None


@dataclass
class ExamData:
    exam: Exam
    versions: list[VersionInfo]
    candidates: list[int]
    points: np.ndarray            # (N, J) points, NaN = not on the candidate's paper / not scored
    fractions: np.ndarray         # (N, J) score share 0..1
    choices: np.ndarray           # (N, J) chosen option of choice items, else None
    forms: list[str]              # per candidate: the form code


def exam_data(exam: Exam) -> ExamData:
    versions: dict[int, VersionInfo] = {}
    form_of_set: dict[frozenset, str] = {}
    for form in exams.list_forms(exam):
        ids = []
        for entry in form.items:
            v = entry.item_version
            info = versions.get(v.id)
            if info is None:
                options = [o["id"] for o in (v.body or {}).get("options", [])] or None
                key = (v.answer_key or {}).get("correct") if v.item_type == "single_choice" else None
                info = versions[v.id] = VersionInfo(v.id, v.item.identifier, v.number, v.title, v.item_type,
                                                    float(entry.points), key=key, options=options)
            info.forms.append(form.code)
            ids.append(v.id)
        form_of_set[frozenset(ids)] = form.code
    order = list(versions)
    column = {vid: j for j, vid in enumerate(order)}
    rows: dict[int, list] = {}
    for scored in results.exam_scored_items(exam.id):
        rows.setdefault(scored.candidate_id, []).append(scored)
    candidates = list(rows)
    shape = (len(candidates), len(order))
    points, fractions = np.full(shape, np.nan), np.full(shape, np.nan)
    choices = np.full(shape, None, dtype=object)
    forms = []
    for n, candidate_id in enumerate(candidates):
        got = rows[candidate_id]
        forms.append(form_of_set.get(frozenset(s.item_version_id for s in got), "?"))
        for s in got:
            j = column.get(s.item_version_id)
            if j is None or s.dropped or s.fraction is None:
                continue     # a dropped question says nothing; an essay not yet marked is not scored
            fractions[n, j] = float(s.fraction)
            points[n, j] = float(s.points)
            if versions[s.item_version_id].key is not None and isinstance(s.response, str):
                choices[n, j] = s.response
    return ExamData(exam, [versions[v] for v in order], candidates, points, fractions, choices, forms)


def exam_analysis(exam: Exam, *, with_dif: bool = False) -> dict[str, Any]:
    """`with_dif`: also differential item functioning between the roster's groups (analysis/dif.py)."""
    data = exam_data(exam)
    out: dict[str, Any] = {"exam": exam, "n": len(data.candidates), "items": [], "forms": [], "dif": [],
                           "small_sample": len(data.candidates) < SMALL_SAMPLE}
    if not data.candidates or not data.versions:
        return out
    report = analyze(data.points, [v.max_points for v in data.versions], [str(v.version_id) for v in data.versions],
                     choices=data.choices, keys=[v.key for v in data.versions],
                     options=[v.options for v in data.versions], forms=data.forms)
    calibrations = current_calibrations([v.version_id for v in data.versions])
    for info, stats in zip(data.versions, report.items):
        out["items"].append({"version": info, "stats": stats.to_dict(),
                             "calibration": calibrations.get(info.version_id)})
    out["forms"] = [f.to_dict() for f in report.forms]
    out["equating"] = form_equating(data, calibrations)
    if with_dif:
        out["dif"] = dif.exam_dif(data.candidates, [v.version_id for v in data.versions], data.fractions,
                                  data.points, data.forms, dif.candidate_groups(exam.id),
                                  current_app.config["DIF_MIN_GROUP"])
    return out


def form_equating(data: ExamData, calibrations: dict[int, ItemCalibration]) -> list[dict[str, Any]]:
    """Each form's difficulty on the common IRT scale: the expected score (in points) of a N(0, 1)
    population and at θ = -2..2, from the current calibrations (a concurrent calibration of the
    exam puts the forms on one scale). Items without a calibration (e.g. left out because every
    candidate had the same score) are not counted: `n_items` of `form_items` says how many are."""
    from dataclasses import replace

    from item_bank.psychometrics.calibrate import FAMILY
    from item_bank.psychometrics.equating import form_report
    from item_bank.psychometrics.params import ItemEstimate

    items, forms = [], {}
    for info in data.versions:
        row = calibrations.get(info.version_id)
        if row is not None:
            try:
                item = ItemEstimate.from_dict({**row.parameters, "id": str(info.version_id)}, FAMILY[row.model])
            except (PsychometricsError, KeyError):
                continue
            # scores are fractions of the question: in points, so forms compare on the 10-point scale
            items.append(replace(item, scores=tuple(score * info.max_points for score in item.scores)))
        for code in info.forms:
            forms.setdefault(code, []).append(str(info.version_id))
    calibrated = {item.id for item in items}
    covered = {code: ids for code, ids in forms.items() if calibrated & set(ids)}
    return [{**r.to_dict(), "form_items": len(forms[r.form])} for r in form_report(items, covered)] if covered else []


def item_statistics(identifier: str) -> list[dict[str, Any]]:
    """A bank item's statistics in each exam any of its versions served in (newest exam first)."""
    versions = {v.id: v for v in bank.list_versions(identifier)}
    found = []
    for exam_id in reversed(results.exams_with_versions(versions)):
        exam = exams.get_exam(exam_id)
        analysis = exam_analysis(exam)
        for row in analysis["items"]:
            if row["version"].version_id in versions:
                found.append({"exam": exam, "n_exam": analysis["n"], **row})
    return found


def current_calibrations(version_ids: list[int]) -> dict[int, ItemCalibration]:
    if not version_ids:
        return {}
    newest = (select(func.max(ItemCalibration.id)).where(ItemCalibration.item_version_id.in_(version_ids))
              .group_by(ItemCalibration.item_version_id))
    return {row.item_version_id: row for row in session.scalars(select(ItemCalibration)
                                                                 .where(ItemCalibration.id.in_(newest)))}


def calibrate_exam(exam_id: int, model: str, actor_id: int, now: datetime) -> dict[str, Any]:
    """Calibrate the exam's items with `model` on its current results (every form together:
    common items put the forms on one scale) and store each version's parameters."""
    exam = exams.get_exam(exam_id)
    data = exam_data(exam)
    if len(data.candidates) < 2:
        raise ApiError("too_few_results", "Calibration needs the results of at least two candidates.", 422)
    # IRT works on score categories: a 0/1 item's fraction, a cluster's or essay's distinct marks
    ids = [str(v.version_id) for v in data.versions]
    try:
        fitted = calibrate(Responses(ids, data.fractions), model)
    except PsychometricsError as exc:
        raise ApiError(f"calibration_{exc.code}", exc.message, 422) from None
    by_version = {int(item.id): item for item in fitted.items}
    for version_id, item in by_version.items():
        session.add(ItemCalibration(item_version_id=version_id, exam_id=exam.id, model=fitted.model,
                                    parameters=_plain(item.to_dict()), n_candidates=round(item.n),
                                    model_loglik=float(fitted.loglik), calibrated_by_id=actor_id,
                                    calibrated_at=now))
    session.flush()
    return {"model": fitted.model, "n": fitted.n, "loglik": fitted.loglik, "aic": fitted.aic, "bic": fitted.bic,
            "converged": fitted.converged, "calibrated": len(by_version), "excluded": fitted.excluded}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def calibrated_parameters(version_ids: list[int]) -> dict[int, dict[str, Any]]:
    """version id -> {"model", **parameters} of its newest calibration (for the assembler)."""
    return {vid: {"model": row.model, **row.parameters} for vid, row in current_calibrations(version_ids).items()}
