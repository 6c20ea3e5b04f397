"""Exams: lifecycle, validation, rooms and proctors, roster import (xlsx and csv), access rules."""
from __future__ import annotations

import io

import openpyxl
import pytest

from tests.server.job_follow import follow

EXAM = {"title": "Kiểm tra cuối kỳ Toán 12", "subject": "math", "grade": 12,
        "opens_at": "2096-06-11T07:30:00+07:00", "closes_at": "2096-06-11T11:30:00+07:00",
        "duration_minutes": 90, "score_rounding": "0.25", "delivery_mode": "one_per_page",
        "results_visible_to_candidates": False}
BLUEPRINT = {"total_points": 10, "rows": [
    {"topic": "Đạo hàm", "cognitive_level": "hieu", "item_type": "single_choice", "count": 4,
     "points_each": 1.5},
    {"topic": "Đạo hàm", "cognitive_level": "hieu", "item_type": "true_false_cluster", "count": 2,
     "points_each": 1.0},
    {"topic": "Đạo hàm", "cognitive_level": "hieu", "item_type": "numeric", "count": 2, "points_each": 1.0},
]}
HEADER = ["Số báo danh", "Họ và tên", "Ngày sinh", "Số CCCD", "Trường", "Lớp", "Phòng thi",
          "Thời gian cộng thêm"]
ROWS = [
    ["010001", "Nguyễn Văn An", "05/03/2008", "001208000001", "THPT Chu Văn An", "12A1", "P01", ""],
    ["010002", "Trần Thị Bình", "2008-11-20", "001308000002", "THPT Chu Văn An", "12A1", "P01", "15"],
    ["010003", "Lê Hoàng Cường", "29/02/2008", "079208000003", "THPT Lê Quý Đôn", "12A2", "", "25%"],
]


def make_exam(client, headers, **changes) -> dict:
    response = client.post("/api/v1/exams", json={**EXAM, **changes}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def csv_bytes(rows, header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH THÍ SINH"])     # a title row above the header
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, headers, exam_id, data: bytes, filename: str):
    """The roster import, a background job, followed to its end."""
    return follow(client, client.post(f"/api/v1/exams/{exam_id}/roster", headers=headers,
                                      data={"file": (io.BytesIO(data), filename)},
                                      content_type="multipart/form-data"), headers)


def candidates(client, headers, exam_id) -> list[dict]:
    response = client.get(f"/api/v1/exams/{exam_id}/candidates", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["candidates"]


def add_room(client, headers, exam_id, name="P01", **extra):
    response = client.post(f"/api/v1/exams/{exam_id}/rooms", json={"name": name, "kiosk_count": 30, **extra},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- exams ------------------------------------------------------------------------------------

def test_create_read_update(client, admin, token_for):
    exam = make_exam(client, admin)
    assert exam["status"] == "draft" and exam["opens_at"] == "2096-06-11T00:30:00+00:00"  # stored in UTC
    teacher = token_for("teacher1")
    assert client.get(f"/api/v1/exams/{exam['id']}", headers=teacher).get_json()["title"] == EXAM["title"]
    assert [e["id"] for e in client.get("/api/v1/exams", headers=teacher).get_json()["exams"]] == [exam["id"]]
    updated = client.put(f"/api/v1/exams/{exam['id']}", json={"duration_minutes": 120}, headers=admin)
    assert updated.status_code == 200 and updated.get_json()["duration_minutes"] == 120
    assert client.put(f"/api/v1/exams/{exam['id']}", json={"title": "x"}, headers=teacher).status_code == 403


@pytest.mark.parametrize("changes, field", [
    ({"subject": "alchemy"}, "subject"),
    ({"grade": 13}, "grade"),
    ({"grade": True}, "grade"),
    ({"opens_at": "2096-06-11T07:30:00"}, "opens_at"),          # no zone
    ({"opens_at": "9999-12-31T23:59:59-01:00"}, "opens_at"),   # overflows in UTC
    ({"title": "Đề\x00thi"}, "title"),
    ({"opens_at": "mai"}, "opens_at"),
    ({"closes_at": "2096-06-11T07:00:00+07:00"}, "closes_at"),  # before it opens
    ({"duration_minutes": 300}, "duration_minutes"),            # longer than the window
    ({"score_rounding": "0.5"}, "score_rounding"),
    ({"delivery_mode": "scroll"}, "delivery_mode"),
    ({"results_visible_to_candidates": "yes"}, "results_visible_to_candidates"),
    ({"colour": "red"}, "colour"),
    ({"title": "  "}, "title"),
    ({"blueprint": {"rows": [{**BLUEPRINT["rows"][0], "count": 0}]}}, "blueprint.rows.0.count"),
])
def test_bad_exam_input_is_refused(client, admin, changes, field):
    response = client.post("/api/v1/exams", json={**EXAM, **changes}, headers=admin)
    body = response.get_json()
    assert 400 <= response.status_code < 500 and body["field"] == field, body
    assert set(body) >= {"error", "message", "field"}
    assert client.get("/api/v1/exams", headers=admin).get_json()["exams"] == []


def test_missing_field_and_not_json(client, admin):
    missing = {k: v for k, v in EXAM.items() if k != "grade"}
    response = client.post("/api/v1/exams", json=missing, headers=admin)
    assert response.status_code == 422 and response.get_json()["field"] == "grade"
    response = client.post("/api/v1/exams", data="title=x", headers=admin)
    assert response.status_code == 415 and response.get_json()["error"] == "expected_json"


def test_blueprint_validation_names_row_and_field(client, admin):
    exam = make_exam(client, admin)
    url = f"/api/v1/exams/{exam['id']}/blueprint"
    assert client.put(url, json=BLUEPRINT, headers=admin).status_code == 200
    bad = {"rows": [BLUEPRINT["rows"][0], {**BLUEPRINT["rows"][1], "cognitive_level": "rat_kho"}]}
    response = client.put(url, json=bad, headers=admin)
    body = response.get_json()
    assert response.status_code == 422 and body["field"] == "blueprint.rows.1.cognitive_level", body
    assert body["row"] == 1
    short = {"rows": BLUEPRINT["rows"][:2]}
    response = client.put(url, json=short, headers=admin)
    assert response.status_code == 422 and response.get_json()["error"] == "points_mismatch"
    for junk in ([], "ma trận", 7, {"rows": "x"}):
        assert client.put(url, json=junk, headers=admin).status_code == 422
    stored = client.get(f"/api/v1/exams/{exam['id']}", headers=admin).get_json()["blueprint"]
    assert stored == normalised_blueprint(BLUEPRINT)


def normalised_blueprint(data):  # the form the server stores
    from item_bank.assembly import Blueprint

    return Blueprint.from_dict(data).to_dict()


def test_lifecycle_one_table_of_moves(app, client, admin):
    from exam_server.exams.models import ExamStatus
    from exam_server.exams.services import EXAM_STATES, next_status

    # Every (status, action) pair: legal exactly when the table says so.
    for status in ExamStatus:
        for action, (sources, target) in EXAM_STATES.table.items():
            if status in sources:
                assert next_status(status, action) == target
            else:
                with pytest.raises(Exception) as info:
                    next_status(status, action)
                assert info.value.code == "illegal_transition"
    exam = make_exam(client, admin)
    for action in ("publish", "close", "unpublish", "reopen"):
        response = client.post(f"/api/v1/exams/{exam['id']}/{action}", headers=admin)
        assert response.status_code == 409 and response.get_json()["error"] == "illegal_transition", action
    assert client.get(f"/api/v1/exams/{exam['id']}", headers=admin).get_json()["status"] == "draft"


def test_rooms_and_proctors(client, admin, users, token_for):
    exam = make_exam(client, admin)
    other = make_exam(client, admin, title="Đề khác")
    proctor = token_for("proctor1")
    # A proctor sees nothing until placed in a room.
    assert client.get("/api/v1/exams", headers=proctor).get_json()["exams"] == []
    assert client.get(f"/api/v1/exams/{exam['id']}", headers=proctor).status_code == 403
    room = add_room(client, admin, exam["id"], proctor_ids=[users["proctor1"]])
    assert room["proctor_ids"] == [users["proctor1"]]
    assert [e["id"] for e in client.get("/api/v1/exams", headers=proctor).get_json()["exams"]] == [exam["id"]]
    assert client.get(f"/api/v1/exams/{exam['id']}", headers=proctor).status_code == 200
    assert client.get(f"/api/v1/exams/{other['id']}", headers=proctor).status_code == 403
    # Only proctors may proctor; duplicate room names are refused.
    bad = client.post(f"/api/v1/exams/{exam['id']}/rooms", json={"name": "P02", "proctor_ids": [users["teacher1"]]},
                      headers=admin)
    assert bad.status_code == 422 and bad.get_json()["field"] == "proctor_ids"
    dup = client.post(f"/api/v1/exams/{exam['id']}/rooms", json={"name": "P01"}, headers=admin)
    assert dup.status_code == 409 and dup.get_json()["field"] == "name"
    url = f"/api/v1/exams/{exam['id']}/rooms/{room['id']}/proctors"
    cleared = client.put(url, json={"proctor_ids": []}, headers=admin)
    assert cleared.status_code == 200 and cleared.get_json()["proctor_ids"] == []
    assert client.get(f"/api/v1/exams/{exam['id']}", headers=proctor).status_code == 403
    assert client.put(url, json={"proctor_ids": "1"}, headers=admin).status_code == 422
    wrong_exam = client.put(f"/api/v1/exams/{other['id']}/rooms/{room['id']}/proctors",
                            json={"proctor_ids": []}, headers=admin)
    assert wrong_exam.status_code == 404


# --- roster -----------------------------------------------------------------------------------

def test_roster_csv_vietnamese_headers(client, admin, users, token_for):
    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"], proctor_ids=[users["proctor1"]])
    response = upload(client, admin, exam["id"], csv_bytes(ROWS), "danh-sach.csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"imported": 3}
    rows = candidates(client, admin, exam["id"])
    assert [c["candidate_number"] for c in rows] == ["010001", "010002", "010003"]
    an, binh, cuong = rows
    assert an["date_of_birth"] == "2008-03-05" and an["room"] == "P01" and an["extra_time_minutes"] is None
    assert binh["date_of_birth"] == "2008-11-20" and binh["extra_time_minutes"] == 15
    assert cuong["room"] is None and cuong["extra_time_percent"] == 25 and cuong["date_of_birth"] == "2008-02-29"
    assert an["full_name"] == "Nguyễn Văn An" and an["citizen_id"] == "001208000001"
    # Working time: 90 minutes, +15 minutes, +25% (22.5 rounded up to 23).
    assert [c["allowed_minutes"] for c in rows] == [90, 105, 113]
    # The proctor sees the candidates of their room only; a teacher reads all.
    assert [c["candidate_number"] for c in candidates(client, token_for("proctor1"), exam["id"])] == \
        ["010001", "010002"]
    assert len(candidates(client, token_for("teacher1"), exam["id"])) == 3
    # Importing the same people again: every row is a duplicate, nothing is added.
    again = upload(client, admin, exam["id"], csv_bytes(ROWS), "danh-sach.csv")
    assert again.status_code == 422
    assert {(e["row"], e["field"]) for e in again.get_json()["errors"]} >= {(2, "candidate_number"),
                                                                          (2, "citizen_id")}
    assert len(candidates(client, admin, exam["id"])) == 3


def test_roster_xlsx(client, admin):
    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"])
    import datetime

    rows = [list(r) for r in ROWS]
    rows[0][2] = datetime.datetime(2008, 3, 5)   # a real date cell
    rows[0][3] = 1208000001                      # Excel dropped the leading zeros of the ID
    rows[1][7] = 15                              # a number cell
    response = upload(client, admin, exam["id"], xlsx_bytes(rows), "danh-sach.xlsx")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"imported": 3}
    an, binh, _ = candidates(client, admin, exam["id"])
    assert an["date_of_birth"] == "2008-03-05" and an["citizen_id"] == "001208000001"
    assert binh["extra_time_minutes"] == 15


def test_roster_one_bad_row_imports_nothing(client, admin):
    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"])
    rows = [list(r) for r in ROWS] + [
        ["010001", "Phạm Duy", "01/01/2008", "001208000009", "", "", "", ""],     # duplicate number
        ["010005", "Võ Em", "31/02/2008", "001208000005", "", "", "", ""],         # no such date
        ["010006", "Đỗ Gia", "01/01/2008", "12345", "", "", "", ""],               # bad ID
        ["010007", "Hồ Hà", "01/01/2008", "001208000007", "", "", "P09", ""],      # no such room
        ["010008", "Mai Khôi", "01/01/2008", "001208000008", "", "", "", "nhiều"],  # bad extra time
        ["010009", "", "01/01/2008", "001208000010", "", "", "", ""],               # no name
        ["010010", "Lý Lan", "01/01/2008", "001308000002", "", "", "", ""],         # duplicate ID
    ]
    for data, name in ((csv_bytes(rows), "r.csv"), (xlsx_bytes(rows), "r.xlsx")):
        response = upload(client, admin, exam["id"], data, name)
        body = response.get_json()
        assert response.status_code == 422 and body["error"] == "roster_invalid", body
        offset = 1 if name.endswith(".csv") else 2      # the xlsx has a title row above the header
        found = {(e["row"] - offset, e["field"]) for e in body["errors"]}
        assert found == {(4, "candidate_number"), (5, "date_of_birth"), (6, "citizen_id"), (7, "room"),
                         (8, "extra_time"), (9, "full_name"), (10, "citizen_id")}, body["errors"]
        assert all(e["reason"] for e in body["errors"])
        assert candidates(client, admin, exam["id"]) == []


@pytest.mark.parametrize("data, filename, code", [
    (b"", "empty.csv", "empty"),
    (b"\xd0\xcf\x11\xe0old", "old.xls", "roster_unreadable"),
    (b"PK\x03\x04broken", "broken.xlsx", "roster_unreadable"),
    ("Tên,Tuổi\nAn,17\n".encode(), "other.csv", "no_header"),
    ("Số báo danh,Họ và tên\n1,An\n".encode(), "partial.csv", "roster_invalid"),
    ("Số báo danh,Họ và tên,Ngày sinh,Số CCCD\n".encode(), "no-rows.csv", "roster_invalid"),
    (b"\xff\xfe\x00\x00garbage\x00", "bin.csv", "roster_unreadable"),
])
def test_unreadable_rosters(client, admin, data, filename, code):
    exam = make_exam(client, admin)
    response = upload(client, admin, exam["id"], data, filename)
    body = response.get_json()
    assert response.status_code in (400, 422) and body["error"] == code, body
    assert candidates(client, admin, exam["id"]) == []


def test_roster_needs_a_file_and_an_open_exam(client, admin, token_for):
    exam = make_exam(client, admin)
    response = client.post(f"/api/v1/exams/{exam['id']}/roster", headers=admin)
    assert response.status_code == 400 and response.get_json()["field"] == "file"
    assert upload(client, token_for("teacher1"), exam["id"], csv_bytes(ROWS), "r.csv").status_code == 403
    assert upload(client, admin, 999, csv_bytes(ROWS), "r.csv").status_code == 404


def test_unknown_exam_and_candidate(client, admin):
    assert client.get("/api/v1/exams/999", headers=admin).status_code == 404
    exam = make_exam(client, admin)
    response = client.get(f"/api/v1/exams/{exam['id']}/candidates/999/paper", headers=admin)
    assert response.status_code == 404 and response.get_json()["field"] == "candidate_id"


def test_publishing_after_the_window_is_refused(app, client, admin, users):
    from exam_server.core.db import session
    from exam_server.exams import services
    from exam_server.exams.models import Exam, ExamStatus

    past = make_exam(client, admin, opens_at="2020-06-11T07:30:00+07:00", closes_at="2020-06-11T11:30:00+07:00")
    with app.app_context():
        exam = session.get(Exam, past["id"])
        exam.status = ExamStatus.ASSEMBLED          # as if assembled: only the window matters here
        session.commit()
    response = client.post(f"/api/v1/exams/{past['id']}/publish", headers=admin)
    assert response.status_code == 409 and response.get_json()["error"] == "exam_window_over"
    with app.app_context():
        assert session.get(Exam, past["id"]).status == ExamStatus.ASSEMBLED
        assert services.next_status(ExamStatus.ASSEMBLED, "publish") == ExamStatus.PUBLISHED
