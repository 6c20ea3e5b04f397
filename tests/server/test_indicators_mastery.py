"""Mastery per topic and per cognitive level: a hand-worked table, the refresh (incremental,
rescores included) against the rebuild on random data, the API, and the submit's path kept free
of the item reads."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.indicator_factories import (
    bare_exam,
    item_versions,
    load_units,
    mastery_cells_of,
    store_result,
)

# a, b: Hàm số (NB, VD); c: Hình học (NB); d: no topic (VD): it counts in its level only.
SPECS = [("Hàm số", "NB"), ("Hàm số", "VD"), ("Hình học", "NB"), ("", "VD")]
MAX = ["1", "3", "5", "1"]
# points on a, b, c, d per candidate (the 5th first scored low, then rescored); the 6th has none.
POINTS = [["1", "2", "4", "0.5"], ["0", "3", "5", "1"], ["1", "0", "2.5", "0"], ["1", "1", "0", "0.25"]]
FIRST_OF_FIFTH = ["0.5", "1.5", "1", "1"]
RESCORED_FIFTH = ["1", "3", "5", "1"]


@pytest.fixture
def tree(db):
    return load_units()


def _items(versions, points):
    return [(v, p, m) for v, p, m in zip(versions, points, MAX, strict=True)]


def _hand_exam():
    exam_id, c = bare_exam([("S1", "12A")] * 6)
    versions = item_versions(SPECS)
    for i, points in enumerate(POINTS):
        store_result(exam_id, c[i], _items(versions, points))
    store_result(exam_id, c[4], _items(versions, FIRST_OF_FIFTH))
    return exam_id, c, versions


def test_mastery_by_hand(db, tree):
    from exam_server.indicators import mastery

    exam_id, c, versions = _hand_exam()
    assert mastery.refresh([exam_id]) == 5
    store_result(exam_id, c[4], _items(versions, RESCORED_FIFTH))     # a rescore after a refresh
    assert mastery.refresh([exam_id]) == 1
    cells = mastery_cells_of(exam_id)
    # Worked by hand (points / possible over the five scored candidates):
    # Hàm số (a + b): 3 + 3 + 1 + 2 + 4 = 13 of 20; Hình học (c): 4 + 5 + 2.5 + 0 + 5 = 16.5 of 25;
    # NB (a + c): 5 + 5 + 3.5 + 1 + 6 = 20.5 of 30; VD (b + d): 2.5 + 4 + 0 + 1.25 + 4 = 11.75 of 20.
    p1 = tree["P1"]
    assert cells[(p1, "", "topic", "Hàm số")] == (5, 13000, 20000)
    assert cells[(p1, "", "topic", "Hình học")] == (5, 16500, 25000)
    assert cells[(p1, "", "level", "NB")] == (5, 20500, 30000)
    assert cells[(p1, "", "level", "VD")] == (5, 11750, 20000)
    assert cells[(0, "", "topic", "Hàm số")] == cells[(tree["S1-12A"], "urban", "topic", "Hàm số")]
    assert not any(k[3] == "" for k in cells)
    before = dict(cells)
    mastery.rebuild([exam_id])
    assert mastery_cells_of(exam_id) == before


def test_a_stored_result_only_marks_the_fact(db, tree):
    """The submit's path reads no result items: the fact's UPDATE carries the stale flag."""
    from sqlalchemy import event, select

    from exam_server.indicators.models import CandidateFact

    exam_id, c, versions = _hand_exam()
    db.flush()
    seen = []

    def count(_conn, _cursor, statement, *_a):
        seen.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", count)
    try:
        store_result(exam_id, c[5], _items(versions, POINTS[0]))
        db.flush()
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", count)
    assert not any("result_items" in s and s.lstrip().upper().startswith("SELECT") for s in seen)
    assert db.scalar(select(CandidateFact.mastery_stale).where(CandidateFact.candidate_id == c[5])) is True
    assert mastery_cells_of(exam_id) == {}           # not counted until a refresh


points = st.sampled_from(["0", "0.25", "0.5", "1", "1.5", "2", "2.5", "3"])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(placements=st.lists(st.sampled_from([("S1", "12A"), ("S1", "12B"), ("THPT Vùng Cao", ""), ("S3", "10A"),
                                            ("", "")]), min_size=1, max_size=12),
       results=st.lists(st.tuples(st.integers(0, 11), st.lists(points, min_size=4, max_size=4),
                                  st.booleans()), max_size=20))
def test_refreshed_mastery_equals_a_rebuild(db, tree, placements, results):
    from exam_server.indicators import mastery

    exam_id, c = bare_exam(placements)
    versions = item_versions(SPECS)
    for index, pts, refresh_now in results:
        store_result(exam_id, c[index % len(c)], [(v, p, "3") for v, p in zip(versions, pts, strict=True)])
        if refresh_now:
            mastery.refresh([exam_id])
    mastery.refresh([exam_id])
    db.flush()
    incremental = mastery_cells_of(exam_id)
    mastery.rebuild([exam_id])
    db.flush()
    assert mastery_cells_of(exam_id) == incremental
    db.rollback()


def test_mastery_api(app, client, token_for):
    from exam_server.core.db import session

    with app.app_context():
        tree = load_units()
        exam_id, c, versions = _hand_exam()
        store_result(exam_id, c[4], _items(versions, RESCORED_FIFTH))
        session.commit()
    admin = token_for("admin")
    response = client.get(f"/api/v1/indicators/mastery?dimension=topic&unit=P1&exam_id={exam_id}", headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["unit"]["id"] == tree["P1"] and data["indicator"]["code"] == "mastery_topic"
    rows = {r["topic"]: r for r in data["rows"]}
    assert rows["Hàm số"]["value"] == 65.0 and rows["Hàm số"]["n"] == 5
    assert rows["Hình học"]["value"] == 66.0
    assert [g["school_group"] for g in rows["Hàm số"]["groups"] if not g["suppressed"]] == ["urban"]
    level = client.get(f"/api/v1/indicators/mastery?dimension=level&unit=P1&exam_id={exam_id}", headers=admin)
    levels = {r["level"]: r["value"] for r in level.get_json()["rows"]}
    assert levels == {"NB": 68.33, "VD": 58.75}          # 20.5 / 30 and 11.75 / 20
    again = client.get(f"/api/v1/indicators/mastery?dimension=topic&unit=P1&exam_id={exam_id}",
                       headers={**admin, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # A class of one school: the same five candidates; S1-12B has none (no row at all).
    small = client.get(f"/api/v1/indicators/mastery?dimension=topic&unit=S1-12B&exam_id={exam_id}", headers=admin)
    assert small.get_json()["rows"] == []
    bad = client.get("/api/v1/indicators/mastery?dimension=colour", headers=admin)
    assert bad.status_code == 422
    definitions = client.get("/api/v1/indicators/definitions", headers=admin).get_json()
    assert {d["code"] for d in definitions["mastery"]} == {"mastery_topic", "mastery_level"}


def test_the_commands(app, test_config, monkeypatch, capsys):
    from exam_server.cli import main
    from exam_server.core.db import session

    with app.app_context():
        load_units()
        exam_id, _c, _versions = _hand_exam()
        session.commit()
    monkeypatch.setenv("EXAM_DATABASE_URL", test_config["DATABASE_URL"])
    monkeypatch.setenv("EXAM_INSTANCE_PATH", test_config["INSTANCE_PATH"])
    monkeypatch.setenv("EXAM_SECRET_KEY", "cli-test")
    assert main(["indicators", "refresh-mastery", "--exam", str(exam_id)]) == 0
    assert "mastery: 5 candidate(s) counted" in capsys.readouterr().out
    assert main(["indicators", "refresh-mastery"]) == 0
    assert "mastery: 0 candidate(s) counted" in capsys.readouterr().out
    # An exam without forms has nothing the item analysis can read: absent, not zero.
    assert main(["indicators", "analyze", "--exam", str(exam_id)]) == 0
    assert "item analysis: 0 exam(s) analysed, 0 form(s), 0 flagged item(s)" in capsys.readouterr().out
