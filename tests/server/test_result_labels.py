"""Labels people read (issue 10): a result's history says why each version was computed in
words (never the code "submit"), and a room's name, which already says "Phòng", is not prefixed
again on the exam page."""
from __future__ import annotations

import re

from tests.server.test_exams import add_room
from tests.server.test_results import answer, correct, exam

# hand-written: the code -> what the Vietnamese page says
REASONS = {"submit": "Chấm khi nộp bài", "correction": "Đính chính số {id}"}


def test_result_history_reasons_are_words(app, client, exam, admin, login):
    answer(app, exam, 1, {0: "B"})
    response = correct(client, admin, exam, item_version_id=exam["versions"][0], kind="drop",
                       reason="Câu 1 có hai phương án đúng")
    assert response.status_code == 201, response.get_json()
    correction_id = response.get_json()["correction"]["id"]
    login("admin")
    page = client.get(f"/results/exams/{exam['id']}/candidates/{exam['candidates'][1]}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    history = text[text.index("result-history"):]
    cells = re.findall(r'<td data-reason="([^"]*)">([^<]*)</td>', history)
    assert cells == [(f"correction:{correction_id}", REASONS["correction"].format(id=correction_id)),
                     ("submit", REASONS["submit"])]
    assert ">submit<" not in text


def test_room_name_is_not_prefixed_again(app, client, admin, login, users):
    from tests.server.test_exams import make_exam

    created = make_exam(client, admin)
    add_room(client, admin, created["id"], name="Phòng 01")
    login("admin")
    text = client.get(f"/admin/exams/{created['id']}").get_data(as_text=True)
    assert "<h3>Phòng 01</h3>" in text
    assert "Phòng Phòng" not in text
