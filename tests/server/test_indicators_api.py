"""The indicators' API: values by hand, small-cell and complementary suppression, scopes, ETag,
exports, the org-unit import, and a real exam's facts equal to the ones rebuilt from its tables."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.server.indicator_factories import UNITS, bare_exam, cells_of, load_units, units_csv
from tests.server.test_indicators_engine import _send


@pytest.fixture
def tree(app):
    with app.app_context():
        return load_units()


def _exam(app, placements, events, **kw):
    from exam_server.core.db import session

    with app.app_context():
        exam_id, c = bare_exam(placements, **kw)
        _send(exam_id, c, events)
        session.commit()
    return exam_id, c


def _get(client, headers, url, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_definitions_name_every_indicator(client, token_for):
    data = _get(client, token_for("admin"), "/api/v1/indicators/definitions")
    codes = [d["code"] for d in data["indicators"]]
    for code in ("registered", "participation_rate", "chip_verified_rate", "completion_submitted", "score_mean",
                 "score_median", "score_sd", "pass_rate", "share_ge8", "band_tot", "band_kha", "band_dat",
                 "band_chua_dat", "share_le1", "score_distribution", "incidents_per_100", "time_on_test_mean"):
        assert code in codes
    first = data["indicators"][0]
    assert first["name"]["vi"] and first["name"]["en"] and first["min_cell_size"] == 5
    assert "reliability_per_form" in data["absent"]


def test_values_by_hand_and_suppression(app, client, token_for, tree):
    # 12A: six scored (mean 6.0), 12B: two scored (hidden: 2 < 5), so 12A is hidden too
    # (complementary: S1's total minus 12A would give 12B). Vùng Cao: five, all 10.
    scores_a = [Decimal(x) for x in ("2", "4", "5", "7", "8", "10")]
    placements = [("S1", "12A")] * 6 + [("S1", "12B")] * 2 + [("S2", "")] * 5
    events = [("score", i, s) for i, s in enumerate(scores_a)] + [("score", 6, Decimal(9)), ("score", 7, Decimal(1))]
    events += [("score", 8 + i, Decimal(10)) for i in range(5)]
    events += [("move", i, "submitted") for i in range(13)]
    exam_id, _c = _exam(app, placements, events)
    admin = token_for("admin")
    s1 = _get(client, admin, f"/api/v1/indicators?code=score_mean&unit=S1&exam_id={exam_id}")
    assert s1["total"] == {"value": 5.75, "n": 8, "suppressed": False}      # (36 + 9 + 1) / 8
    rows = {r["unit"]["code"]: r for r in s1["rows"]}
    assert rows["S1-12B"]["suppressed"] and rows["S1-12B"]["value"] is None
    assert rows["S1-12A"]["suppressed"] and rows["S1-12A"].get("complementary")
    province = _get(client, admin, f"/api/v1/indicators?code=pass_rate&unit=P1&exam_id={exam_id}")
    # P1: 13 scored, pass (>= 5): 5, 7, 8, 10, 9 and five 10s = 10 -> 76.92 %
    assert province["total"]["value"] == 76.92 and province["total"]["n"] == 13
    communes = {r["unit"]["code"]: r for r in province["rows"]}
    assert communes["C1"]["value"] == 100.0 and communes["C2"]["value"] == 62.5     # 5 of 8
    groups = _get(client, admin, f"/api/v1/indicators?code=score_median&unit=P1&by=school_group&exam_id={exam_id}")
    by_group = {r["school_group"]: r for r in groups["rows"]}
    assert by_group["remote"]["value"] == 10.0
    assert by_group["urban"]["value"] == 6.0      # 1, 2, 4, 5, 7, 8, 9, 10 -> (5 + 7) / 2
    assert by_group["suburban"]["n"] is None and by_group["suburban"]["suppressed"]


def test_an_official_sees_only_their_units(app, client, token_for, tree, users):
    official = users["official1"]
    admin = token_for("admin")
    assert client.put(f"/api/v1/officials/{official}/scope", json={"units": ["C1"]}, headers=admin).status_code == 200
    exam_id, _c = _exam(app, [("S2", "")] * 6 + [("S1", "12A")] * 6, [("move", i, "in_progress") for i in range(12)])
    from exam_server.accounts.models import User
    from exam_server.accounts.services import issue_token
    from exam_server.core.db import session

    with app.app_context():
        headers = {"Authorization": f"Bearer {issue_token(session.get(User, official), 3600)}"}
        session.commit()
    mine = _get(client, headers, f"/api/v1/indicators?code=registered&exam_id={exam_id}")
    assert mine["unit"]["code"] == "C1" and mine["total"]["value"] == 6
    _get(client, headers, f"/api/v1/indicators?code=registered&unit=P1&exam_id={exam_id}", 403)
    _get(client, headers, f"/api/v1/indicators?code=registered&unit=C2&exam_id={exam_id}", 403)
    _get(client, headers, f"/api/v1/indicators?code=registered&unit=0&exam_id={exam_id}")   # = own scope
    units = _get(client, headers, "/api/v1/org-units")["units"]
    assert [u["code"] for u in units] == ["C1"]
    path = _get(client, headers, f"/api/v1/org-units/{tree['S2']}")["path"]
    assert [u["code"] for u in path] == ["C1", "S2"]           # the province above is not shown
    assert client.get("/api/v1/indicators/definitions", headers=token_for("teacher1")).status_code == 403


def test_etag_changes_only_with_the_cells(app, client, token_for, tree):
    exam_id, c = _exam(app, [("S1", "12A")] * 6, [])
    admin = token_for("admin")
    url = f"/api/v1/indicators?code=participation_rate&unit=P1&exam_id={exam_id}"
    first = client.get(url, headers=admin)
    etag = first.headers["ETag"]
    assert client.get(url, headers={**admin, "If-None-Match": etag}).status_code == 304
    _exam(app, [("S1", "")], [])       # another exam: this one's answer stands
    assert client.get(url, headers={**admin, "If-None-Match": etag}).status_code == 304
    from exam_server.core.db import session

    with app.app_context():
        _send(exam_id, c, [("move", 0, "in_progress")])
        session.commit()
    again = client.get(url, headers={**admin, "If-None-Match": etag})
    assert again.status_code == 200 and again.get_json()["total"]["value"] == 16.67


def test_csv_and_xlsx_exports(app, client, token_for, tree):
    exam_id, _c = _exam(app, [("S1", "12A")] * 5 + [("S2", "")] * 5, [("move", i, "submitted") for i in range(10)])
    admin = token_for("admin")
    response = client.get(f"/api/v1/indicators?code=completion_submitted&unit=P1&exam_id={exam_id}&format=csv",
                          headers=admin)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["unit_code", "unit_name", "school_group", "value", "n", "suppressed"]
    assert rows[1][:5] == ["P1", "Tỉnh Một", "", "100.0", "10"]
    assert {r[0] for r in rows[2:]} == {"C1", "C2"}
    import openpyxl

    xlsx = client.get(f"/api/v1/indicators?code=registered&unit=P1&exam_id={exam_id}&format=xlsx", headers=admin)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    row = [c.value for c in sheet[2]]
    assert row[:2] == ["P1", "Tỉnh Một"] and row[3:5] == [10, 10]


def test_unit_import_is_whole_or_nothing_and_versions_a_move(app, client, token_for, tree):
    admin = token_for("admin")
    bad = units_csv([("X1", "Trường X", "school", "NOPE", ""), ("X2", "", "school", "", "rural")])
    response = client.post("/api/v1/org-units/import", headers=admin,
                           data={"file": (io.BytesIO(bad), "units.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    reasons = {(e["row"], e["field"]) for e in response.get_json()["errors"]}
    assert reasons == {(2, "parent_code"), (3, "name"), (3, "school_group")}
    exam_id, _c = _exam(app, [("S2", "")] * 5, [])
    moved = [list(u) for u in UNITS]
    moved[4][3] = "C2"           # Vùng Cao moves to commune 2
    response = client.post("/api/v1/org-units/import", headers=admin,
                           data={"file": (io.BytesIO(units_csv(moved)), "units.xlsx.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json()["updated"] == 1
    c2 = _get(client, admin, f"/api/v1/indicators?code=registered&unit=C2&exam_id={exam_id}&by=none")
    assert c2["total"]["value"] == 5
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.indicators.models import OrgUnitVersion

    with app.app_context():
        versions = session.execute(select(OrgUnitVersion.version, OrgUnitVersion.parent_id)
                                   .where(OrgUnitVersion.unit_id == tree["S2"]).order_by(OrgUnitVersion.version)).all()
    assert versions == [(1, tree["C1"]), (2, tree["C2"])]


def test_a_real_exam_keeps_facts_equal_to_a_rebuild(app, client, token_for, users):
    """The live flow (roster import, manual token, room start, submit and scoring) through the
    real services: the facts and cells kept by the signals equal those rebuilt from the tables."""
    from exam_server.accounts.models import User
    from exam_server.core.db import session, utcnow
    from exam_server.exams.models import Candidate, ExamRoom
    from exam_server.indicators.models import CandidateFact
    from exam_server.indicators.recompute import recompute
    from exam_server.live import services as live
    from tests.server.exam_factories import live_exam

    exam = live_exam(app, client, token_for, users)
    with app.app_context():
        admin = session.get(User, users["admin"])
        now = utcnow()
        for n in (1, 2):
            candidate = session.get(Candidate, exam.candidate(n))
            live.issue_session_token(candidate, admin, "manual", "no card", now)
        live.start_room(session.get(ExamRoom, exam.room_id), admin, now)
        attempt = live.attempt_for(session.get(Candidate, exam.candidate(1)), now)
        live.maybe_start(attempt, now)
        live.submit(attempt, now + timedelta(minutes=3))
        session.commit()

        def snapshot():
            from sqlalchemy import select

            facts = sorted((f.candidate_id, f.status, f.score_centi, f.seconds_on_test, f.incidents, f.chip_verified)
                           for f in session.scalars(select(CandidateFact).where(CandidateFact.exam_id == exam.exam_id)))
            return facts, cells_of(exam.exam_id)

        kept = snapshot()
        assert len(kept[0]) == 3 and kept[0][0][1] == "submitted" and kept[0][0][3] == 180
        recompute([exam.exam_id])
        session.flush()
        assert snapshot() == kept
        session.rollback()
