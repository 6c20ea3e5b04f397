"""The item bank in a real browser: a teacher writes an item of every type in the editor (seeing
the live preview, formulas typeset by KaTeX), saves and submits them; another teacher approves
them in the review queue; search works without diacritics; unsafe HTML is refused with the
server's message and nothing is saved. Runs on SQLite and PostgreSQL (the `app` fixture).
"""
from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
SCREENSHOTS = "/tmp"


@dataclass
class Spec:
    type: str
    title: str
    stem: str
    fill: Callable[[Page], None]
    preview: str         # a selector that exists only once the type's answer part is rendered
    preview_count: int
    preview_text: str    # text of the last field filled: the preview is up to date when it shows it


def tiny_png() -> bytes:
    """A valid 2x2 PNG, made here so that the test needs no file."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + b"\x16\x58\xb8" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))


def fill_rows(page: Page, name: str, texts: list[str]) -> None:
    for i, text in enumerate(texts):
        page.fill(f'input[name="{name}-{i}"]', text)


def single_choice(page: Page) -> None:
    # An image uploaded from the toolbar lands in the stem as <img src="/media/<sha256>.png">.
    page.locator("#e-stem").press("End")
    page.set_input_files("#e-image-file", files=[{"name": "hinh-ve.png", "mimeType": "image/png",
                                                  "buffer": tiny_png()}])
    expect(page.locator("#e-stem")).to_have_value(re.compile(r'<img src="/media/[0-9a-f]{64}\.png" alt="hinh-ve">'))
    fill_rows(page, "option", ["\\(3x^2\\)", "\\(3x^2 - 3\\)", "\\(x^2 - 3\\)", "Không có đáp án"])
    page.check('input[name="correct"][value="B"]')
    expect(page.locator('#preview .item-stem img[src^="/media/"]')).to_have_count(1)


def multiple_response(page: Page) -> None:
    fill_rows(page, "option", ["2", "4", "7", "Chín"])
    page.check('input[name="correct"][value="A"]')
    page.check('input[name="correct"][value="C"]')
    page.select_option('select[name="scoring"]', "partial")


def true_false(page: Page) -> None:
    fill_rows(page, "statement", ["Hàm số đồng biến trên R", "Đồ thị đi qua gốc tọa độ",
                                  "Hàm số có hai cực trị", "Giá trị nhỏ nhất bằng 0"])
    for i, value in enumerate(["false", "true", "true", "false"]):
        page.check(f'input[name="tf-{i}"][value="{value}"]')


def numeric(page: Page) -> None:
    page.fill('input[name="value"]', "1,5")
    page.fill('input[name="tolerance"]', "0,05")
    page.fill('input[name="unit"]', "centimet")


def text_entry(page: Page) -> None:
    page.fill('input[name="accepted-0"]', "Hà Nội")
    page.click('[data-field~="key.accepted"] .row-add button')
    page.fill('input[name="accepted-1"]', "Ha Noi")
    page.select_option('select[name="match"]', "fold")


def extended_text(page: Page) -> None:
    page.fill('input[name="criterion-0"]', "Bố cục rõ ràng")
    page.fill('input[name="points-0"]', "1")
    page.click('[data-field~="key.rubric"] .row-add button')
    page.fill('input[name="criterion-1"]', "Nội dung đầy đủ")
    page.fill('input[name="points-1"]', "3")
    page.fill('input[name="expected_words"]', "400")


def matching(page: Page) -> None:
    fill_rows(page, "source", ["Nam Cao", "Tô Hoài", "Vũ Trọng Phụng"])
    fill_rows(page, "target", ["Vợ chồng A Phủ", "Chí Phèo", "Số đỏ"])
    for i, target in enumerate(["b", "a", "c"]):
        page.select_option(f'select[name="pair-{i}"]', target)


def ordering(page: Page) -> None:
    fill_rows(page, "step", ["Thành lập Đảng 1930", "Cách mạng tháng Tám 1945", "Chiến thắng Điện Biên Phủ 1954"])


SPECS = [
    Spec("single_choice", "Đạo hàm của hàm số bậc ba", "Đạo hàm của hàm số \\(y = x^3 - 3x\\) là", single_choice,
         "#preview .choices input[type=radio]", 4, "Không có đáp án"),
    Spec("multiple_response", "Số nguyên tố nhỏ", "Chọn các số nguyên tố \\(p < 10\\):", multiple_response,
         "#preview .choices input[type=checkbox]", 4, "Chín"),
    Spec("true_false_cluster", "Khảo sát hàm số", "Cho hàm số \\[ y = x^3 - 3x^2 \\] Xét các mệnh đề sau.", true_false,
         "#preview .tf-table input[type=radio]", 8, "Giá trị nhỏ nhất bằng 0"),
    Spec("numeric", "Độ dài cạnh góc vuông", "Tam giác vuông có cạnh \\(a = 2\\). Tính cạnh còn lại.", numeric,
         "#preview input.answer-input.numeric", 1, "centimet"),
    Spec("text_entry", "Thủ đô Việt Nam", "Thủ đô của nước \\(\\text{Việt Nam}\\) là", text_entry,
         "#preview input.answer-input", 1, "Câu trả lời"),
    Spec("extended_text", "Nghị luận Tây Tiến", "Phân tích đoạn thơ (khoảng \\(400\\) chữ).", extended_text,
         "#preview textarea.answer-essay", 1, "400"),
    Spec("matching", "Tác giả và tác phẩm", "Ghép tác giả với tác phẩm \\((1 \\to a)\\).", matching,
         "#preview .match-sources select", 3, "Số đỏ"),
    Spec("ordering", "Mốc lịch sử", "Sắp xếp theo thời gian \\(t_1 < t_2 < t_3\\).", ordering,
         "#preview .order-list li", 3, "Điện Biên Phủ"),
]


@pytest.fixture
def session_for(chromium, live_server):
    """session_for("teacher1") -> a page in a fresh browser session logged in as that user."""
    from tests.conftest import PASSWORD

    contexts = []

    def make(username: str) -> Page:
        context = chromium.new_context(base_url=live_server, viewport={"width": 1360, "height": 950},
                                       locale="vi-VN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
        page.goto("/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('form.login-card button[type="submit"]')
        page.wait_for_url(re.compile(r"/bank/items"))
        return page

    yield make
    for context in contexts:
        context.close()


def api_call(page: Page, method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    """fetch() from the page: the session cookie and the page's CSRF token, as the scripts do."""
    return tuple(page.evaluate(
        """async ([method, url, body]) => {
             const headers = {"Accept": "application/json",
                              "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content};
             if (body !== null) headers["Content-Type"] = "application/json";
             const r = await fetch(url, {method, headers, body: body === null ? undefined : JSON.stringify(body)});
             return [r.status, await r.json()];
           }""", [method, url, body]))


def author(page: Page, spec: Spec, screenshot: bool) -> str:
    page.goto(f"/bank/items/new?type={spec.type}")
    expect(page.locator("#item-editor")).to_have_attribute("data-ready", "true")
    page.fill("#e-title", spec.title)
    page.fill("#e-stem", spec.stem)
    page.select_option("#e-level", "hieu")
    spec.fill(page)
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("data-state", "ok")
    expect(preview).to_contain_text(spec.preview_text)
    expect(page.locator(spec.preview)).to_have_count(spec.preview_count)
    expect(preview.locator(".item-stem .katex").first).to_be_visible()  # the formula, typeset
    if screenshot:
        page.screenshot(path=f"{SCREENSHOTS}/bank-editor-{spec.type}.png", full_page=True)
    page.click("#e-save")
    page.wait_for_url(re.compile(r"/bank/items/item-[0-9a-f]+$"))
    identifier = page.url.rsplit("/", 1)[1]
    # The saved item, rendered by the same renderer, with its formula.
    expect(page.locator(".student-view .item-stem .katex").first).to_be_visible()
    expect(page.locator("h1")).to_have_text(spec.title)
    page.click('button[data-action="submit"]')
    expect(page.locator('.head-meta [data-status="in_review"]')).to_be_visible()
    # Not one's own to approve: no button; withdrawing is offered instead.
    expect(page.locator('button[data-action="approve"]')).to_have_count(0)
    expect(page.locator('button[data-action="request_changes"]')).to_have_count(0)
    expect(page.locator('button[data-action="withdraw"]')).to_have_count(1)
    return identifier


def test_author_every_type_review_and_search(session_for):
    started = time.monotonic()
    teacher1 = session_for("teacher1")
    identifiers = {spec.type: author(teacher1, spec, screenshot=spec.type in ("single_choice", "matching"))
                   for spec in SPECS}

    # The server refuses too, whatever the page shows.
    status, answer = api_call(teacher1, "POST", f"/api/v1/items/{identifiers['numeric']}/approve", {})
    assert status == 403 and answer["error"] == "own_item", answer

    # A script in the stem: the server's refusal is shown next to the stem, what was typed stays,
    # and nothing is stored.
    teacher1.goto("/bank/items/new?type=single_choice")
    expect(teacher1.locator("#item-editor")).to_have_attribute("data-ready", "true")
    teacher1.fill("#e-title", "Câu hỏi có mã độc")
    stem = "Chọn đáp án đúng <script>alert('x')</script>"
    teacher1.fill("#e-stem", stem)
    fill_rows(teacher1, "option", ["Một", "Hai"])
    teacher1.check('input[name="correct"][value="A"]')
    teacher1.click("#e-save")
    banner = teacher1.locator("#editor-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("<script> is not allowed in item text")
    expect(teacher1.locator('[data-field="stem"] .field-error')).to_contain_text("<script> is not allowed")
    assert "/bank/items/new" in teacher1.url
    assert teacher1.input_value("#e-stem") == stem and teacher1.input_value("#e-title") == "Câu hỏi có mã độc"
    status, found = api_call(teacher1, "GET", "/api/v1/items?q=ma+doc")
    assert status == 200 and found["total"] == 0, found
    status, everything = api_call(teacher1, "GET", "/api/v1/items?per_page=100")
    assert everything["total"] == len(SPECS)

    # Searching without diacritics finds the item titled with them.
    teacher1.goto("/bank/items")
    teacher1.fill("#f-q", "dao ham")
    teacher1.press("#f-q", "Enter")
    teacher1.wait_for_url(re.compile(r"q=dao\+ham"))
    rows = teacher1.locator("table.items tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".title-cell a")).to_have_text("Đạo hàm của hàm số bậc ba")
    teacher1.goto("/bank/items")
    expect(teacher1.locator("table.items tbody tr")).to_have_count(len(SPECS))
    teacher1.screenshot(path=f"{SCREENSHOTS}/bank-list.png", full_page=True)

    # The review queue of teacher1 holds none of their own items.
    teacher1.goto("/bank/review")
    expect(teacher1.locator(".review-card")).to_have_count(0)

    # Another teacher approves them all from the review queue.
    teacher2 = session_for("teacher2")
    teacher2.goto("/bank/review")
    cards = teacher2.locator(".review-card")
    expect(cards).to_have_count(len(SPECS))
    expect(cards.first.locator(".student-view .katex").first).to_be_visible()
    teacher2.screenshot(path=f"{SCREENSHOTS}/bank-review.png", full_page=False)
    for identifier in identifiers.values():
        card = teacher2.locator(f'.review-card[data-identifier="{identifier}"]')
        card.locator('button[data-action="approve"]').click()
        expect(card).to_have_class(re.compile(r"\bdone\b"))
    teacher2.goto("/bank/items?status=approved")
    expect(teacher2.locator("table.items tbody tr")).to_have_count(len(SPECS))
    for spec in SPECS:
        status, item = api_call(teacher2, "GET", f"/api/v1/items/{identifiers[spec.type]}")
        assert item["status"] == "approved" and item["type"] == spec.type and item["cognitive_level"] == "hieu"

    # An approved item is edited into a new version; the approved one stays until that is approved.
    single = identifiers["single_choice"]
    teacher1.goto(f"/bank/items/{single}/edit")
    expect(teacher1.locator("#preview")).to_have_attribute("data-state", "ok")  # previewed on load
    stem_text = teacher1.input_value("#e-stem")
    assert stem_text.startswith(SPECS[0].stem) and "<p>" not in stem_text  # plain text, as typed
    assert teacher1.input_value('input[name="option-1"]') == "\\(3x^2 - 3\\)"
    assert teacher1.is_checked('input[name="correct"][value="B"]')
    teacher1.fill('input[name="option-3"]', "Đáp án khác")
    teacher1.fill("#e-comment", "Sửa phương án D")
    expect(teacher1.locator("#preview")).to_contain_text("Đáp án khác")
    teacher1.click("#e-save")
    teacher1.wait_for_url(re.compile(rf"/bank/items/{single}$"))
    expect(teacher1.locator(".head-meta")).to_contain_text("Phiên bản 2")
    expect(teacher1.locator("#versions tbody tr")).to_have_count(2)
    expect(teacher1.locator('#versions [data-status="approved"]')).to_have_count(1)
    expect(teacher1.locator("#audit")).to_contain_text("Sửa phương án D")
    expect(teacher1.locator(".student-view .item-stem img")).to_have_count(1)
    elapsed = time.monotonic() - started
    assert elapsed < 90, f"the browser scenario took {elapsed:.0f} s"


GOOD_CSV = """STT;Loại câu hỏi;Nội dung;Phương án A;Phương án B;Phương án C;Phương án D;Đáp án;Môn;Lớp;Mức độ;Tiêu đề
1;Trắc nghiệm;Giá trị của \\(2^3\\) là;6;8;9;12;B;Toán;6;Nhận biết;Lũy thừa nhập từ bảng tính
2;Điền từ;Thủ đô của Việt Nam là ....;;;;;Hà Nội | Ha Noi;Địa lí;5;Nhận biết;Thủ đô nhập từ bảng tính
"""
BAD_CSV = GOOD_CSV.replace(";B;Toán;6;Nhận biết;", ";Z;Toán;6;Nhận biết;")


def test_import_spreadsheet_and_export(session_for, tmp_path):
    page = session_for("teacher1")
    page.goto("/bank/import")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    bad = tmp_path / "cau-hoi-loi.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    page.set_input_files("#sheet-file", str(bad))
    page.click('#import-sheet button[type="submit"]')
    report = page.locator("#import-report")
    expect(report).to_be_visible()
    expect(report.locator('[data-count="errors"] strong')).not_to_have_text("0")
    expect(report.locator('[data-count="imported"] strong')).to_have_text("0")
    expect(report.locator(".report-errors tbody tr").first).to_contain_text("cau-hoi-loi.csv")
    expect(report.locator(".report-errors tbody tr").first.locator("td.num")).to_have_text("2")  # the sheet's row

    good = tmp_path / "cau-hoi.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    page.set_input_files("#sheet-file", str(good))
    page.click('#import-sheet button[type="submit"]')
    expect(report.locator('[data-count="imported"] strong')).to_have_text("2")
    expect(report.locator('[data-count="errors"] strong')).to_have_text("0")
    expect(report.locator(".imported-list a")).to_have_count(2)
    page.screenshot(path=f"{SCREENSHOTS}/bank-import.png", full_page=True)
    report.locator(".imported-list a").first.click()
    expect(page.locator(".head-meta [data-status='draft']")).to_be_visible()

    # Export what the filters choose: the page counts, the link downloads a QTI package.
    page.goto("/bank/export?q=nhap+tu+bang+tinh")
    expect(page.locator(".result-count")).to_have_attribute("data-total", "2")
    with page.expect_download() as download:
        page.click("#export-download")
    path = download.value.path()
    with open(path, "rb") as f:
        assert f.read(2) == b"PK"  # a zip


def test_renderer_responses_are_what_the_server_accepts(chromium):
    """static/js/item-render.js is the student page's renderer too: for every type, what it
    reports as the response is what the type's check_response accepts, and a right answer
    scores full marks. No server: the page and the module are served from the files."""
    from pathlib import Path
    from urllib.parse import urlparse

    import exam_server
    from item_bank import types as item_types
    from item_bank.serialize import item_from_dict
    from tests.server.test_pages import SAMPLES, item_json

    static = Path(exam_server.__file__).parent / "static"
    context = chromium.new_context()

    def serve(route):
        path = urlparse(route.request.url).path
        if path == "/":
            route.fulfill(body="<!doctype html><meta charset=utf-8><body></body>", content_type="text/html")
        else:
            route.fulfill(path=str(static / path.removeprefix("/static/")))

    context.route("http://renderer.test/**", serve)
    page = context.new_page()
    page.goto("http://renderer.test/")
    items = {t: item_types.validate_item(item_from_dict(item_json(t))) for t in SAMPLES}
    views = {t: item_types.student_view(item) for t, item in items.items()}
    unanswered = page.evaluate("""async (views) => {
        const { renderItem } = await import("/static/js/item-render.js");
        window.answers = {};
        const out = {};
        for (const [type, view] of Object.entries(views)) {
          const box = document.createElement("section");
          box.id = `play-${type}`;
          document.body.append(box);
          window.answers[type] = renderItem(box, view, { interactive: true });
          out[type] = window.answers[type].getResponse();
        }
        return out;
      }""", views)
    assert unanswered == {t: None for t in SAMPLES}

    def box(item_type: str) -> str:
        return f"#play-{item_type}"

    page.check(f'{box("single_choice")} input[value="B"]')
    page.check(f'{box("multiple_response")} input[value="A"]')
    page.check(f'{box("multiple_response")} input[value="C"]')
    for row, value in enumerate(["true", "false", "true", "false"], start=1):
        page.check(f'{box("true_false_cluster")} tbody tr:nth-child({row}) input[value="{value}"]')
    page.fill(f'{box("numeric")} input', "1,52")
    page.fill(f'{box("text_entry")} input', "ha noi")
    page.fill(f'{box("extended_text")} textarea', "Tây Tiến là bài thơ của Quang Dũng.")
    page.select_option(f'{box("matching")} .match-sources li:nth-child(1) select', "b")
    page.select_option(f'{box("matching")} .match-sources li:nth-child(2) select', "a")
    for _ in range(2):  # 1945, 1954, 1930 -> 1930, 1945, 1954
        page.click(f'{box("ordering")} li[data-id="c"] [data-up]')

    responses = page.evaluate("() => Object.fromEntries(Object.entries(window.answers).map(([t, a]) => [t, a.getResponse()]))")
    assert responses == {
        "single_choice": "B", "multiple_response": ["A", "C"],
        "true_false_cluster": {"a": True, "b": False, "c": True, "d": False},
        "numeric": "1,52", "text_entry": "ha noi", "extended_text": "Tây Tiến là bài thơ của Quang Dũng.",
        "matching": {"1": "b", "2": "a"}, "ordering": ["c", "a", "b"],
    }
    for item_type, response in responses.items():
        result = item_types.score(items[item_type], response)
        if item_type == "extended_text":
            assert result.needs_manual
        else:
            assert result.fraction == 1.0, item_type

    # An earlier answer is shown again (a reload during the exam), and time up locks the answer.
    restored = page.evaluate("""async (args) => {
        const { renderItem } = await import("/static/js/item-render.js");
        const out = {};
        for (const [type, view] of Object.entries(args.views)) {
          const box = document.createElement("section");
          document.body.append(box);
          const answer = renderItem(box, view, { response: args.responses[type] });
          out[type] = answer.getResponse();
          answer.setInteractive(false);
          out[type + ":locked"] = [...box.querySelectorAll("input, select, textarea")].every((c) => c.disabled);
        }
        return out;
      }""", {"views": views, "responses": responses})
    for item_type, response in responses.items():
        assert restored[item_type] == response, item_type
        assert restored[f"{item_type}:locked"], item_type
    context.close()
