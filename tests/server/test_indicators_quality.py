"""Reliability per form and flagged items as indicators: absent until an item analysis is stored,
then the psychometrics library's figures, with small samples suppressed."""
from __future__ import annotations

from datetime import UTC, datetime

from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the exam fixture)


def test_absent_until_analysed_then_stored_and_suppressed(app, client, exam, token_for):  # noqa: F811
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.indicators.engine import ensure_exams
    from exam_server.indicators.models import IndicatorFlaggedItem, IndicatorFormQuality
    from exam_server.indicators.quality import analyze

    # question 0 (single choice, key A): A, A, B -> p = 2/3; options C and D never chosen
    answer(app, exam, 0, all_right())
    answer(app, exam, 1, {0: "A"})
    answer(app, exam, 2, {0: "B", 1: "A"})
    with app.app_context():
        ensure_exams([exam["id"]])
        session.commit()
    headers = token_for("admin")
    url = f"/api/v1/indicators/quality?exam_id={exam['id']}"
    before = client.get(url, headers=headers).get_json()["exams"]
    assert len(before) == 1 and "absent" in before[0] and "forms" not in before[0]

    with app.app_context():
        counts = analyze([exam["id"]], datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
        session.commit()
        stored = session.scalars(select(IndicatorFormQuality)).all()
        assert counts["exams"] == 1 and [(f.form, f.n) for f in stored] == [("101", 3)]
        flagged = {f.item_version_id: f for f in session.scalars(select(IndicatorFlaggedItem))}
    assert counts["flagged_items"] == len(flagged) >= 1
    after = client.get(url, headers=headers).get_json()["exams"][0]
    assert "absent" not in after and after["computed_at"].startswith("2026-12-04T10:00")
    # three candidates: under the minimum cell of 5, the coefficient is not shown
    assert after["forms"] == [{"form": "101", "items": 5, "n": None, "alpha": None, "sem_points": None,
                               "suppressed": True, "small_sample": True}]
    codes = {code for item in after["flagged_items"] for code in (f["code"] for f in item["flags"])}
    assert "nonfunctioning_distractor" in codes
    assert all(item["p"] is None for item in after["flagged_items"])      # p over 3 candidates: hidden
    assert after["flagged_count"] == len(flagged)

    definitions = client.get("/api/v1/indicators/definitions", headers=headers).get_json()
    assert {d["code"] for d in definitions["quality"]} == {"reliability_per_form", "flagged_items"}


def test_a_stored_coefficient_over_enough_candidates_is_shown(db):
    from exam_server.indicators.models import IndicatorExam, IndicatorFormQuality
    from exam_server.indicators.quality import quality

    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    db.add(IndicatorExam(exam_id=900, title="Toán", subject="math", grade=12, school_year="2026-2027",
                         month="2026-12", opens_at=at, revision=0))
    db.add_all([IndicatorFormQuality(exam_id=900, form="101", n=40, items=40, alpha=0.81234, sem_points=0.6789,
                                     mean_points=6.1, sd_points=1.4, computed_at=at),
                IndicatorFormQuality(exam_id=900, form="102", n=4, items=40, alpha=0.5, sem_points=1.0,
                                     mean_points=6.0, sd_points=1.0, computed_at=at)])
    db.flush()
    [entry] = quality([900])
    assert entry["forms"][0] == {"form": "101", "items": 40, "n": 40, "alpha": 0.812, "sem_points": 0.679,
                                 "suppressed": False, "small_sample": False}
    assert entry["forms"][1]["suppressed"] and entry["forms"][1]["alpha"] is None
    assert entry["flagged_items"] == [] and entry["flagged_count"] == 0
    assert quality([901]) == [{"exam_id": 901, "title": "",
                               "absent": "no item analysis of this exam yet (exam-server indicators analyze)"}]
