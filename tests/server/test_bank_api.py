from __future__ import annotations

import pytest

from tests.server.factories import ITEM_TYPES, item_payload
from tests.server.job_follow import follow


@pytest.fixture
def teacher(token_for):
    return token_for("teacher1")


@pytest.fixture
def reviewer(token_for):
    return token_for("teacher2")


def _create(client, headers, payload):
    response = client.post("/api/v1/items", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_create_every_type(client, teacher, item_type):
    created = _create(client, teacher, item_payload(item_type))
    assert created["status"] == "draft" and created["version"] == 1
    fetched = client.get(f"/api/v1/items/{created['identifier']}", headers=teacher).get_json()
    assert fetched["item"]["content"]["type"] == item_type


def test_review_workflow_and_audit_trail(client, teacher, reviewer):
    ident = _create(client, teacher, item_payload())["identifier"]
    assert client.post(f"/api/v1/items/{ident}/submit", headers=teacher).get_json()["status"] == "in_review"
    own = client.post(f"/api/v1/items/{ident}/approve", headers=teacher)
    assert own.status_code == 403 and own.get_json()["error"] == "own_item"
    no_comment = client.post(f"/api/v1/items/{ident}/request_changes", headers=reviewer, json={})
    assert no_comment.status_code == 422 and no_comment.get_json()["field"] == "comment"
    approved = client.post(f"/api/v1/items/{ident}/approve", headers=reviewer, json={"comment": "Tốt"})
    assert approved.get_json()["status"] == "approved"
    again = client.post(f"/api/v1/items/{ident}/approve", headers=reviewer)
    assert again.status_code == 409 and again.get_json()["error"] == "illegal_transition"
    events = client.get(f"/api/v1/items/{ident}/events", headers=teacher).get_json()["events"]
    assert [e["action"] for e in events] == ["create", "submit", "approve"]
    assert events[-1]["comment"] == "Tốt" and events[-1]["to_status"] == "approved"


def test_editing_a_published_item_makes_a_new_version(client, teacher, reviewer):
    payload = item_payload()
    ident = _create(client, teacher, payload)["identifier"]
    client.post(f"/api/v1/items/{ident}/submit", headers=teacher)
    client.post(f"/api/v1/items/{ident}/approve", headers=reviewer)
    payload["content"]["key"] = {"correct": "B"}
    revised = client.put(f"/api/v1/items/{ident}", json=payload, headers=teacher).get_json()
    assert revised["version"] == 2 and revised["status"] == "draft"
    v1 = client.get(f"/api/v1/items/{ident}/versions/1", headers=teacher).get_json()
    assert v1["status"] == "approved" and v1["item"]["content"]["key"] == {"correct": "A"}
    client.post(f"/api/v1/items/{ident}/submit", headers=teacher)
    client.post(f"/api/v1/items/{ident}/approve", headers=reviewer)
    v1 = client.get(f"/api/v1/items/{ident}/versions/1", headers=teacher).get_json()
    assert v1["status"] == "superseded" and v1["item"]["content"]["key"] == {"correct": "A"}
    history = client.get(f"/api/v1/items/{ident}", headers=teacher).get_json()["versions"]
    assert [(v["version"], v["status"]) for v in history] == [(2, "approved"), (1, "superseded")]


def test_in_review_cannot_be_edited(client, teacher):
    payload = item_payload()
    ident = _create(client, teacher, payload)["identifier"]
    client.post(f"/api/v1/items/{ident}/submit", headers=teacher)
    response = client.put(f"/api/v1/items/{ident}", json=payload, headers=teacher)
    assert response.status_code == 409 and response.get_json()["error"] == "not_editable"


BAD_ITEMS = {
    "missing key": (lambda p: p["content"].update(key={}), "missing_key"),
    "out-of-range option": (lambda p: p["content"].update(key={"correct": "E"}), "unknown_option"),
    "script in stem": (lambda p: p["content"].update(stem="<p>x</p><script>alert(1)</script>"), "unsafe_html"),
    "malformed LaTeX": (lambda p: p["content"].update(stem="<p>\\(\\frac{1}{2\\)</p>"), "bad_latex"),
    "grade 13": (lambda p: p["metadata"].update(grade=13), "metadata.grade"),
    "unknown type": (lambda p: p["content"].update(type="hotspot"), "unknown_type"),
    "not an object": (lambda p: p.update(content="nope"), "wrong_type"),
}


@pytest.mark.parametrize("case", BAD_ITEMS)
def test_bad_items_are_refused_and_nothing_changes(client, teacher, case):
    existing = _create(client, teacher, item_payload())
    payload = item_payload()
    mutate, expected = BAD_ITEMS[case]
    mutate(payload)
    response = client.post("/api/v1/items", json=payload, headers=teacher)
    body = response.get_json()
    assert 400 <= response.status_code < 500
    assert set(body) >= {"error", "message", "field"} and body["message"]
    assert expected in (body["error"], body["field"]) or expected in (body["field"] or "")
    listing = client.get("/api/v1/items", headers=teacher).get_json()
    assert [i["identifier"] for i in listing["items"]] == [existing["identifier"]]


def test_three_statements_in_true_false_cluster_refused(client, teacher):
    payload = item_payload("true_false_cluster")
    payload["content"]["body"]["statements"].pop()
    payload["content"]["key"]["values"].pop("d")
    body = client.post("/api/v1/items", json=payload, headers=teacher).get_json()
    assert body["error"] == "wrong_statement_count"


def test_bad_requests_are_json_errors(client, teacher):
    assert client.post("/api/v1/items", data="{", headers={**teacher, "Content-Type": "application/json"}
                       ).status_code == 400
    assert client.post("/api/v1/items", data="x", headers=teacher).status_code == 415
    assert client.get("/api/v1/items?grade=abc", headers=teacher).get_json()["field"] == "grade"
    assert client.get("/api/v1/items?per_page=1000", headers=teacher).status_code == 400
    assert client.get("/api/v1/nothing", headers=teacher).get_json()["error"] == "not_found"


def test_fifty_megabyte_upload_refused(client, teacher):
    big = b"x" * (50 * 1024 * 1024)
    response = client.post("/api/v1/import/qti", data=big, headers={**teacher, "Content-Type": "application/zip"})
    assert response.status_code == 413
    assert "MB" in response.get_json()["message"]


def test_search_with_and_without_diacritics_and_filters(client, teacher):
    _create(client, teacher, item_payload(topic="Đạo hàm"))
    _create(client, teacher, item_payload("numeric", subject="physics", topic="Dao động điều hòa"))
    for q in ("đạo hàm", "dao ham", "DAO HAM"):
        found = client.get("/api/v1/items", query_string={"q": q}, headers=teacher).get_json()
        assert found["total"] >= 1, q
    physics = client.get("/api/v1/items?subject=physics", headers=teacher).get_json()
    assert physics["total"] == 1 and physics["items"][0]["type"] == "numeric"
    paged = client.get("/api/v1/items?per_page=1&page=2", headers=teacher).get_json()
    assert paged["total"] == 2 and len(paged["items"]) == 1
    by_tag = client.get("/api/v1/items?tag=THPT-2025", headers=teacher).get_json()
    assert by_tag["total"] == 2


def test_preview_never_contains_the_key(client, teacher):
    payload = item_payload("true_false_cluster")
    view = client.post("/api/v1/items/preview", json=payload, headers=teacher).get_json()["student_view"]
    assert "key" not in view and "values" not in str(view)


def test_media_upload_and_use(client, teacher):
    out = __import__("io").BytesIO()
    __import__("PIL.Image").Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG")
    png = out.getvalue()
    response = client.post("/api/v1/media", data={"file": (__import__("io").BytesIO(png), "a.png")},
                           headers=teacher, content_type="multipart/form-data")
    assert response.status_code == 201
    url = response.get_json()["url"]
    payload = item_payload()
    payload["content"]["stem"] = f'<p>Hình</p><img src="{url}" alt="h">'
    _create(client, teacher, payload)
    assert client.get(url, headers=teacher).data == png
    svg = client.post("/api/v1/media", data={"file": (__import__("io").BytesIO(b"<svg/>"), "a.svg")},
                      headers=teacher, content_type="multipart/form-data")
    assert svg.status_code == 415


def test_an_edit_from_a_stale_version_is_refused(client, teacher, token_for):
    payload = item_payload()
    ident = _create(client, teacher, payload)["identifier"]
    other_teacher = token_for("teacher2")
    first = client.put(f"/api/v1/items/{ident}", json={**payload, "base_version": 1}, headers=other_teacher)
    assert first.status_code == 200 and first.get_json()["version"] == 2
    late = client.put(f"/api/v1/items/{ident}", json={**payload, "base_version": 1}, headers=teacher)
    assert late.status_code == 409 and late.get_json()["error"] == "stale_version"
    assert client.get(f"/api/v1/items/{ident}", headers=teacher).get_json()["version"] == 2


def test_reserved_identifiers_are_refused(client, teacher):
    response = client.post("/api/v1/items", json=item_payload() | {"identifier": "new"}, headers=teacher)
    assert response.status_code == 422 and response.get_json()["error"] == "reserved_identifier"


def test_review_queue_shows_other_authors_only(client, teacher, reviewer):
    mine = _create(client, teacher, item_payload())["identifier"]
    theirs = _create(client, reviewer, item_payload())["identifier"]
    for ident, headers in ((mine, teacher), (theirs, reviewer)):
        client.post(f"/api/v1/items/{ident}/submit", headers=headers)
    queue = client.get("/api/v1/review-queue", headers=teacher).get_json()["items"]
    assert [i["identifier"] for i in queue] == [theirs]


def test_metadata_filters_ignore_case_and_diacritics(client, teacher):
    _create(client, teacher, item_payload(author="ĐỖ Văn Tùng", source="Đề thi thử Sở GD&ĐT Hà Nội"))
    _create(client, teacher, item_payload(author="Lê Thị Hoa"))
    for args in ({"author": "do van"}, {"author": "đỗ văn"}, {"source": "so gd"}, {"source": "HÀ NỘI"}):
        found = client.get("/api/v1/items", query_string=args, headers=teacher).get_json()
        assert found["total"] == 1, args


def test_a_numeric_key_that_cannot_be_typed_is_refused_on_save_and_on_import(client, teacher):
    """Issue 10: a key of -1.25 with a 4-character box (the 2025 answer grid) cannot be typed."""
    import io

    payload = item_payload("numeric")
    payload["content"]["body"] = {"max_chars": 4}
    payload["content"]["key"] = {"value": -1.25, "tolerance": 0}
    refused = client.post("/api/v1/items", json=payload, headers=teacher)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["error"] == "key_not_typeable" and refused.get_json()["field"].endswith("key.value")
    payload["content"]["body"] = {"max_chars": 5}
    saved = _create(client, teacher, payload)
    # Editing it back to 4 characters is refused too, and the stored version stays.
    edit = client.put(f"/api/v1/items/{saved['identifier']}", headers=teacher,
                      json={**payload, "content": {**payload["content"], "body": {"max_chars": 4}}})
    assert edit.status_code == 422 and edit.get_json()["error"] == "key_not_typeable"
    stored = client.get(f"/api/v1/items/{saved['identifier']}", headers=teacher).get_json()
    assert stored["version"] == 1 and stored["item"]["content"]["body"]["max_chars"] == 5
    header = "Loại câu hỏi,Nội dung,Đáp án,Số ký tự tối đa,Môn,Lớp,Mức độ\n"
    row = "Trả lời ngắn,Tính \\(-5/4\\).,\"-1,25\",4,Toán,12,Thông hiểu\n"
    response = follow(client, client.post("/api/v1/import/spreadsheet", headers=teacher,
                                          content_type="multipart/form-data",
                                          data={"file": (io.BytesIO((header + row).encode()), "items.csv")}),
                      teacher)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "Đáp án")] and "cannot be typed" in errors[0]["reason"]
    assert client.get("/api/v1/items", headers=teacher).get_json()["total"] == 1
