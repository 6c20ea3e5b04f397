"""The admin's exam pages (/admin/exams) through the Flask test client, on SQLite and PostgreSQL:
admins only (like the exams API's writes), the list, and one exam's page showing what was made
through the JSON APIs (rooms and proctors, candidates, forms, kiosks) with the lifecycle buttons
its status allows."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.server.test_exams import ROWS, make_exam
from tests.server.test_exams_assembly import assemble, ready_exam, seed_bank


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def public_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def buttons(page: str) -> list[str]:
    return re.findall(r'data-transition="(\w+)"', page)


def test_admin_sees_the_list_and_an_exam(login, client, admin):
    exam = make_exam(client, admin)
    page = login("admin")
    listing = text_of(page.get("/admin/exams"))
    assert '<html lang="vi">' in listing and "Kỳ thi" in listing and 'aria-current="page">Kỳ thi' in listing
    assert exam["title"] in listing and f"/admin/exams/{exam['id']}" in listing
    for word in ("Toán", "Nháp", "Kỳ thi mới", "Hình thức làm bài", "Thời gian làm bài (phút)",
                 "11/06/2096 07:30", "giờ Việt Nam"):     # 07:30 +07:00, the site zone
        assert word in listing, word
    assert "admin-exams.js" in listing
    strings = json.loads(re.search(r'<script type="application/json" id="i18n">(.*?)</script>', listing,
                                   re.DOTALL)[1])
    assert strings["failed"] == "Bị từ chối: {message}"
    one = page.get(f"/admin/exams/{exam['id']}")
    assert one.status_code == 200
    detail = text_of(one)
    for word in (exam["title"], "Phòng thi", "Thí sinh", "Tải lên danh sách", "Ma trận đề", "Ghép đề", "Máy thi",
                 "Chưa có phòng nào.", "Chưa có thí sinh nào.", "Lưu cài đặt"):
        assert word in detail, word
    assert buttons(detail) == []          # a draft has no manual transition (assembling makes it "assembled")
    assert page.get("/admin/exams/999999").status_code == 404


@pytest.mark.parametrize("username", ["teacher1", "proctor1", "student1"])
def test_other_roles_are_refused(login, client, admin, username):
    exam = make_exam(client, admin)
    page = login(username)
    for url in ("/admin/exams", f"/admin/exams/{exam['id']}"):
        assert page.get(url).status_code == 403, url
    assert "/admin/exams" not in text_of(page.get("/home"))      # no nav link either


def test_anonymous_is_sent_to_log_in(client, users):
    for url in ("/admin/exams", "/admin/exams/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_exam_page_shows_what_the_api_made(login, client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)                 # room P01 with proctor1, three candidates
    eid = exam["id"]
    second = client.post(f"/api/v1/exams/{eid}/rooms", json={"name": "P02"}, headers=admin)
    assert second.status_code == 201
    kiosks = []
    for name, room in (("K01", exam_room(client, admin, eid, "P01")), ("K02", second.get_json()["id"])):
        made = client.post("/api/v1/checkin/kiosks", json={"exam_id": eid, "room_id": room, "name": name,
                                                            "public_key": public_pem()}, headers=admin)
        assert made.status_code == 201, made.get_json()
        kiosks.append(made.get_json()["id"])
    assert client.post("/api/v1/checkin/kiosks/revoke", json={"kiosk": kiosks[1]}, headers=admin).status_code == 200
    assembled = assemble(client, admin, eid)
    assert assembled.status_code == 200, assembled.get_json()
    made = {f["code"] for f in assembled.get_json()["forms"]}   # the job's summary; the forms at their URL
    forms = client.get(f"/api/v1/exams/{eid}/forms", headers=admin).get_json()["forms"]
    assert {f["code"] for f in forms} == made

    page = login("admin")
    detail = text_of(page.get(f"/admin/exams/{eid}"))
    rooms = re.search(r'<section data-section="rooms".*?</section>', detail, re.DOTALL)[0]
    assert "P01" in rooms and "P02" in rooms and ">proctor1<" in rooms
    roster = re.search(r'<section data-section="roster".*?</section>', detail, re.DOTALL)[0]
    for row in ROWS:
        assert f'data-candidate="{row[0]}"' in roster and row[1] in roster and row[4] in roster and row[5] in roster
    assert "05/03/2008" in roster and "20/11/2008" in roster
    form_section = re.search(r'<section data-section="forms".*?</section>', detail, re.DOTALL)[0]
    for form in forms:
        assert re.search(rf'data-form-code="{form["code"]}"><td>{form["code"]}</td><td>{len(form["items"])}</td>',
                         form_section), form["code"]
    assert 'data-form="assemble"' not in form_section       # assembled: reopen first
    kiosk_section = re.search(r'<section data-section="kiosks".*?</section>', detail, re.DOTALL)[0]
    assert "K01" in kiosk_section and "K02" in kiosk_section
    assert 'data-kiosk-state="enrolled"' in kiosk_section and 'data-kiosk-state="revoked"' in kiosk_section
    assert "Đã thu hồi" in kiosk_section and f'data-revoke="{kiosks[0]}"' in kiosk_section
    assert f'data-revoke="{kiosks[1]}"' not in kiosk_section
    listing = text_of(page.get("/admin/exams"))
    assert re.search(rf'data-exam="{eid}">.*?<td>3</td>', listing, re.DOTALL)      # candidates count

    # The lifecycle buttons follow the status.
    assert sorted(buttons(detail)) == ["publish", "reopen"] and "Đã tạo đề" in detail
    assert client.post(f"/api/v1/exams/{eid}/publish", headers=admin).status_code == 200
    published = text_of(page.get(f"/admin/exams/{eid}"))
    assert sorted(buttons(published)) == ["close", "unpublish"] and "Đã công bố" in published
    assert 'data-form="roster"' not in published and 'data-form="settings"' in published
    assert client.post(f"/api/v1/exams/{eid}/close", headers=admin).status_code == 200
    closed = text_of(page.get(f"/admin/exams/{eid}"))
    assert buttons(closed) == [] and "Đã đóng" in closed and 'data-form="room"' not in closed


def exam_room(client, headers, exam_id, name) -> int:
    rooms = client.get(f"/api/v1/exams/{exam_id}", headers=headers).get_json()["rooms"]
    return next(r["id"] for r in rooms if r["name"] == name)
