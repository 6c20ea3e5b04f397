"""A candidate looks up a released result by candidate number, citizen ID and date of birth
(issue 10): anonymous, all three needed, one answer for every mismatch, rate-limited."""
from __future__ import annotations

import pytest

from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the exam fixture)
from tests.server.test_results_pages import scored, text_of  # noqa: F401  (fixtures)

AN = {"candidate_number": "010001", "citizen_id": "001208000001", "date_of_birth": "05/03/2008"}
NO_MATCH = "Không có kết quả đã công bố nào khớp với các thông tin này."


@pytest.fixture
def test_config(test_config):
    return {**test_config, "RESULT_LOOKUP_RATE_LIMIT": "4 per minute"}


def _release(client, scored, admin):  # noqa: F811
    assert client.put(f"/api/v1/exams/{scored['id']}/results-release", json={"visible": True},
                      headers=admin).status_code == 200


def test_a_released_result_is_found_with_all_three(app, client, scored, admin):  # noqa: F811
    anonymous = app.test_client()
    assert anonymous.get("/results/lookup").status_code == 200
    hidden = anonymous.post("/results/lookup", data=AN)
    assert hidden.status_code == 404 and NO_MATCH in text_of(hidden)       # not released yet
    _release(client, scored, admin)
    found = anonymous.post("/results/lookup", data={**AN, "date_of_birth": "2008-03-05"})
    page = text_of(found)
    assert found.status_code == 200 and "8,00" in page and "Nguyễn Văn An" in page
    assert "data-review" in page and "Định luật Ôm" in page              # their paper, as they saw it
    assert "Trần Thị Bình" not in page


@pytest.mark.parametrize("change", [{"date_of_birth": "06/03/2008"}, {"citizen_id": "001208000002"},
                                    {"candidate_number": "010002"}])
def test_any_mismatch_gets_the_same_answer(app, client, scored, admin, change):  # noqa: F811
    _release(client, scored, admin)
    response = app.test_client().post("/results/lookup", data={**AN, **change})
    assert response.status_code == 404 and NO_MATCH in text_of(response) and "8,00" not in text_of(response)


def test_bad_input_and_the_rate_limit(app, client, scored, admin):  # noqa: F811
    anonymous = app.test_client()
    assert anonymous.post("/results/lookup", data={**AN, "citizen_id": "12"}).status_code == 422
    assert anonymous.post("/results/lookup", data={**AN, "date_of_birth": "tomorrow"}).status_code == 422
    statuses = [anonymous.post("/results/lookup", data=AN).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]                   # 4 per minute per address, counting the two above
    assert anonymous.get("/results/lookup").status_code == 200        # the form itself is not limited
