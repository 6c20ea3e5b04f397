"""The results pages through the Flask test client, on SQLite and PostgreSQL: the exams list, an
exam's results table, a candidate's result with its history, the blind essay queue (no names, no
candidate numbers) and a student's own results (only when the exam releases them)."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the exam fixture)

NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường")
NUMBERS = ("010001", "010002", "010003")


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def scored(app, exam):  # noqa: F811
    answer(app, exam, 0, all_right())                   # 8.00 provisional, the essay pending
    answer(app, exam, 1, {0: "A"})                      # 2.00, a blank essay: final
    return exam


def staff_urls(scored_exam):
    base = f"/results/exams/{scored_exam['id']}"
    return ["/results/exams", base, f"{base}/candidates/{scored_exam['candidates'][0]}", f"{base}/essays"]


@pytest.mark.parametrize("username", ["teacher1", "admin"])
def test_staff_pages_render(login, scored, username):
    client = login(username)
    for url in staff_urls(scored):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Kết quả" in text_of(response), url       # the nav link, in Vietnamese
    listing = text_of(client.get("/results/exams"))
    assert f"/results/exams/{scored['id']}" in listing
    table = text_of(client.get(f"/results/exams/{scored['id']}"))
    for word in ("Số báo danh", "Họ và tên", "Điểm", "Tạm thời", "Chính thức", "8,00", "2,00", *NAMES, *NUMBERS):
        assert word in table, word
    assert f"/results/exams/{scored['id']}/candidates/{scored['candidates'][0]}" in table
    one = text_of(client.get(f"/results/exams/{scored['id']}/candidates/{scored['candidates'][0]}"))
    assert NAMES[0] in one and "Đang chờ chấm" in one and "Định luật Ôm" in one    # the essay's response
    assert '<td data-reason="submit">Chấm khi nộp bài</td>' in one                  # the history, in words


def test_essay_page_is_blind_and_marking_empties_it(app, login, client, scored, token_for):
    teacher = login("teacher1")
    page = text_of(teacher.get(f"/results/exams/{scored['id']}/essays"))
    queue = client.get(f"/api/v1/exams/{scored['id']}/essay-queue", headers=token_for("teacher1")).get_json()
    assert len(queue["items"]) == 1
    essay = queue["items"][0]
    assert essay["code"] in page and "Định luật Ôm" in page and "Chấm phách" in page
    assert page.count("data-criterion") == len(essay["rubric"]) >= 1
    assert f'data-result-item="{essay["result_item_id"]}"' in page
    strings = json.loads(re.search(r'<script type="application/json" id="i18n">(.*?)</script>', page, re.DOTALL)[1])
    assert "results-page.js" in page and strings["failed"] == "Chưa lưu: {message}"
    for secret in (*NAMES, *NUMBERS):
        assert secret not in page, secret
    assert not re.search(r"/candidates/\d", page)
    criteria = [str(c["max_points"]) for c in essay["rubric"]]
    saved = client.post("/api/v1/essay-scores", json={"result_item_id": essay["result_item_id"],
                                                      "criteria": criteria, "comment": "Tốt"},
                        headers=token_for("teacher1"))
    assert saved.status_code == 201, saved.get_json()
    after = text_of(teacher.get(f"/results/exams/{scored['id']}/essays"))
    assert "data-essay" not in after and "Không có bài tự luận nào chờ bạn chấm." in after
    # ... and listed with the mark this teacher gave, still blind
    marked = re.search(r'<section class="marked-essays".*?</section>', after, re.DOTALL)[0]
    assert f'data-marked="{essay["code"]}"' in marked and "Bài bạn đã chấm" in marked
    total = sum(float(c) for c in criteria)
    assert f"Điểm bạn chấm: {total:g} / {total:g}" in marked and "Nhận xét: Tốt" in marked
    for secret in (*NAMES, *NUMBERS):
        assert secret not in after, secret


@pytest.mark.parametrize("username", ["proctor1", "student1"])
def test_other_roles_are_refused(login, scored, username):
    client = login(username)
    for url in staff_urls(scored):
        assert client.get(url).status_code == 403, url


def test_staff_may_not_use_my_results(login, users):
    for username in ("teacher1", "admin", "proctor1"):
        assert login(username).get("/my-results").status_code == 403


def test_anonymous_is_sent_to_log_in(client, scored):
    for url in staff_urls(scored) + ["/my-results"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_unknown_ids_are_404(login, scored):
    client = login("teacher1")
    assert client.get("/results/exams/999999").status_code == 404
    assert client.get(f"/results/exams/{scored['id']}/candidates/999999").status_code == 404
    assert client.get(f"/results/exams/{scored['id']}/candidates/{scored['candidates'][2]}").status_code == 404


def test_student_sees_only_their_own_released_result(app, login, client, scored, admin, users):
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate

    with app.app_context():
        session.get(Candidate, scored["candidates"][0]).user_id = users["student1"]
        session.commit()
    student = login("student1")
    hidden = text_of(student.get("/my-results"))
    assert "Kết quả kỳ thi này chưa được công bố." in hidden and "8,00" not in hidden
    assert "Kết quả của tôi" in hidden
    assert app.test_client().put(f"/api/v1/exams/{scored['id']}", json={"results_visible_to_candidates": True},
                                 headers=admin).status_code == 200
    shown = text_of(student.get("/my-results"))
    assert "8,00" in shown and "Đang chờ chấm" in shown and "chưa được công bố" not in shown
    # Their own paper as they saw it (their essay included), never the other candidate's score.
    assert "Định luật Ôm" in shown and 'class="score">2,00' not in shown
    for other in (*NAMES[1:], *NUMBERS[1:]):
        assert other not in shown


def test_student_with_no_exam(login, users):
    page = text_of(login("student1").get("/my-results"))
    assert "Bạn chưa có kỳ thi nào." in page


def test_a_manual_admission_shows_as_unverified_in_the_results(login, client, scored, token_for):
    admitted, other = scored["candidates"][0], scored["candidates"][1]
    response = client.post("/api/v1/checkin/admit", headers=token_for("proctor1"),
                           json={"candidate_id": admitted, "reason": "Thẻ không đọc được"})
    assert response.status_code == 200, response.get_json()
    teacher = login("teacher1")
    page = text_of(teacher.get(f"/results/exams/{scored['id']}/candidates/{admitted}"))
    assert 'data-admission="manual"' in page and "Cho vào thi thủ công (chưa xác thực)" in page
    assert "Thẻ không đọc được" in page
    table = text_of(teacher.get(f"/results/exams/{scored['id']}"))
    assert table.count('data-admission="manual"') == 1 and "Điểm danh" in table
    never = text_of(teacher.get(f"/results/exams/{scored['id']}/candidates/{other}"))
    assert "data-admission=" not in never and "Chưa điểm danh" in never
    body = client.get(f"/api/v1/exams/{scored['id']}/results", headers=token_for("teacher1")).get_json()
    rows = {r["candidate_id"]: r["result"] for r in body["candidates"]}
    assert rows[admitted]["admission"]["method"] == "manual" and rows[admitted]["admission"]["verified"] is False
    assert rows[admitted]["admission"]["reason"] == "Thẻ không đọc được"
    assert rows[other]["admission"]["method"] is None
