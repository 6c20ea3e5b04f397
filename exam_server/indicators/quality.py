"""Reliability per form and flagged items: the psychometrics library's classical analysis of an
exam (exam_server.analysis.exam_analysis over item_bank.psychometrics), kept as indicator rows.

The analysis reads every scored item of every candidate of the exam: far too much for a request
or the submit's path, so it runs when asked (`exam-server indicators analyze [--exam ID]`, after
the scoring is done) and the indicators serve what it stored, with its time and n. An exam with
no stored analysis (none run yet, or nobody scored) has no reliability and no flagged items: the
API says they are absent, it never shows a number that was not computed.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from exam_server.core.db import session
from exam_server.core.errors import NotFound
from exam_server.indicators.models import IndicatorExam, IndicatorFlaggedItem, IndicatorFormQuality
from exam_server.indicators.registry import QUALITY_BY_CODE


def analyze(exam_ids: Iterable[int], now: datetime) -> dict[str, int]:
    """Run the analysis of these exams and store its forms' reliability and flagged items
    (replacing the previous ones). Counts of exams analysed, forms and flagged items stored."""
    from exam_server.analysis.services import exam_analysis
    from exam_server.exams.services import get_exam

    counts = {"exams": 0, "forms": 0, "flagged_items": 0}
    for exam_id in exam_ids:
        session.execute(delete(IndicatorFormQuality).where(IndicatorFormQuality.exam_id == exam_id))
        session.execute(delete(IndicatorFlaggedItem).where(IndicatorFlaggedItem.exam_id == exam_id))
        try:
            exam = get_exam(exam_id)
        except NotFound:          # the exam is gone: its indicators stay, with no analysis
            continue
        analysis = exam_analysis(exam)
        if not analysis["n"] or not analysis["forms"]:
            continue          # nothing scored: absent, not zero
        counts["exams"] += 1
        for form in analysis["forms"]:
            session.add(IndicatorFormQuality(exam_id=exam_id, form=str(form["form"])[:32], n=form["n"],
                                             items=len(form["items"]), alpha=form["alpha"], sem_points=form["sem"],
                                             mean_points=form["mean"], sd_points=form["sd"], computed_at=now))
            counts["forms"] += 1
        for row in analysis["items"]:
            stats, version = row["stats"], row["version"]
            if stats["flags"]:
                session.add(IndicatorFlaggedItem(
                    exam_id=exam_id, item_version_id=version.version_id, identifier=version.identifier[:128],
                    title=version.title[:300], n=stats["n"], p=stats["p"], discrimination=stats["discrimination"],
                    flags=[{"code": f["code"], "reason": f["reason"]} for f in stats["flags"]], computed_at=now))
                counts["flagged_items"] += 1
    session.flush()
    return counts


def _rounded(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def quality(exam_ids: list[int]) -> list[dict[str, Any]]:
    """Per selected exam: its forms' reliability (suppressed below the minimum cell size) and
    its flagged items, or `absent` with the reason."""
    from exam_server.analysis.services import SMALL_SAMPLE

    reliability, flagged = QUALITY_BY_CODE["reliability_per_form"], QUALITY_BY_CODE["flagged_items"]
    forms: dict[int, list[IndicatorFormQuality]] = {}
    items: dict[int, list[IndicatorFlaggedItem]] = {}
    exams = {}
    if exam_ids:
        exams = {e.exam_id: e for e in session.scalars(select(IndicatorExam)
                                                       .where(IndicatorExam.exam_id.in_(exam_ids)))}
        for row in session.scalars(select(IndicatorFormQuality).where(IndicatorFormQuality.exam_id.in_(exam_ids))
                                   .order_by(IndicatorFormQuality.form)):
            forms.setdefault(row.exam_id, []).append(row)
        for row in session.scalars(select(IndicatorFlaggedItem).where(IndicatorFlaggedItem.exam_id.in_(exam_ids))
                                   .order_by(IndicatorFlaggedItem.identifier)):
            items.setdefault(row.exam_id, []).append(row)
    out = []
    for exam_id in exam_ids:
        exam = exams.get(exam_id)
        entry: dict[str, Any] = {"exam_id": exam_id, "title": exam.title if exam else ""}
        if exam_id not in forms:
            entry["absent"] = "no item analysis of this exam yet (exam-server indicators analyze)"
            out.append(entry)
            continue
        entry["computed_at"] = forms[exam_id][0].computed_at.isoformat()
        entry["forms"] = []
        for f in forms[exam_id]:
            shown = f.n >= reliability.min_cell
            entry["forms"].append({"form": f.form, "items": f.items, "n": f.n if shown else None,
                                   "alpha": _rounded(f.alpha) if shown else None,
                                   "sem_points": _rounded(f.sem_points) if shown else None,
                                   "suppressed": not shown, "small_sample": f.n < SMALL_SAMPLE})
        rows = items.get(exam_id, [])
        entry["flagged_items"] = [{"item_version_id": i.item_version_id, "identifier": i.identifier,
                                   "title": i.title, "n": i.n,
                                   "p": _rounded(i.p) if i.n >= flagged.min_cell else None,
                                   "discrimination": _rounded(i.discrimination) if i.n >= flagged.min_cell else None,
                                   "flags": i.flags} for i in rows]
        entry["flagged_count"] = len(rows)
        out.append(entry)
    return out
