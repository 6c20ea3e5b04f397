"""An exam's results page and exports (issue 10): per-part breakdown on screen, CSV and XLSX with
the columns a department expects, the answers as each candidate saw them, and releasing results
to candidates in any state of the exam. Expected values are the hand-computed scores of the
`scored` exam (tests/server/test_results.py: five 2-point questions, parts I, I, II, III, essay)."""
from __future__ import annotations

import csv
import io

import openpyxl

from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the exam fixture)
from tests.server.test_results_pages import scored, text_of  # noqa: F401  (fixtures)

HEADER = ["Số báo danh", "Họ và tên", "Ngày sinh", "Trường", "Lớp", "Mã đề", "Phần I", "Phần II", "Phần III",
          "Tự luận", "Tổng điểm", "Trạng thái"]
ROWS = [
    # all right, the essay pending: I 2+2, II 2, III 2 = 8
    ["010001", "Nguyễn Văn An", "05/03/2008", "THPT Chu Văn An", "12A1", "101", "4,00", "2,00", "2,00",
     "Đang chờ chấm", "8,00", "Tạm thời"],
    # one single choice right, a blank essay: 2
    ["010002", "Trần Thị Bình", "20/11/2008", "THPT Chu Văn An", "12A1", "101", "2,00", "0,00", "0,00", "0,00",
     "2,00", "Chính thức"],
    ["010003", "Lê Hoàng Cường", "29/02/2008", "THPT Lê Quý Đôn", "12A2", "101", "", "", "", "", "",
     "Chưa có kết quả"],
]


def _csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_results_csv_has_the_departments_columns(login, scored):  # noqa: F811
    response = login("teacher1").get(f"/results/exams/{scored['id']}/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert _csv(response) == [HEADER, *ROWS]


def test_the_xlsx_has_numbers_and_the_answers_sheet(login, scored):  # noqa: F811
    response = login("admin").get(f"/results/exams/{scored['id']}/export?format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    results, answers = book.worksheets
    table = [list(r) for r in results.iter_rows(values_only=True)]
    assert table[0] == HEADER
    assert table[1][6:11] == [4.0, 2.0, 2.0, "Đang chờ chấm", 8.0]
    assert table[2][10] == 2.0
    lines = [list(r) for r in answers.iter_rows(values_only=True)]
    assert lines[0][:5] == ["Số báo danh", "Câu", "Loại", "Câu trả lời của thí sinh", "Đáp án"]
    assert len(lines) == 1 + 2 * 5                       # two scored candidates, five questions each


def test_the_answers_csv_shows_letters_as_seen(login, scored):  # noqa: F811
    rows = _csv(login("teacher1").get(f"/results/exams/{scored['id']}/export?format=csv&sheet=answers"))
    first = {int(r[1]): r for r in rows[1:] if r[0] == "010001"}
    # No shuffle in this fixture: the letters are the bank's; the first question's key is A.
    assert first[1][2:7] == ["single_choice", "A", "A", "2,00", "2,00"]
    assert first[3][3] == "a) Đ b) S c) Đ d) S" == first[3][4]
    assert first[5][2] == "extended_text" and first[5][5] == ""          # pending essay: no points yet


def test_bad_export_arguments_and_roles(login, scored):  # noqa: F811
    teacher = login("teacher1")
    assert teacher.get(f"/results/exams/{scored['id']}/export?format=pdf").status_code == 400
    assert teacher.get(f"/results/exams/{scored['id']}/export?sheet=x").status_code == 400
    assert teacher.get("/results/exams/999999/export").status_code == 404
    assert login("student1").get(f"/results/exams/{scored['id']}/export").status_code == 403


def test_the_results_page_breaks_scores_down_by_part(login, scored):  # noqa: F811
    page = text_of(login("teacher1").get(f"/results/exams/{scored['id']}"))
    for word in ("Phần I", "Phần II", "Phần III", "Tự luận", "Mã đề", "Xuất XLSX", "Xuất CSV",
                 "Chưa công bố cho thí sinh"):
        assert word in page, word
    assert 'data-part="I">4,00' in page and 'data-part="III">2,00' in page


def test_results_are_released_in_any_state_of_the_exam(app, client, login, scored, admin, token_for):  # noqa: F811
    from exam_server.core.db import session
    from exam_server.exams.models import Exam, ExamStatus

    with app.app_context():            # a closed exam can no longer be edited; its results can be released
        session.get(Exam, scored["id"]).status = ExamStatus.CLOSED
        session.commit()
    url = f"/api/v1/exams/{scored['id']}/results-release"
    assert client.put(url, json={"visible": True}, headers=token_for("teacher1")).status_code == 403
    assert client.put(url, json={"visible": "yes"}, headers=admin).status_code == 422
    done = client.put(url, json={"visible": True}, headers=admin)
    assert done.status_code == 200 and done.get_json()["results_visible_to_candidates"] is True
    assert "Đã công bố cho thí sinh" in text_of(login("admin").get(f"/results/exams/{scored['id']}"))
    assert client.put(url, json={"visible": False}, headers=admin).get_json()["results_visible_to_candidates"] is False
