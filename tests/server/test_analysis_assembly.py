"""Assembly with a test-information target from the calibrations stored by item analysis, on
SQLite and PostgreSQL."""
from __future__ import annotations

from tests.server.test_exams import BLUEPRINT
from tests.server.test_exams_assembly import assemble, ready_exam, seed_bank


def calibrate_everything(app, exam_id, users):
    """Store a calibration for every approved version: 2PL items a = 1.5, b = 0 (information at
    θ = 0 is a² / 4 = 0.5625 each), GRM clusters."""
    from sqlalchemy import select

    from exam_server.analysis.models import ItemCalibration
    from exam_server.bank.models import ItemVersion, VersionStatus
    from exam_server.core.db import session, utcnow

    with app.app_context():
        for version in session.scalars(select(ItemVersion).where(ItemVersion.status == VersionStatus.APPROVED)):
            if version.item_type == "true_false_cluster":
                model, params = "grm", {"id": str(version.id), "a": 1.0, "b": 0.0, "thresholds": [-1.0, 0.0, 1.0]}
            else:
                model, params = "2pl", {"id": str(version.id), "a": 1.5, "b": 0.0}
            session.add(ItemCalibration(item_version_id=version.id, exam_id=exam_id, model=model, parameters=params,
                                        n_candidates=500, model_loglik=-1.0, calibrated_by_id=users["admin"],
                                        calibrated_at=utcnow()))
        session.commit()


def test_information_target_uses_stored_calibrations(app, client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)
    calibrate_everything(app, exam["id"], users)
    url = f"/api/v1/exams/{exam['id']}/blueprint"
    # 6 single-choice/numeric items x 0.5625 + 2 clusters: far below 100
    too_much = client.put(url, json={**BLUEPRINT, "information_target": [{"theta": 0, "min": 100}]}, headers=admin)
    assert too_much.status_code == 200, too_much.get_json()
    refused = assemble(client, admin, exam["id"])
    assert refused.status_code == 422 and refused.get_json()["reason"] == "information_short", refused.get_json()
    reachable = client.put(url, json={**BLUEPRINT, "information_target": [{"theta": 0, "min": 3.0}]}, headers=admin)
    assert reachable.status_code == 200
    done = assemble(client, admin, exam["id"])
    assert done.status_code == 200, done.get_json()
    stored = client.get(f"/api/v1/exams/{exam['id']}", headers=admin).get_json()["blueprint"]
    assert stored["information_target"] == [{"theta": 0.0, "min": 3.0}]


def test_a_bad_information_target_names_the_field(client, admin):
    from tests.server.test_exams import make_exam

    exam = make_exam(client, admin)
    response = client.put(f"/api/v1/exams/{exam['id']}/blueprint",
                          json={**BLUEPRINT, "information_target": [{"theta": 0, "min": -1}]}, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["field"] == "blueprint.information_target.0.min"


