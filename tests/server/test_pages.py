"""The teacher pages of the item bank, through the Flask test client, on SQLite and PostgreSQL.

Items are made through the JSON API (as the editor does); the pages are read as a teacher would,
in Vietnamese (the default) and in English.
"""
from __future__ import annotations

import copy
import json
import re
from html import unescape
from pathlib import Path

import pytest

import exam_server

SAMPLES = {
    "single_choice": {
        "stem": "<p>Đạo hàm của \\(x^2\\) là</p>",
        "body": {"options": [{"id": "A", "html": "\\(x\\)"}, {"id": "B", "html": "\\(2x\\)"},
                             {"id": "C", "html": "\\(x^3\\)"}, {"id": "D", "html": "\\(2\\)"}]},
        "key": {"correct": "B"},
    },
    "multiple_response": {
        "stem": "<p>Số nào là số nguyên tố?</p>",
        "body": {"options": [{"id": "A", "html": "2"}, {"id": "B", "html": "4"}, {"id": "C", "html": "7"}]},
        "key": {"correct": ["A", "C"], "scoring": "partial"},
    },
    "true_false_cluster": {
        "stem": "<p>Cho hàm số \\(y = x^3 - 3x\\).</p>",
        "body": {"statements": [{"id": i, "html": f"Mệnh đề {i}"} for i in "abcd"]},
        "key": {"values": {"a": True, "b": False, "c": True, "d": False}},
    },
    "numeric": {
        "stem": "<p>Chiều dài đoạn AB là bao nhiêu?</p>",
        "body": {"unit": "cm", "max_chars": 4},
        "key": {"value": 1.5, "tolerance": 0.05},
    },
    "text_entry": {
        "stem": "<p>Thủ đô của Việt Nam là</p>",
        "body": {},
        "key": {"accepted": ["Hà Nội", "Ha Noi"], "match": "fold"},
    },
    "extended_text": {
        "stem": "<p>Phân tích bài thơ Tây Tiến.</p>",
        "body": {"expected_words": 400},
        "key": {"rubric": [{"criterion": "Bố cục", "max_points": 1},
                           {"criterion": "Nội dung", "max_points": 3, "description": "Đủ ý"}]},
    },
    "matching": {
        "stem": "<p>Ghép nhà văn với tác phẩm.</p>",
        "body": {"sources": [{"id": "1", "html": "Nam Cao"}, {"id": "2", "html": "Tô Hoài"}],
                 "targets": [{"id": "a", "html": "Vợ chồng A Phủ"}, {"id": "b", "html": "Chí Phèo"},
                             {"id": "c", "html": "Số đỏ"}]},
        "key": {"pairs": {"1": "b", "2": "a"}},
    },
    "ordering": {
        "stem": "<p>Sắp xếp các sự kiện theo thời gian.</p>",
        "body": {"choices": [{"id": "a", "html": "1945"}, {"id": "b", "html": "1954"}, {"id": "c", "html": "1930"}]},
        "key": {"order": ["c", "a", "b"]},
    },
}


def item_json(item_type: str = "single_choice", title: str = "Câu hỏi", **metadata) -> dict:
    meta = {"subject": "math", "grade": 12, "cognitive_level": "biet", **metadata}
    return {"title": title, "metadata": meta, "content": {"type": item_type, **copy.deepcopy(SAMPLES[item_type])}}


@pytest.fixture
def make_item(client, token_for):
    def make(username: str = "teacher1", item_type: str = "single_choice", title: str = "Câu hỏi", **metadata):
        response = client.post("/api/v1/items", json=item_json(item_type, title, **metadata),
                               headers=token_for(username))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["identifier"]

    return make


@pytest.fixture
def act(client, token_for):
    def do(username: str, identifier: str, action: str, comment: str = ""):
        response = client.post(f"/api/v1/items/{identifier}/{action}", json={"comment": comment},
                               headers=token_for(username))
        assert response.status_code == 200, response.get_json()
        return response

    return do


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [unescape(t) for t in re.findall(r'<td class="title-cell">\s*<a href="[^"]+">([^<]*)</a>', html)]


def switch_language(client, code: str) -> None:
    response = client.post(f"/lang/{code}", data={"next": "/bank/items"})
    assert response.status_code == 302


PAGES = ["/bank/items", "/bank/items/new", "/bank/review", "/bank/import", "/bank/export"]


# --- every page, in both languages --------------------------------------------------------------

def test_every_page_renders_in_vietnamese_by_default(login, make_item):
    ident = make_item(title="Đạo hàm cơ bản")
    client = login("teacher1")
    urls = PAGES + [f"/bank/items/new?type={t}" for t in SAMPLES] + [
        f"/bank/items/{ident}", f"/bank/items/{ident}/versions/1", f"/bank/items/{ident}/edit"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = text_of(response)
        assert '<html lang="vi">' in text, url
        assert "Ngân hàng câu hỏi" in text and "Hàng chờ duyệt" in text and "Nhập/Xuất" in text, url
        assert "Đăng xuất" in text and 'name="csrf-token"' in text, url
        assert "Item bank" not in text and "Log out" not in text, url
    listing = text_of(client.get("/bank/items"))
    for word in ("Môn học", "Mức độ nhận thức", "Dạng câu hỏi", "Trạng thái", "Nháp", "Trắc nghiệm một lựa chọn"):
        assert word in listing
    picker = text_of(client.get("/bank/items/new"))
    for word in ("Trắc nghiệm một lựa chọn", "Nhiều lựa chọn", "Đúng/Sai", "Trả lời ngắn", "Điền từ", "Tự luận",
                 "Ghép nối", "Sắp xếp"):
        assert word in picker
    editor = text_of(client.get("/bank/items/new?type=single_choice"))
    for word in ("Xem trước", "Nhận biết", "Thông hiểu", "Vận dụng", "Vận dụng cao", "Yêu cầu cần đạt"):
        assert word in editor
    view = text_of(client.get(f"/bank/items/{ident}"))
    assert "Gửi duyệt" in view and "Nhật ký thao tác" in view


def test_english_after_switching_language(login, make_item):
    ident = make_item(title="Derivative")
    client = login("teacher1")
    switch_language(client, "en")
    for url in PAGES + [f"/bank/items/{ident}", "/bank/items/new?type=matching"]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = text_of(response)
        assert '<html lang="en">' in text, url
        assert "Item bank" in text and "Review queue" in text and "Log out" in text, url
        assert "Ngân hàng câu hỏi" not in text, url
    assert "Submit for review" in text_of(client.get(f"/bank/items/{ident}"))
    switch_language(client, "vi")
    assert "Ngân hàng câu hỏi" in text_of(client.get("/bank/items"))


def test_javascript_strings_are_translated(login):
    client = login("teacher1")

    def strings(response) -> dict:
        match = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', response.get_data(as_text=True),
                          re.DOTALL)
        return json.loads(match.group(1))

    vi = strings(client.get("/bank/items/new?type=true_false_cluster"))
    assert vi["true"] == "Đúng" and vi["false"] == "Sai" and vi["saving"] == "Đang lưu…"
    switch_language(client, "en")
    en = strings(client.get("/bank/items/new?type=true_false_cluster"))
    assert en["true"] == "True" and en["saving"] == "Saving…"
    assert set(vi) == set(en)


def test_login_page_and_its_error_are_in_vietnamese(client, users):
    page = text_of(client.get("/login"))
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "Mật khẩu" in page
    failed = client.post("/login", data={"username": "teacher1", "password": "wrong"})
    assert failed.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in text_of(failed)


def test_catalogue_is_complete_and_compiled():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(exam_server.__file__).parent / "translations" / "vi" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = read_po(f)
    with open(folder / "messages.mo", "rb") as f:
        mo = read_mo(f)
    untranslated = [m.id for m in po if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []
    assert not [m.id for m in po if m.id and m.fuzzy]
    compiled = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in mo if m.id}
    for message in po:
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            assert key in compiled, f"messages.mo is older than messages.po: {key!r} missing"


def test_catalogue_covers_every_string_of_the_code():
    """A string added to a template or a view without its translation fails here (run
    `pybabel extract -F babel.cfg -k _l -o exam_server/translations/messages.pot .`, then
    `pybabel update` and `pybabel compile -d exam_server/translations`)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    root = Path(exam_server.__file__).parent.parent
    with open(root / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    in_code = {message if isinstance(message, str) else message[0]
               for _file, _line, message, _comments, _context in
               extract_from_dir(str(root), method_map, options_map, keywords=keywords)}
    with open(root / "exam_server" / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(in_code - translated) == []


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["proctor1", "student1"])
def test_other_roles_are_refused(login, make_item, username):
    ident = make_item()
    client = login(username)
    for url in PAGES + [f"/bank/items/{ident}", f"/bank/items/{ident}/edit", f"/bank/items/{ident}/versions/1",
                        "/bank/items/new?type=numeric"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Không có quyền truy cập" in text_of(response)


def test_anonymous_is_sent_to_log_in(client, users):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_admin_may_use_the_pages(login, make_item):
    ident = make_item()
    client = login("admin")
    for url in PAGES + [f"/bank/items/{ident}"]:
        assert client.get(url).status_code == 200, url


def test_unknown_item_is_404_page(login, users):
    client = login("teacher1")
    for url in ("/bank/items/no-such-item", "/bank/items/no-such-item/edit", "/bank/items/no-such-item/versions/3"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Không tìm thấy" in text_of(response)


# --- the list and its filters ---------------------------------------------------------------------

@pytest.fixture
def bank(make_item, act):
    """Items with varied metadata; returns title -> identifier."""
    made = {
        "Đạo hàm của hàm đa thức": make_item(
            title="Đạo hàm của hàm đa thức", topic="Đạo hàm", learning_outcome="Tính được đạo hàm",
            cognitive_level="hieu", tags=["giải tích", "lớp 12"], author="Nguyễn Văn An", source="SGK Toán 11",
            difficulty=0.3),
        "Newton's second law": make_item(
            "teacher2", "numeric", "Newton's second law", subject="physics", grade=10, topic="Động lực học",
            cognitive_level="van_dung", language="en", tags=["mechanics"], author="Trần Thị Bình",
            source="Đề thi 2024", difficulty=0.7),
        "Thủ đô": make_item("teacher1", "text_entry", "Thủ đô", subject="geography", grade=6, topic="Việt Nam",
                            cognitive_level="biet", difficulty=0.1),
        "Tây Tiến": make_item("teacher2", "extended_text", "Tây Tiến", subject="literature", grade=12,
                              topic="Thơ", cognitive_level="van_dung_cao", difficulty=0.9),
    }
    act("teacher1", made["Thủ đô"], "submit")
    act("teacher2", made["Tây Tiến"], "submit")
    act("teacher1", made["Tây Tiến"], "approve")
    return made


FILTER_CASES = [
    ({"q": "dao ham"}, ["Đạo hàm của hàm đa thức"]),
    ({"q": "Đạo hàm"}, ["Đạo hàm của hàm đa thức"]),
    ({"q": "DAO HAM da thuc"}, ["Đạo hàm của hàm đa thức"]),
    ({"q": "tay tien"}, ["Tây Tiến"]),
    ({"q": "nothing like this"}, []),
    ({"subject": "physics"}, ["Newton's second law"]),
    ({"grade": "12"}, ["Tây Tiến", "Đạo hàm của hàm đa thức"]),
    ({"topic": "Thơ"}, ["Tây Tiến"]),
    ({"learning_outcome": "tính được"}, ["Đạo hàm của hàm đa thức"]),
    ({"cognitive_level": "van_dung"}, ["Newton's second law"]),
    ({"item_type": "text_entry"}, ["Thủ đô"]),
    ({"status": "in_review"}, ["Thủ đô"]),
    ({"status": "approved"}, ["Tây Tiến"]),
    ({"status": "draft"}, ["Newton's second law", "Đạo hàm của hàm đa thức"]),
    ({"tag": "giai tich"}, ["Đạo hàm của hàm đa thức"]),
    ({"tag": "mechanics"}, ["Newton's second law"]),
    ({"author": "trần"}, ["Newton's second law"]),
    ({"source": "sgk"}, ["Đạo hàm của hàm đa thức"]),
    ({"language": "en"}, ["Newton's second law"]),
    ({"difficulty_min": "0.5"}, ["Tây Tiến", "Newton's second law"]),
    ({"difficulty_max": "0.5"}, ["Thủ đô", "Đạo hàm của hàm đa thức"]),
    ({"difficulty_min": "0.2", "difficulty_max": "0.8"}, ["Newton's second law", "Đạo hàm của hàm đa thức"]),
    ({"subject": "math", "grade": "12", "q": "ham"}, ["Đạo hàm của hàm đa thức"]),
]


def test_list_filters(login, bank):
    client = login("teacher1")
    for query, expected in FILTER_CASES:
        response = client.get("/bank/items", query_string=query)
        assert response.status_code == 200, query
        assert titles(response) == expected, query  # newest first
        # The form shows the filters back, so that the teacher refines rather than retypes.
        page = text_of(response)
        for name, value in query.items():
            assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page) or \
                re.search(rf'<option value="{re.escape(value)}" selected', page), (query, name)


def test_only_my_items(login, bank, users):
    client = login("teacher2")
    response = client.get("/bank/items", query_string={"created_by_id": users["teacher2"]})
    assert titles(response) == ["Tây Tiến", "Newton's second law"]


def test_list_shows_labels_badges_and_links(login, bank):
    client = login("teacher1")
    response = client.get("/bank/items")
    page = response.get_data(as_text=True)
    assert titles(response) == ["Tây Tiến", "Thủ đô", "Newton's second law", "Đạo hàm của hàm đa thức"]
    assert 'class="badge status-approved"' in page and 'class="badge status-in_review"' in page
    assert "Đã duyệt" in page and "Chờ duyệt" in page and "Vận dụng cao" in page and "Tự luận" in page
    ident = bank["Đạo hàm của hàm đa thức"]
    assert f'href="/bank/items/{ident}"' in page and f'href="/bank/items/{ident}/edit"' in page
    # An item in review or approved cannot be edited from the list... approved can (new version).
    assert f'href="/bank/items/{bank["Thủ đô"]}/edit"' not in page
    assert f'href="/bank/items/{bank["Tây Tiến"]}/edit"' in page
    # Topic filter offers the topics in use.
    assert '<option value="Đạo hàm"' in page and '<option value="Thơ"' in page


def test_bad_filter_is_explained_not_crashed(login, bank):
    client = login("teacher1")
    response = client.get("/bank/items", query_string={"grade": "twelve"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Bộ lọc không hợp lệ" in page and "grade must be a whole number" in page
    assert titles(response) == []
    response = client.get("/bank/items", query_string={"subject": "alchemy"})
    assert response.status_code == 400


def test_paging(login, make_item):
    for n in range(23):
        make_item(title=f"Câu {n:02d}")
    client = login("teacher1")
    first = client.get("/bank/items", query_string={"subject": "math"})
    assert len(titles(first)) == 20 and titles(first)[0] == "Câu 22"
    assert "Trang 1/2" in text_of(first)
    assert 'href="/bank/items?page=2&amp;subject=math"' in first.get_data(as_text=True)
    second = client.get("/bank/items", query_string={"subject": "math", "page": 2})
    assert titles(second) == ["Câu 02", "Câu 01", "Câu 00"]
    assert client.get("/bank/items", query_string={"page": "0"}).status_code == 400


def test_titles_are_escaped(login, make_item):
    make_item(title="<img src=x onerror=alert(1)> tiêu đề")
    page = login("teacher1").get("/bank/items").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; tiêu đề" in page


# --- editor ---------------------------------------------------------------------------------------

def editor_config(response) -> dict:
    match = re.search(r'<script type="application/json" id="editor-config">(.*?)</script>',
                      response.get_data(as_text=True), re.DOTALL)
    return json.loads(match.group(1))


def test_type_picker_offers_every_registered_type(login, users):
    from item_bank.types import REGISTRY

    page = login("teacher1").get("/bank/items/new").get_data(as_text=True)
    for name in REGISTRY:
        assert f'href="/bank/items/new?type={name}"' in page


def test_editor_for_every_type(login, make_item):
    client = login("teacher1")
    for item_type in SAMPLES:
        check_editor(client, make_item, item_type)


def check_editor(client, make_item, item_type):
    new = client.get("/bank/items/new", query_string={"type": item_type})
    config = editor_config(new)
    assert config["type"] == item_type and config["item"] is None and config["editable"] is True
    assert config["urls"]["preview"] == "/api/v1/items/preview" and config["urls"]["create"] == "/api/v1/items"
    page = new.get_data(as_text=True)
    assert "js/editor.js" in page and "vendor/katex/katex.min.js" in page and "auto-render.min.js" in page
    for field in ("title", "stem", "metadata.subject", "metadata.grade", "metadata.topic",
                  "metadata.learning_outcome", "metadata.cognitive_level", "metadata.difficulty", "metadata.tags",
                  "metadata.author", "metadata.source", "metadata.language", "identifier"):
        assert f'data-field="{field}"' in page, field

    ident = make_item(item_type=item_type, title="Sửa tôi", topic="Chủ đề A")
    edit = client.get(f"/bank/items/{ident}/edit")
    config = editor_config(edit)
    assert config["identifier"] == ident and config["urls"]["update"] == f"/api/v1/items/{ident}"
    assert config["item"]["content"]["key"] == client.get(f"/api/v1/items/{ident}").get_json()["item"]["content"]["key"]
    assert 'value="Sửa tôi"' in edit.get_data(as_text=True)


def test_editor_of_a_version_in_review_cannot_save(login, make_item, act):
    ident = make_item()
    act("teacher1", ident, "submit")
    response = login("teacher1").get(f"/bank/items/{ident}/edit")
    assert editor_config(response)["editable"] is False
    page = text_of(response)
    assert "hãy rút lại trước khi sửa" in page
    assert re.search(r'<button type="submit" class="button primary" id="e-save"\s+disabled', page)


def test_unknown_type_shows_the_picker(login, users):
    page = login("teacher1").get("/bank/items/new?type=bogus")
    assert page.status_code == 200 and "Câu hỏi mới: chọn dạng câu hỏi" in text_of(page)


# --- view, versions, audit trail, workflow buttons ------------------------------------------------

def workflow_buttons(response) -> list[str]:
    return re.findall(r'<button type="button" class="button[^"]*"\s+data-action="(\w+)"', response.get_data(as_text=True))


def test_view_shows_student_view_and_key_of_every_type(login, make_item):
    client = login("teacher1")
    for item_type in SAMPLES:
        check_view(client, make_item(item_type=item_type, title="Xem tôi"), item_type)


def check_view(client, ident, item_type):
    response = client.get(f"/bank/items/{ident}")
    page = response.get_data(as_text=True)
    match = re.search(r'<div class="student-view" data-student-view[^>]*>\s*<script type="application/json">(.*?)</script>',
                      page, re.DOTALL)
    view = json.loads(match.group(1))
    assert view["type"] == item_type and "key" not in view
    assert f'<div class="answer-key" data-type="{item_type}">' in page
    key_html = page.split('<div class="answer-key"', 1)[1].split("</section>", 1)[0]
    expected_in_key = {
        "single_choice": '<li class="correct">', "multiple_response": "Tính điểm từng phần",
        "true_false_cluster": '<td class="correct">Đúng</td>', "numeric": "<strong>1.5</strong> cm",
        "text_entry": "<code>Hà Nội</code>", "extended_text": "Bố cục",
        "matching": '<td class="html correct">Chí Phèo</td>', "ordering": '<ol class="key-order"><li class="html">1930',
    }[item_type]
    assert expected_in_key in page, key_html[:500]
    assert "js/item-render.js" in page or "js/bank.js" in page


def test_versions_and_audit_trail(login, make_item, act, client, token_for):
    ident = make_item(title="Phiên bản một")
    body = item_json(title="Phiên bản hai")
    response = client.put(f"/api/v1/items/{ident}", json={**body, "comment": "Sửa đáp án"},
                          headers=token_for("teacher1"))
    assert response.status_code == 200
    act("teacher1", ident, "submit")
    act("teacher2", ident, "request_changes", "Phương án C sai chính tả")
    browser = login("teacher1")
    page = text_of(browser.get(f"/bank/items/{ident}"))
    assert "Phiên bản hai" in page and "Phiên bản 2" in page
    assert f'href="/bank/items/{ident}/versions/1"' in page and f'href="/bank/items/{ident}/versions/2"' in page
    audit = page.split('id="audit"', 1)[1]
    for text in ("Tạo mới", "Phiên bản mới", "Đã được thay thế", "Đã gửi duyệt", "Đã yêu cầu sửa",
                 "Phương án C sai chính tả", "Sửa đáp án", "Teacher1", "Teacher2"):
        assert text in audit, text
    # Newest first.
    assert audit.index("Đã yêu cầu sửa") < audit.index("Đã gửi duyệt") < audit.index("Tạo mới")
    old = browser.get(f"/bank/items/{ident}/versions/1")
    assert old.status_code == 200
    old_page = text_of(old)
    assert "Phiên bản một" in old_page and "Bạn đang xem phiên bản 1" in old_page
    assert workflow_buttons(old) == [] and 'id="workflow"' not in old_page
    assert browser.get(f"/bank/items/{ident}/versions/9").status_code == 404


def logged_in(app, username: str):
    """A separate browser session (the `login` fixture holds one)."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "correct horse battery"})
    assert response.status_code == 302
    return client


def test_workflow_buttons_depend_on_status_and_author(app, make_item, act):
    ident = make_item("teacher1")
    teacher1, teacher2, admin = (logged_in(app, name) for name in ("teacher1", "teacher2", "admin"))
    assert workflow_buttons(teacher1.get(f"/bank/items/{ident}")) == ["submit"]
    act("teacher1", ident, "submit")
    own = teacher1.get(f"/bank/items/{ident}")
    assert workflow_buttons(own) == ["withdraw"]  # never approve one's own item
    assert "Bạn không thể tự duyệt câu hỏi của mình" in text_of(own)
    assert workflow_buttons(teacher2.get(f"/bank/items/{ident}")) == ["approve", "request_changes"]
    assert workflow_buttons(admin.get(f"/bank/items/{ident}")) == ["approve", "request_changes", "withdraw"]
    act("teacher2", ident, "approve")
    assert workflow_buttons(teacher1.get(f"/bank/items/{ident}")) == ["retire"]
    act("teacher1", ident, "retire")
    assert workflow_buttons(teacher1.get(f"/bank/items/{ident}")) == []


# --- review queue ---------------------------------------------------------------------------------

def test_review_queue_shows_other_authors_items(login, make_item, act):
    mine = make_item("teacher1", title="Của giáo viên một")
    theirs = make_item("teacher2", "matching", title="Của giáo viên hai")
    draft = make_item("teacher2", title="Vẫn là nháp")
    act("teacher1", mine, "submit")
    act("teacher2", theirs, "submit")
    client = login("teacher1")
    page = text_of(client.get("/bank/review"))
    queue = page.split('class="review-list"', 1)[1].split("Câu hỏi của bạn đang chờ", 1)[0]
    assert "Của giáo viên hai" in queue and "Của giáo viên một" not in queue and "Vẫn là nháp" not in queue
    assert f'data-item-url="/api/v1/items/{theirs}"' in queue
    assert 'data-action="approve"' in queue and 'data-action="request_changes"' in queue
    assert '<div class="answer-key" data-type="matching">' in queue
    assert "Câu hỏi của bạn đang chờ giáo viên khác duyệt" in page and "Của giáo viên một" in page
    del draft


def test_empty_review_queue(login, users):
    assert "Hiện không có câu hỏi nào cần duyệt." in text_of(login("teacher2").get("/bank/review"))


# --- import and export ----------------------------------------------------------------------------

def test_import_page(login, users):
    page = text_of(login("teacher1").get("/bank/import"))
    assert 'data-import-url="/api/v1/import/qti"' in page
    assert 'data-import-url="/api/v1/import/spreadsheet"' in page
    assert 'accept=".xlsx,.csv"' in page and "Gói QTI" in page and "Bảng tính" in page


def test_export_page_counts_and_links_the_filtered_package(login, bank):
    client = login("teacher1")
    page = client.get("/bank/export", query_string={"subject": "math", "q": "dao ham"}).get_data(as_text=True)
    assert 'data-total="1"' in page
    link = re.search(r'id="export-download" href="([^"]+)"', page).group(1)
    assert unescape(link).startswith("/api/v1/export/qti?")
    assert "subject=math" in unescape(link) and "q=dao+ham" in unescape(link)
    nothing = client.get("/bank/export", query_string={"subject": "chemistry"}).get_data(as_text=True)
    assert 'data-total="0"' in nothing and 'id="export-download"' not in nothing
    listing = client.get("/bank/items", query_string={"grade": "12"}).get_data(as_text=True)
    assert 'href="/api/v1/export/qti?grade=12"' in listing


def test_proctors_land_on_their_rooms_and_see_the_proctoring_link(client, login):
    login("proctor1")
    assert client.get("/").headers["Location"].endswith("/proctor")
    page = client.get("/proctor").get_data(as_text=True)
    assert 'href="/proctor"' in page and "Coi thi" in page and "Ngân hàng câu hỏi" not in page


def test_list_pages_show_their_empty_state(client, login):
    login("proctor1")
    page = client.get("/proctor").get_data(as_text=True)
    assert "Bạn chưa được phân công coi phòng thi nào." in page and "<table" not in page
    login("teacher1")
    page = client.get("/results/exams").get_data(as_text=True)
    assert 'class="empty card"' in page and "<table" not in page
