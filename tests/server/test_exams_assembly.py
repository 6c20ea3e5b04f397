"""Assembly over a bank seeded through the API: forms satisfy the blueprint and pin versions,
papers are reproducible from their seeds, and what the student's browser gets holds no key."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.server.factories import item_payload
from tests.server.job_follow import follow
from tests.server.test_exams import BLUEPRINT, ROWS, add_room, candidates, csv_bytes, make_exam, upload

NUMERIC_KEY = 0.4375           # distinctive: must never show up in a student's paper
KEY_FIELDS = {"key", "answer_key", "correct", "values", "value", "tolerance", "tolerance_mode", "accepted",
              "pairs", "order", "rubric", "scoring"}


def approved_item(client, token_for, item_type, n, **metadata) -> str:
    payload = item_payload(item_type, difficulty=round(0.3 + 0.05 * (n % 6), 2), **metadata)
    payload["content"]["stem"] = f"<p>Câu hỏi {item_type} số {n}</p>"
    if item_type == "numeric":
        payload["content"]["key"]["value"] = NUMERIC_KEY
    author, reviewer = token_for("teacher1"), token_for("teacher2")
    created = client.post("/api/v1/items", json=payload, headers=author)
    assert created.status_code == 201, created.get_json()
    ident = created.get_json()["identifier"]
    assert client.post(f"/api/v1/items/{ident}/submit", headers=author).status_code == 200
    approved = client.post(f"/api/v1/items/{ident}/approve", headers=reviewer)
    assert approved.get_json()["status"] == "approved", approved.get_json()
    return ident


def seed_bank(client, token_for, counts=(("single_choice", 6), ("true_false_cluster", 3), ("numeric", 3))):
    made = {}
    for item_type, count in counts:
        made[item_type] = [approved_item(client, token_for, item_type, n) for n in range(count)]
    # Noise the assembler must ignore: another grade, and a draft.
    approved_item(client, token_for, "single_choice", 99, grade=11)
    client.post("/api/v1/items", json=item_payload("single_choice"), headers=token_for("teacher1"))
    return made


def ready_exam(client, admin, users) -> dict:
    exam = make_exam(client, admin, blueprint=BLUEPRINT)
    add_room(client, admin, exam["id"], proctor_ids=[users["proctor1"]])
    assert upload(client, admin, exam["id"], csv_bytes(ROWS), "r.csv").status_code == 200
    return exam


def assemble(client, admin, exam_id, **options):
    body = {"forms": 2, "max_overlap": 5, "difficulty_tolerance": 0.2, **options}
    return follow(client, client.post(f"/api/v1/exams/{exam_id}/assemble", json=body, headers=admin), admin)


def test_forms_satisfy_the_blueprint(client, admin, users, token_for):
    bank = seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)
    response = assemble(client, admin, exam["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "assembled"
    forms = client.get(f"/api/v1/exams/{exam['id']}/forms", headers=token_for("teacher1")).get_json()["forms"]
    assert [f["code"] for f in forms] == ["101", "102"]
    for form in forms:
        assert Counter(i["type"] for i in form["items"]) == {"single_choice": 4, "true_false_cluster": 2,
                                                             "numeric": 2}
        assert sum(i["points"] for i in form["items"]) == pytest.approx(10)
        assert all(i["points"] == 1.5 for i in form["items"] if i["type"] == "single_choice")
        identifiers = [i["identifier"] for i in form["items"]]
        assert len(set(identifiers)) == 8
        assert set(identifiers) <= {ident for idents in bank.values() for ident in idents}
        assert [i["position"] for i in form["items"]] == list(range(8))
    shared = {i["identifier"] for i in forms[0]["items"]} & {i["identifier"] for i in forms[1]["items"]}
    assert len(shared) <= 5
    text = json.dumps(forms)
    assert '"key"' not in text and "answer_key" not in text and str(NUMERIC_KEY) not in text
    # Forms are for staff: a proctor and a student may not list them.
    assert client.get(f"/api/v1/exams/{exam['id']}/forms", headers=token_for("proctor1")).status_code == 403
    assert client.get(f"/api/v1/exams/{exam['id']}/forms", headers=token_for("student1")).status_code == 403
    # Assembled: no second assembly, no edits, until reopened.
    again = assemble(client, admin, exam["id"])
    assert again.status_code == 409 and again.get_json()["error"] == "illegal_transition"
    edit = client.put(f"/api/v1/exams/{exam['id']}", json={"title": "Khác"}, headers=admin)
    assert edit.status_code == 409 and edit.get_json()["error"] == "exam_not_draft"


def test_lifecycle_through_the_api(client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)
    url = f"/api/v1/exams/{exam['id']}"
    assert client.post(f"{url}/publish", headers=admin).status_code == 409      # not assembled yet
    assert assemble(client, admin, exam["id"]).status_code == 200
    # Candidates added after assembly get their papers at once (round-robin continues).
    extra = [["010004", "Phan Thị Dung", "01/09/2008", "001308000004", "", "12A3", "", ""]]
    assert upload(client, admin, exam["id"], csv_bytes(extra), "late.csv").get_json() == {"imported": 1}
    roster = candidates(client, admin, exam["id"])
    codes = [client.get(f"{url}/candidates/{c['id']}/paper", headers=admin).get_json()["form_code"]
             for c in roster]
    assert codes == ["101", "102", "101", "102"]
    assert client.post(f"{url}/publish", headers=admin).get_json()["status"] == "published"
    assert upload(client, admin, exam["id"], csv_bytes(extra), "late.csv").status_code == 409
    assert client.post(f"{url}/reopen", headers=admin).status_code == 409
    assert client.post(f"{url}/unpublish", headers=admin).get_json()["status"] == "assembled"
    reopened = client.post(f"{url}/reopen", headers=admin)
    assert reopened.get_json()["status"] == "draft"
    assert client.get(f"{url}/forms", headers=admin).get_json()["forms"] == []
    assert client.get(f"{url}/candidates/{roster[0]['id']}/paper", headers=admin).status_code == 404
    assert assemble(client, admin, exam["id"]).status_code == 200
    assert client.post(f"{url}/publish", headers=admin).status_code == 200
    assert client.post(f"{url}/close", headers=admin).get_json()["status"] == "closed"
    for action in ("publish", "unpublish", "reopen", "close"):
        assert client.post(f"{url}/{action}", headers=admin).status_code == 409
    assert client.post(f"{url}/close", headers=token_for("teacher1")).status_code == 403


def test_unsatisfiable_blueprint_names_the_cell(client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = make_exam(client, admin)
    rows = [dict(r) for r in BLUEPRINT["rows"]]
    rows[2] = {**rows[2], "count": 4, "points_each": 0.5}      # 4 numeric items; the bank has 3
    assert client.put(f"/api/v1/exams/{exam['id']}/blueprint", json={"rows": rows},
                      headers=admin).status_code == 200
    response = assemble(client, admin, exam["id"])
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "blueprint_unsatisfiable", body
    assert "Đạo hàm / hieu / numeric" in body["message"] and body["field"] == "blueprint"
    assert body["reason"] == "cell_short"
    assert client.get(f"/api/v1/exams/{exam['id']}", headers=admin).get_json()["status"] == "draft"
    assert client.get(f"/api/v1/exams/{exam['id']}/forms", headers=admin).get_json()["forms"] == []


@pytest.mark.parametrize("options, field", [
    ({"forms": 0}, "forms"), ({"forms": "2"}, "forms"), ({"forms": 1.5}, "forms"),
    ({"max_overlap": -1}, "max_overlap"), ({"max_overlap": 1.5}, "max_overlap"),
    ({"difficulty_tolerance": 2}, "difficulty_tolerance"), ({"colour": 1}, "colour"),
])
def test_bad_assembly_requests(client, admin, options, field):
    exam = make_exam(client, admin, blueprint=BLUEPRINT)
    response = assemble(client, admin, exam["id"], **options)
    assert response.status_code == 422 and response.get_json()["field"] == field, response.get_json()


def test_assembly_needs_a_blueprint(client, admin):
    exam = make_exam(client, admin)
    response = assemble(client, admin, exam["id"])
    assert response.status_code == 409 and response.get_json()["error"] == "no_blueprint"


def test_forms_pin_versions(app, client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)
    assert assemble(client, admin, exam["id"]).status_code == 200
    form = client.get(f"/api/v1/exams/{exam['id']}/forms", headers=admin).get_json()["forms"][0]
    pinned = form["items"][0]
    assert pinned["version"] == 1
    ident = pinned["identifier"]
    # Revise the item and approve the new version: the bank moves on, the exam does not.
    current = client.get(f"/api/v1/items/{ident}", headers=token_for("teacher1")).get_json()["item"]
    current["content"]["stem"] = "<p>Nội dung mới sau khi thi</p>"
    revised = client.put(f"/api/v1/items/{ident}", json=current, headers=token_for("teacher1"))
    assert revised.status_code == 200 and revised.get_json()["version"] == 2
    client.post(f"/api/v1/items/{ident}/submit", headers=token_for("teacher1"))
    assert client.post(f"/api/v1/items/{ident}/approve", headers=token_for("teacher2")).status_code == 200
    after = client.get(f"/api/v1/exams/{exam['id']}/forms", headers=admin).get_json()["forms"][0]
    assert after["items"][0] == pinned
    first = candidates(client, admin, exam["id"])[0]        # sits form 101
    paper = client.get(f"/api/v1/exams/{exam['id']}/candidates/{first['id']}/paper", headers=admin).get_json()
    stems = [q["stem"] for q in paper["student_view"]["questions"]]
    assert "Nội dung mới" not in json.dumps(paper)
    old_stem = f"<p>Câu hỏi {pinned['type']} số"
    assert sum(stem.startswith(old_stem) for stem in stems) == Counter(i["type"] for i in form["items"])[
        pinned["type"]]
    assert ident in [q["identifier"] for q in paper["questions"]]
    assert all(q["version"] == 1 for q in paper["questions"])


def test_papers_reproducible_from_seeds(app, client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)
    assert assemble(client, admin, exam["id"]).status_code == 200
    roster = candidates(client, admin, exam["id"])
    papers = [client.get(f"/api/v1/exams/{exam['id']}/candidates/{c['id']}/paper", headers=admin).get_json()
              for c in roster]
    for paper in papers:
        assert paper["matches_record"] is True and paper["seed_matches_key"] is True
        assert sorted(q["form_position"] for q in paper["questions"]) == list(range(8))
    assert len({p["seed"] for p in papers}) == 3
    # Candidates 1 and 3 sit the same form, shuffled differently.
    assert papers[0]["form_code"] == papers[2]["form_code"]
    assert (papers[0]["item_order"], papers[0]["option_orders"]) != (papers[2]["item_order"],
                                                                    papers[2]["option_orders"])
    # Parts keep their order: all single choice, then true/false, then numeric.
    types = [q["type"] for q in papers[0]["student_view"]["questions"]]
    assert types == ["single_choice"] * 4 + ["true_false_cluster"] * 2 + ["numeric"] * 2
    # The service layer: paper_for follows the recorded order; a tampered record is detected.
    from exam_server.core.db import session
    from exam_server.exams import services
    from exam_server.exams.models import Candidate, CandidatePaper

    with app.app_context():
        candidate = session.get(Candidate, roster[0]["id"])
        entries = services.paper_for(candidate)
        record = services.get_paper(candidate)
        assert [e.form_position for e in entries] == record.item_order
        assert [e.number for e in entries] == list(range(1, 9))
        items = record.form.items
        assert [e.item_version.id for e in entries] == [items[p].item_version_id for p in record.item_order]
        for entry in entries:
            if entry.item_version.item_type == "single_choice":
                assert sorted(entry.option_order["options"]) == ["A", "B", "C", "D"]
        stored = session.get(CandidatePaper, record.id)
        stored.item_order = list(reversed(stored.item_order))
        session.commit()
        assert services.reproduce_paper(candidate, app.config["SECRET_KEY"])["matches_record"] is False


def _walk(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k, v
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _walk(v, f"{path}[{n}]")


def test_student_render_never_contains_keys(app, client, admin, users, token_for):
    seed_bank(client, token_for)
    exam = ready_exam(client, admin, users)
    assert assemble(client, admin, exam["id"]).status_code == 200
    from exam_server.core.db import session
    from exam_server.exams import services
    from exam_server.exams.models import Candidate

    with app.app_context():
        for row in candidates(client, admin, exam["id"]):
            candidate = session.get(Candidate, row["id"])
            rendered = services.render_paper(candidate)
            text = json.dumps(rendered, ensure_ascii=False)
            for path, key, value in _walk(rendered):
                assert key not in KEY_FIELDS, f"{path}.{key}"
                assert not isinstance(value, bool), f"{path}.{key}"     # true/false keys
            entries = services.paper_for(candidate)
            for entry in entries:
                key = entry.item_version.answer_key
                assert json.dumps(key, ensure_ascii=False) not in text
                for name in ("value", "values", "accepted", "pairs", "order"):
                    if name in key:
                        assert json.dumps(key[name], ensure_ascii=False) not in text
            assert str(NUMERIC_KEY) not in text
            assert rendered["total_points"] == pytest.approx(10)
            # Options shown in the paper's order, every one of them.
            for question, entry in zip(rendered["questions"], entries):
                if question["type"] == "single_choice":
                    assert [o["id"] for o in question["body"]["options"]] == entry.option_order["options"]
                assert question["stem"] == entry.item_version.stem
