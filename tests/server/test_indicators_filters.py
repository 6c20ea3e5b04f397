"""The term dimension and the school-group filter of the indicators' API."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.server.indicator_factories import bare_exam, load_units
from tests.server.test_indicators_engine import _send

# (opens at, UTC) -> term: HK1 September to January, HK2 February to May, HE June to August.
TERMS = [(datetime(2026, 9, 5, 1, tzinfo=UTC), "2026-2027-HK1"), (datetime(2027, 1, 20, 1, tzinfo=UTC), "2026-2027-HK1"),
         (datetime(2027, 2, 1, 1, tzinfo=UTC), "2026-2027-HK2"), (datetime(2027, 5, 31, 1, tzinfo=UTC), "2026-2027-HK2"),
         (datetime(2027, 6, 15, 1, tzinfo=UTC), "2026-2027-HE"), (datetime(2027, 8, 31, 1, tzinfo=UTC), "2026-2027-HE"),
         (datetime(2027, 9, 1, 1, tzinfo=UTC), "2027-2028-HK1")]


@pytest.mark.parametrize(("opens_at", "term"), TERMS)
def test_term_of(opens_at, term):
    from exam_server.indicators.engine import term_of

    assert term_of(opens_at) == term


def _get(client, headers, url, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def two_terms(app):
    """Exam 1 (December, HK1): 12A of S1 (urban) six scores, mean 6.0; Vùng Cao (remote) five 10s.
    Exam 2 (March, HK2): five in Vùng Cao, all 4.0."""
    from exam_server.core.db import session

    with app.app_context():
        tree = load_units()
        scores = [Decimal(x) for x in ("2", "4", "5", "7", "8", "10")]
        first, c = bare_exam([("S1", "12A")] * 6 + [("S2", "")] * 5, opens_at=datetime(2026, 12, 1, 1, tzinfo=UTC))
        _send(first, c, [("score", i, s) for i, s in enumerate(scores)] +
              [("score", 6 + i, Decimal(10)) for i in range(5)])
        second, c2 = bare_exam([("S2", "")] * 5, opens_at=datetime(2027, 3, 2, 1, tzinfo=UTC))
        _send(second, c2, [("score", i, Decimal(4)) for i in range(5)])
        session.commit()
    return tree, first, second


def test_term_filter(client, token_for, two_terms):
    _tree, first, second = two_terms
    admin = token_for("admin")
    exams = {e["exam_id"]: e["term"] for e in _get(client, admin, "/api/v1/indicators/exams")["exams"]}
    assert exams[first] == "2026-2027-HK1" and exams[second] == "2026-2027-HK2"
    hk2 = _get(client, admin, "/api/v1/indicators/summary?unit=P1&term=2026-2027-HK2")
    assert hk2["exam_ids"] == [second] and hk2["filters"] == {"term": "2026-2027-HK2"}
    assert hk2["indicators"]["score_mean"]["value"] == 4.0
    year = _get(client, admin, "/api/v1/indicators/summary?unit=P1&school_year=2026-2027")
    assert year["exam_ids"] == [first, second]
    definitions = _get(client, admin, "/api/v1/indicators/definitions")
    assert "term" in definitions["indicators"][0]["dimensions"]


def test_school_group_filter(client, token_for, two_terms):
    _tree, first, _second = two_terms
    admin = token_for("admin")
    remote = _get(client, admin, f"/api/v1/indicators/summary?unit=P1&exam_id={first}&school_group=remote")
    assert remote["filters"] == {"exam_id": first, "school_group": "remote"}
    assert remote["indicators"]["score_mean"]["value"] == 10.0 and remote["indicators"]["score_mean"]["n"] == 5
    urban = _get(client, admin, f"/api/v1/indicators/summary?unit=P1&exam_id={first}&school_group=urban")
    assert urban["indicators"]["score_mean"]["value"] == 6.0 and urban["indicators"]["registered"]["value"] == 6
    # The communes of P1 for remote schools only: C1 holds Vùng Cao (5), C2 only urban schools (0).
    table = _get(client, admin, f"/api/v1/indicators?code=score_mean&unit=P1&exam_id={first}&school_group=remote")
    rows = {r["unit"]["code"]: r for r in table["rows"]}
    assert table["total"]["value"] == 10.0
    assert rows["C1"]["value"] == 10.0 and rows["C2"]["suppressed"] and rows["C2"]["value"] is None
    everyone = _get(client, admin, f"/api/v1/indicators?code=score_mean&unit=P1&exam_id={first}")
    assert everyone["total"]["value"] == 7.82          # every school: (36 + 5 x 10) / 11 = 7.818
    _get(client, admin, "/api/v1/indicators/summary?school_group=city", status=422)
