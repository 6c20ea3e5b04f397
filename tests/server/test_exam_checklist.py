"""A draft exam lists what it still needs before it can be published (issue 10), instead of "no
status change is possible from here"."""
from __future__ import annotations

import re

from tests.server.test_exam_pages import text_of
from tests.server.test_exams import add_room, make_exam
from tests.server.test_exams_assembly import assemble, ready_exam, seed_bank


def steps(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(true|false)"', page))


def test_a_new_exam_lists_every_step_still_to_do(login, client, admin):
    exam = make_exam(client, admin)
    page = text_of(login("admin").get(f"/admin/exams/{exam['id']}"))
    assert steps(page) == {"window": "true", "rooms": "false", "proctors": "false", "roster": "false",
                           "seating": "false", "blueprint": "false", "forms": "false"}
    assert "Trước khi có thể công bố" in page and "Tải lên danh sách thí sinh" in page
    assert "Không thể chuyển trạng thái" not in page


def test_the_checklist_follows_what_was_done(login, client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)              # P01 with proctor1; three candidates, one unseated
    add_room(client, admin, exam["id"], name="P02")      # no proctor
    admin_page = login("admin")
    page = text_of(admin_page.get(f"/admin/exams/{exam['id']}"))
    assert steps(page) == {"window": "true", "rooms": "true", "proctors": "false", "roster": "true",
                           "seating": "false", "blueprint": "true", "forms": "false"}
    assert "Chưa có giám thị: P02" in page and "1 thí sinh chưa có phòng" in page
    assert assemble(client, admin, exam["id"]).status_code == 200
    assembled = text_of(admin_page.get(f"/admin/exams/{exam['id']}"))
    assert steps(assembled)["forms"] == "true"
    assert client.post(f"/api/v1/exams/{exam['id']}/publish", headers=admin).status_code == 200
    assert steps(text_of(admin_page.get(f"/admin/exams/{exam['id']}"))) == {}     # published: no checklist
