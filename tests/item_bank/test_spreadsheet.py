"""Bulk import from .xlsx/.csv (item_bank.spreadsheet), against the real item types."""
from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank import spreadsheet
from item_bank.model import CognitiveLevel
from item_bank.spreadsheet import SheetReport, SpreadsheetError, parse_spreadsheet, to_html
from item_bank.types import score

HEADERS = ["STT", "Loại câu hỏi", "Nội dung", "Phương án A", "Phương án B", "Phương án C", "Phương án D",
           "Mệnh đề a", "Mệnh đề b", "Mệnh đề c", "Mệnh đề d", "Đáp án", "Môn", "Lớp", "Chủ đề",
           "Yêu cầu cần đạt", "Mức độ", "Độ khó", "Thẻ", "Tác giả", "Nguồn", "Ngôn ngữ", "Sai số",
           "Đơn vị", "Cách chấm", "Mã", "Tiêu đề"]

MATH = {"Môn": "Toán", "Lớp": "12", "Chủ đề": "Đạo hàm", "Yêu cầu cần đạt": "Tính được đạo hàm",
        "Tác giả": "Nguyễn Thị Lan", "Nguồn": "Tự soạn"}

# One row per item type, as a teacher would type them.
EVERY_TYPE = [
    {**MATH, "Loại câu hỏi": "Trắc nghiệm", "Nội dung": r"Đạo hàm của hàm số \(y = x^3\) là",
     "Phương án A": r"\(3x^2\)", "Phương án B": r"\(x^2\)", "Phương án C": r"\(3x\)",
     "Phương án D": r"\(\frac{x^4}{4}\)", "Đáp án": "A", "Mức độ": "Nhận biết", "Độ khó": "0,2",
     "Thẻ": "đạo hàm, lớp 12"},
    {**MATH, "Loại câu hỏi": "Nhiều đáp án", "Nội dung": "Những hàm số nào đồng biến trên ℝ?",
     "Phương án A": r"\(y = x^3\)", "Phương án B": r"\(y = -x\)", "Phương án C": r"\(y = e^x\)",
     "Phương án D": r"\(y = x^2\)", "Đáp án": "A, C", "Cách chấm": "Từng phần", "Mức độ": "Thông hiểu"},
    {**MATH, "Loại câu hỏi": "Đúng sai", "Nội dung": r"Cho hàm số \(f(x) = x^2 - 4x + 3\).",
     "Mệnh đề a": r"\(f(1) = 0\)", "Mệnh đề b": r"\(f'(x) = 2x - 4\)",
     "Mệnh đề c": "Hàm số đồng biến trên ℝ", "Mệnh đề d": r"\(f(x) > 0\) với mọi \(x > 3\)",
     "Đáp án": "Đ Đ S Đ", "Mức độ": "Thông hiểu"},
    {**MATH, "Loại câu hỏi": "Trả lời ngắn", "Nội dung": r"Tính \(\int_0^1 3x^2\,dx\).",
     "Đáp án": "1", "Sai số": "0,01", "Mức độ": "Vận dụng"},
    {**MATH, "Loại câu hỏi": "Điền từ", "Nội dung": "Thủ đô của Việt Nam là ....",
     "Môn": "Địa lí", "Lớp": "5", "Đáp án": "Hà Nội | Ha Noi"},
    {**MATH, "Loại câu hỏi": "Tự luận", "Nội dung": "Trình bày cách tìm cực trị của hàm số.",
     "Đáp án": "Nêu đúng các bước | 2 | Tính y', giải y' = 0, lập bảng biến thiên\nVí dụ | 1 điểm",
     "Mức độ": "Vận dụng cao"},
    {**MATH, "Loại câu hỏi": "Ghép nối", "Nội dung": "Nối mỗi hàm số với đạo hàm của nó.",
     "Phương án A": r"\(\sin x\) | \(\cos x\)", "Phương án B": r"\(\cos x\) | \(-\sin x\)",
     "Phương án C": r"\(e^x\) | \(e^x\)", "Phương án D": r"| \(\tan x\)"},
    {**MATH, "Loại câu hỏi": "Sắp xếp", "Nội dung": "Sắp xếp các bước khảo sát hàm số.",
     "Phương án A": "Lập bảng biến thiên", "Phương án B": "Tìm tập xác định",
     "Phương án C": "Tính đạo hàm", "Đáp án": "B C A"},
]


def table(rows: list[dict], headers: list[str] = HEADERS) -> list[list[str]]:
    return [list(headers)] + [[str(i + 1)] + [row.get(h, "") for h in headers[1:]]
                              for i, row in enumerate(rows)]


def xlsx(rows: list[list], title_rows: int = 0) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(title_rows):
        ws.append([f"ĐỀ KIỂM TRA {i}"])
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def by_type(report: SheetReport) -> dict:
    return {item.content.type: item for item in report.items}


def check_every_type(report: SheetReport) -> None:
    assert report.ok, report.errors
    items = by_type(report)
    assert sorted(items) == sorted(["single_choice", "multiple_response", "true_false_cluster", "numeric",
                                    "text_entry", "extended_text", "matching", "ordering"])
    sc = items["single_choice"]
    assert sc.content.stem == r"<p>Đạo hàm của hàm số \(y = x^3\) là</p>"
    assert [o["id"] for o in sc.content.body["options"]] == ["A", "B", "C", "D"]
    assert sc.content.body["options"][3]["html"] == r"<p>\(\frac{x^4}{4}\)</p>"
    assert sc.content.body["shuffle"] is True
    assert sc.content.key == {"correct": "A"}
    assert sc.metadata.subject == "math" and sc.metadata.grade == 12
    assert sc.metadata.cognitive_level is CognitiveLevel.BIET
    assert sc.metadata.difficulty == pytest.approx(0.2)
    assert sc.metadata.tags == ["đạo hàm", "lớp 12"]
    assert sc.metadata.topic == "Đạo hàm" and sc.metadata.learning_outcome == "Tính được đạo hàm"
    assert sc.metadata.author == "Nguyễn Thị Lan" and sc.metadata.source == "Tự soạn"
    assert sc.metadata.language == "vi"
    assert sc.title == r"Đạo hàm của hàm số \(y = x^3\) là"
    assert score(sc, "A").fraction == 1.0 and score(sc, "B").fraction == 0.0

    mr = items["multiple_response"]
    assert mr.content.key == {"correct": ["A", "C"], "scoring": "partial"}
    assert mr.metadata.cognitive_level is CognitiveLevel.HIEU
    assert score(mr, ["A", "C"]).fraction == 1.0

    tf = items["true_false_cluster"]
    assert [s["id"] for s in tf.content.body["statements"]] == ["a", "b", "c", "d"]
    assert tf.content.key == {"values": {"a": True, "b": True, "c": False, "d": True}}
    assert score(tf, {"a": True, "b": True, "c": False, "d": True}).fraction == 1.0

    num = items["numeric"]
    assert num.content.key == {"value": 1, "tolerance": 0.01, "tolerance_mode": "absolute"}
    assert num.metadata.cognitive_level is CognitiveLevel.VAN_DUNG
    assert score(num, "1,005").fraction == 1.0 and score(num, "1,1").fraction == 0.0

    te = items["text_entry"]
    assert te.content.key == {"accepted": ["Hà Nội", "Ha Noi"], "match": "normalised"}
    assert te.metadata.subject == "geography" and te.metadata.grade == 5
    assert score(te, "hà nội").fraction == 1.0

    et = items["extended_text"]
    assert et.content.key["rubric"] == [
        {"criterion": "Nêu đúng các bước", "max_points": 2,
         "description": "Tính y', giải y' = 0, lập bảng biến thiên"},
        {"criterion": "Ví dụ", "max_points": 1, "description": ""}]
    assert et.metadata.cognitive_level is CognitiveLevel.VAN_DUNG_CAO

    mt = items["matching"]
    assert [s["id"] for s in mt.content.body["sources"]] == ["A", "B", "C"]
    targets = {t["id"]: t["html"] for t in mt.content.body["targets"]}
    assert len(targets) == 4                        # the distractor tan x is a target too
    shown = {src: targets[tgt] for src, tgt in mt.content.key["pairs"].items()}
    assert shown == {"A": r"<p>\(\cos x\)</p>", "B": r"<p>\(-\sin x\)</p>", "C": r"<p>\(e^x\)</p>"}
    assert score(mt, mt.content.key["pairs"]).fraction == 1.0

    od = items["ordering"]
    assert od.content.key["order"] == ["B", "C", "A"]
    assert score(od, ["B", "C", "A"]).fraction == 1.0


def test_xlsx_with_vietnamese_headers_every_type():
    check_every_type(parse_spreadsheet(xlsx(table(EVERY_TYPE)), "ngan-hang.xlsx"))


def test_csv_utf8_comma_every_type():
    check_every_type(parse_spreadsheet(csv_bytes(table(EVERY_TYPE)), "ngan-hang.csv"))


def test_csv_with_bom_and_semicolons_as_vietnamese_excel_writes_them():
    data = csv_bytes(table(EVERY_TYPE), delimiter=";", bom=True)
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data.splitlines()[0]
    report = parse_spreadsheet(data, "ngan-hang.csv")
    check_every_type(report)
    # Same cells, same items, whatever the file format: the identifiers come from the content.
    from_xlsx = parse_spreadsheet(xlsx(table(EVERY_TYPE)), "ngan-hang.xlsx")
    assert [i.identifier for i in report.items] == [i.identifier for i in from_xlsx.items]
    assert report.items == from_xlsx.items


def test_csv_with_excel_sep_hint_line():
    data = b"sep=;\r\n" + csv_bytes(table(EVERY_TYPE[:1]), delimiter=";")
    report = parse_spreadsheet(data, "x.csv")
    assert report.ok and len(report.items) == 1


def test_tab_separated_utf16_unicode_text():
    text = "\r\n".join("\t".join(r) for r in table(EVERY_TYPE[:2]))
    report = parse_spreadsheet(text.encode("utf-16"), "x.txt")
    assert report.ok, report.errors
    assert len(report.items) == 2


def test_english_headers_case_and_diacritics_ignored():
    headers = ["TYPE", "Stem", "option a", "OPTION B", "Key", "subject", "Grade", "Level", "difficulty",
               "tags", "Learning Outcome", "language"]
    rows = [headers,
            ["single_choice", "Choose the word that is stressed on the first syllable.", "begin",
             "happy", "B", "english", "12", "hieu", "0.5", "phonetics", "Identify word stress", "en"],
            ["single choice", "She ____ to school every day.", "go", "goes", "b", "Tiếng Anh", "Lớp 12",
             "TH", "", "", "", ""]]
    report = parse_spreadsheet(csv_bytes(rows), "english.csv")
    assert report.ok, report.errors
    first, second = report.items
    assert first.metadata.subject == "english" and first.metadata.language == "en"
    assert first.metadata.learning_outcome == "Identify word stress"
    assert first.content.key == {"correct": "B"}
    # No language given: English for the English subject.
    assert second.metadata.language == "en" and second.metadata.grade == 12
    assert second.content.key == {"correct": "B"}

    unaccented = ["LOAI CAU HOI", "noi dung", "phuong an a", "Phuong An B", "dap an", "MON", "lop"]
    report = parse_spreadsheet(csv_bytes([unaccented, ["trac nghiem", "1 + 1 = ?", "2", "3", "A",
                                                       "toan", "1"]]), "x.csv")
    assert report.ok, report.errors
    assert report.items[0].metadata.subject == "math"


def test_errors_are_reported_per_row_with_sheet_row_numbers():
    good = EVERY_TYPE[0]
    rows = [
        good,
        {**good, "Đáp án": ""},                                              # missing key
        {**good, "Mức độ": "Khó"},                                           # bad level
        {**EVERY_TYPE[2], "Mệnh đề d": ""},                                  # 3 statements
        {**good, "Loại câu hỏi": "Trắc nghiệm khách quan"},                  # unknown type
        {**good, "Lớp": "13"},                                               # bad grade
        {**good, "Lớp": "mười"},                                             # bad grade
        {**good, "Phương án B": r"\(\frac{1}\)"},                            # refused by the type
        EVERY_TYPE[3],
    ]
    data = xlsx(table(rows), title_rows=2)           # header on row 3, items from row 4
    report = parse_spreadsheet(data, "de.xlsx")
    assert not report.ok
    assert [(e["row"], e["field"]) for e in report.errors] == [
        (5, "Đáp án"), (6, "Mức độ"), (7, "Mệnh đề a"), (8, "Loại câu hỏi"), (9, "Lớp"), (10, "Lớp"),
        (11, "Phương án B")]
    reasons = {e["row"]: e["reason"] for e in report.errors}
    assert "empty" in reasons[5]
    assert "Khó" in reasons[6]
    assert "exactly 4 statements" in reasons[7] and "3" in reasons[7]
    assert "Trắc nghiệm khách quan" in reasons[8]
    assert "13" in reasons[9]
    assert "Formula" in reasons[11]
    # The good rows are still parsed; the caller imports nothing because report.ok is False.
    assert [i.content.type for i in report.items] == ["single_choice", "numeric"]


def test_several_problems_of_one_row_are_all_reported():
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], "Lớp": "0", "Môn": "Thiên văn",
                                                  "Đáp án": "Z"}])), "x.csv")
    assert {e["field"] for e in report.errors} == {"Lớp", "Môn", "Đáp án"}
    assert {e["row"] for e in report.errors} == {2}
    assert report.items == []


@pytest.mark.parametrize("cells, field, needle", [
    ({"Đáp án": "A, C"}, "Đáp án", "exactly one"),
    ({"Phương án D": "", "Đáp án": "D"}, "Đáp án", "option D"),
    ({"Phương án B": ""}, "Phương án B", "empty but a later"),
    ({"Sai số": "0,1"}, "Sai số", "not used by this question type"),
    ({"Độ khó": "1,5"}, "Độ khó", "0 (easy) to 1"),
    ({"Ngôn ngữ": "fr"}, "Ngôn ngữ", "fr"),
    ({"Nội dung": ""}, "Nội dung", "empty"),
    ({"Mã": "câu 1"}, "Mã", "identifier"),
])
def test_single_choice_row_errors(cells, field, needle):
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], **cells}])), "x.csv")
    assert [e["field"] for e in report.errors] == [field]
    assert needle in report.errors[0]["reason"]
    assert report.errors[0]["row"] == 2


@pytest.mark.parametrize("key", ["Đ S Đ S", "ĐSĐS", "DSDS", "dsds", "TFTF", "T F T F", "Đúng, Sai, Đúng, Sai",
                                 "a) Đ; b) S; c) Đ; d) S", "a. Đúng b. Sai c. Đúng d. Sai",
                                 "d) S; c) Đ; b) S; a) Đ", "D-S-D-S", "1 0 1 0", "True False True False"])
def test_true_false_key_formats(key):
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[2], "Đáp án": key}])), "x.csv")
    assert report.ok, report.errors
    assert report.items[0].content.key == {"values": {"a": True, "b": False, "c": True, "d": False}}


@pytest.mark.parametrize("key", ["ĐSĐ", "ĐSĐSĐ", "XYZW", "a) Đ; b) S; c) Đ", "", "a) Đ; a) S; c) Đ; d) S"])
def test_bad_true_false_keys(key):
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[2], "Đáp án": key}])), "x.csv")
    assert [e["field"] for e in report.errors] == ["Đáp án"]


def test_true_false_statements_may_sit_in_the_option_columns():
    row = {**MATH, "Loại câu hỏi": "Đúng/Sai", "Nội dung": "Xét các mệnh đề.", "Phương án A": "1 > 0",
           "Phương án B": "2 < 1", "Phương án C": "3 = 3", "Phương án D": "4 ≠ 4", "Đáp án": "ĐSĐS"}
    report = parse_spreadsheet(csv_bytes(table([row])), "x.csv")
    assert report.ok, report.errors
    body = report.items[0].content.body
    assert [(s["id"], s["html"]) for s in body["statements"]] == [
        ("a", "<p>1 &gt; 0</p>"), ("b", "<p>2 &lt; 1</p>"), ("c", "<p>3 = 3</p>"), ("d", "<p>4 ≠ 4</p>")]


def test_blank_rows_are_skipped_and_row_numbers_stay_the_sheet_rows():
    rows = table([EVERY_TYPE[0], {"Lớp": "   "}, EVERY_TYPE[3], {**EVERY_TYPE[0], "Lớp": "15"}])
    rows.insert(2, [""] * len(HEADERS))
    rows.insert(2, ["99"] + [""] * (len(HEADERS) - 1))      # only an STT number: still blank
    report = parse_spreadsheet(xlsx(rows), "x.xlsx")
    assert [i.content.type for i in report.items] == ["single_choice", "numeric"]
    assert report.errors == [{"row": 7, "field": "Lớp", "reason": "the grade must be from 1 to 12, not 15"}]


def test_to_html_escapes_text_and_keeps_latex():
    assert to_html("<b>x</b> & y") == "<p>&lt;b&gt;x&lt;/b&gt; &amp; y</p>"
    assert to_html(r"Nếu \(a < b\) thì \[a^2 \ne b^2\]") == r"<p>Nếu \(a &lt; b\) thì \[a^2 \ne b^2\]</p>"
    assert to_html("dòng 1\ndòng 2\n\nđoạn 2") == "<p>dòng 1<br>dòng 2</p><p>đoạn 2</p>"
    # Line breaks inside a formula stay line breaks: a formula cannot span tags.
    assert to_html("Giải:\n\\[\\begin{cases} x = 1 \\\\\n y = 2 \\end{cases}\\]") == (
        "<p>Giải:<br>\\[\\begin{cases} x = 1 \\\\\n y = 2 \\end{cases}\\]</p>")


def test_cells_with_markup_are_text_not_html():
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0],
                                                  "Nội dung": "<script>alert(1)</script> chọn?"}])), "x.csv")
    assert report.ok, report.errors
    assert "&lt;script&gt;" in report.items[0].content.stem
    assert "<script" not in report.items[0].content.stem


def test_identifiers_deterministic_from_content_or_from_the_column():
    data = csv_bytes(table(EVERY_TYPE))
    first = [i.identifier for i in parse_spreadsheet(data, "a.csv").items]
    again = [i.identifier for i in parse_spreadsheet(data, "b.csv").items]
    assert first == again and len(set(first)) == len(first)
    assert all(i.startswith("item-") for i in first)
    changed = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], "Đáp án": "B"}])), "a.csv")
    assert changed.items[0].identifier != first[0]

    named = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], "Mã": "toan12-dao-ham-01"}])), "a.csv")
    assert named.items[0].identifier == "toan12-dao-ham-01"


def test_duplicate_rows_and_identifiers_are_errors():
    report = parse_spreadsheet(csv_bytes(table([EVERY_TYPE[0], EVERY_TYPE[3], EVERY_TYPE[0]])), "x.csv")
    assert [(e["row"], e["field"]) for e in report.errors] == [(4, "Mã")]
    assert "row 2" in report.errors[0]["reason"] and "same content" in report.errors[0]["reason"]

    rows = [{**EVERY_TYPE[0], "Mã": "q1"}, {**EVERY_TYPE[3], "Mã": "q1"}]
    report = parse_spreadsheet(csv_bytes(table(rows)), "x.csv")
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "Mã")]


def test_title_from_column_or_from_the_stem():
    long_stem = "Cho hàm số " + "rất " * 40 + "dài."
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], "Nội dung": long_stem},
                                                {**EVERY_TYPE[3], "Tiêu đề": "Tích phân cơ bản"}])), "x.csv")
    assert report.ok, report.errors
    title = report.items[0].title
    assert len(title) <= 80 and title.endswith("…") and title.startswith("Cho hàm số rất")
    assert report.items[1].title == "Tích phân cơ bản"


def test_defaults_fill_missing_columns_and_blank_cells():
    headers = ["Loại câu hỏi", "Nội dung", "Phương án A", "Phương án B", "Đáp án", "Lớp", "Mức độ"]
    rows = [headers, ["Trắc nghiệm", "2 + 2 = ?", "4", "5", "A", "", "VD"],
            ["Trắc nghiệm", "3 + 3 = ?", "6", "7", "A", "7", ""]]
    report = parse_spreadsheet(csv_bytes(rows), "x.csv",
                               defaults={"subject": "Toán", "grade": 6, "author": "Lan", "tags": ["nhập"]})
    assert report.ok, report.errors
    a, b = report.items
    assert (a.metadata.subject, a.metadata.grade, a.metadata.author, a.metadata.tags) == ("math", 6, "Lan",
                                                                                          ["nhập"])
    assert a.metadata.cognitive_level is CognitiveLevel.VAN_DUNG
    assert b.metadata.grade == 7 and b.metadata.cognitive_level is CognitiveLevel.BIET

    report = parse_spreadsheet(csv_bytes(rows), "x.csv")        # no subject column, no default
    assert report.errors[0] == {"row": 1, "field": "subject", "reason": report.errors[0]["reason"]}
    assert "Môn" in report.errors[0]["reason"]
    assert report.items == [] and len(report.errors) == 2       # the header once, and row 2's grade
    assert report.errors[1]["row"] == 2 and report.errors[1]["field"] == "Lớp"

    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(csv_bytes(rows), "x.csv", defaults={"subject": "Thiên văn"})
    assert err.value.code == "bad_default"
    with pytest.raises(SpreadsheetError):
        parse_spreadsheet(csv_bytes(rows), "x.csv", defaults={"colour": "red"})


@pytest.mark.parametrize("name, code", [
    ("Toán", "math"), ("Vật lí", "physics"), ("Vật lý", "physics"), ("Hóa học", "chemistry"),
    ("Hoá học", "chemistry"), ("Sinh học", "biology"), ("Ngữ văn", "literature"), ("Tiếng Anh", "english"),
    ("Lịch sử", "history"), ("Địa lí", "geography"), ("Địa lý", "geography"), ("Tin học", "informatics"),
    ("GDCD", "civics"), ("Giáo dục công dân", "civics"), ("Công nghệ", "technology"), ("physics", "physics"),
    ("VẬT LÝ", "physics"),
])
def test_vietnamese_subject_names(name, code):
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], "Môn": name}])), "x.csv")
    assert report.ok, report.errors
    assert report.items[0].metadata.subject == code


@pytest.mark.parametrize("name, level", [
    ("Nhận biết", "biet"), ("Thông hiểu", "hieu"), ("Vận dụng", "van_dung"), ("Vận dụng cao", "van_dung_cao"),
    ("biet", "biet"), ("van_dung_cao", "van_dung_cao"), ("VDC", "van_dung_cao"), ("nhan biet", "biet"),
])
def test_cognitive_levels(name, level):
    report = parse_spreadsheet(csv_bytes(table([{**EVERY_TYPE[0], "Mức độ": name}])), "x.csv")
    assert report.ok, report.errors
    assert report.items[0].metadata.cognitive_level.value == level


@pytest.mark.parametrize("name, code", [
    ("Trắc nghiệm", "single_choice"), ("Nhiều lựa chọn", "single_choice"), ("Nhiều đáp án", "multiple_response"),
    ("Đúng sai", "true_false_cluster"), ("Trả lời ngắn", "numeric"), ("Điền từ", "text_entry"),
    ("Tự luận", "extended_text"), ("Ghép nối", "matching"), ("Sắp xếp", "ordering"),
    ("single_choice", "single_choice"), ("TRẮC NGHIỆM", "single_choice"),
])
def test_type_names(name, code):
    assert spreadsheet._TYPE_LOOKUP[spreadsheet._word_key(name)] == code


def test_numeric_answers_as_teachers_write_them():
    headers = ["Loại câu hỏi", "Nội dung", "Đáp án", "Sai số", "Đơn vị", "Số ký tự tối đa", "Môn", "Lớp"]
    rows = [headers,
            ["Trả lời ngắn", "Chu kì dao động?", "0,5", "", "s", "4", "Vật lí", "12"],
            ["Trả lời ngắn", "Tần số?", "−2,25", "5%", "Hz", "", "Vật lí", "12"],
            ["Trả lời ngắn", "Giá trị?", "1.234,5", "", "", "", "Vật lí", "12"],
            ["Trả lời ngắn", "Giá trị?", "abc", "", "", "", "Vật lí", "12"],
            ["Trả lời ngắn", "Giá trị?", "1", "-0,1", "", "", "Vật lí", "12"]]
    report = parse_spreadsheet(csv_bytes(rows, delimiter=";"), "x.csv")
    a, b = report.items
    assert a.content.key == {"value": 0.5, "tolerance": 0, "tolerance_mode": "absolute"}
    assert a.content.body == {"unit": "s", "max_chars": 4}
    assert score(a, "0,5").fraction == 1.0
    assert b.content.key == {"value": -2.25, "tolerance": 0.05, "tolerance_mode": "relative"}
    assert score(b, "-2,3").fraction == 1.0 and score(b, "-2,4").fraction == 0.0
    assert [(e["row"], e["field"]) for e in report.errors] == [(4, "Đáp án"), (5, "Đáp án"), (6, "Sai số")]


def test_xlsx_number_cells_percent_tolerance_and_dates():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Loại câu hỏi", "Nội dung", "Đáp án", "Sai số", "Môn", "Lớp", "Độ khó"])
    ws.append(["Trả lời ngắn", "g = ?", 9.8, 0.01, "Vật lí", 12, 0.4])
    ws.append(["Trả lời ngắn", "g = ?", 9.81, 0.02, "Vật lí", 12.0, None])
    ws["D3"].number_format = "0%"                           # typed as 2% in Excel
    ws.append(["Trả lời ngắn", "1/2 = ?", datetime.datetime(2025, 2, 1), None, "Toán", 12, None])
    out = io.BytesIO()
    wb.save(out)
    report = parse_spreadsheet(out.getvalue(), "x.xlsx")
    a, b = report.items
    assert a.content.key == {"value": 9.8, "tolerance": 0.01, "tolerance_mode": "absolute"}
    assert a.metadata.grade == 12 and a.metadata.difficulty == pytest.approx(0.4)
    assert b.content.key == {"value": 9.81, "tolerance": 0.02, "tolerance_mode": "relative"}
    assert report.errors == [{"row": 4, "field": "Đáp án", "reason": report.errors[0]["reason"]}]
    assert "date" in report.errors[0]["reason"]


def test_header_problems():
    headers = ["STT", "#", "Loại câu hỏi", "Nội dung", "Lời giải", "Đáp án", "Môn", "Lớp", "Ghi chú"]
    rows = [headers, ["1", "", "Trả lời ngắn", "1 + 1 = ?", "Cộng lại", "2", "Toán", "1", "dễ"]]
    report = parse_spreadsheet(csv_bytes(rows), "x.csv")
    assert report.errors == [{"row": 1, "field": "Lời giải", "reason": report.errors[0]["reason"]}]
    assert "unknown column" in report.errors[0]["reason"]
    assert len(report.items) == 1          # STT, # and Ghi chú are the teacher's own columns

    rows = [["Loại câu hỏi", "Nội dung", "Đáp án", "Answer", "Môn", "Lớp"],
            ["Trả lời ngắn", "1 + 1 = ?", "2", "2", "Toán", "1"]]
    report = parse_spreadsheet(csv_bytes(rows), "x.csv")
    assert report.errors[0]["row"] == 1 and "repeats" in report.errors[0]["reason"]

    rows = [["Loại câu hỏi", "Nội dung", "Đáp án", "", "Môn", "Lớp"],
            ["Trả lời ngắn", "1 + 1 = ?", "2", "lost?", "Toán", "1"],
            ["", "", "", "lost too", "", ""]]
    report = parse_spreadsheet(csv_bytes(rows), "x.csv")
    assert [(e["row"], e["field"]) for e in report.errors] == [(2, None), (3, None)]
    assert "column D" in report.errors[0]["reason"]


def test_options_of_other_types_are_refused():
    row = {**EVERY_TYPE[3], "Phương án A": "1", "Phương án B": "2"}
    report = parse_spreadsheet(csv_bytes(table([row])), "x.csv")
    assert [e["field"] for e in report.errors] == ["Phương án A", "Phương án B"]


def test_matching_and_ordering_details():
    rows = [{**MATH, "Loại câu hỏi": "Ghép nối", "Nội dung": "Nối.", "Phương án A": r"\(|x|\) | giá trị tuyệt đối",
             "Phương án B": "x | y | z"},
            {**MATH, "Loại câu hỏi": "Ghép nối", "Nội dung": "Nối.", "Phương án A": "a | 1",
             "Phương án B": "b | 2", "Đáp án": "A-1, B-2"},
            {**MATH, "Loại câu hỏi": "Sắp xếp", "Nội dung": "Xếp.", "Phương án A": "1", "Phương án B": "2",
             "Phương án C": "3", "Đáp án": "A B"}]
    report = parse_spreadsheet(csv_bytes(table(rows)), "x.csv")
    assert [(e["row"], e["field"]) for e in report.errors] == [(2, "Phương án B"), (3, "Đáp án"), (4, "Đáp án")]


def test_shuffle_column():
    headers = HEADERS + ["Trộn phương án"]
    rows = table([{**EVERY_TYPE[0], "Trộn phương án": "Không"}, {**EVERY_TYPE[0], "Đáp án": "B",
                                                                 "Trộn phương án": "có"}], headers)
    report = parse_spreadsheet(csv_bytes(rows), "x.csv")
    assert report.ok, report.errors
    assert [i.content.body["shuffle"] for i in report.items] == [False, True]


def test_text_entry_match_modes():
    headers = ["Loại câu hỏi", "Nội dung", "Đáp án", "Cách so khớp", "Môn", "Lớp"]
    rows = [headers, ["Điền từ", "Thủ đô?", "Hà Nội", "Bỏ dấu", "Địa lí", "5"],
            ["Điền từ", "Thủ đô?", "Hà Nội", "Chính xác", "Địa lí", "5"]]
    report = parse_spreadsheet(csv_bytes(rows), "x.csv")
    assert [i.content.key["match"] for i in report.items] == ["fold", "exact"]
    assert score(report.items[0], "ha noi").fraction == 1.0
    assert score(report.items[1], "hà nội").fraction == 0.0


@pytest.mark.parametrize("data, filename, code", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "anh.png", "not_spreadsheet"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "de.pdf", "not_spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "de.xls", "old_xls"),
    (b"", "de.csv", "empty"),
    (b"Lo\xe1i c\xe2u h\xf4i,N\xf4i dung\n", "de.csv", "encoding"),   # Excel's ANSI (cp1258) CSV
    (b"Dear teacher,\nhere are my questions.\n", "de.csv", "no_header"),
    (b"not a zip at all", "de.xlsx", "not_spreadsheet"),
])
def test_files_that_are_not_item_spreadsheets_are_refused(data, filename, code):
    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(data, filename)
    assert err.value.code == code
    assert filename in err.value.message


def test_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(out.getvalue(), "de.docx")
    assert err.value.code == "not_spreadsheet"


def test_workbook_without_a_header_row_is_refused():
    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(xlsx([["Câu", "Trả lời"], ["1 + 1", "2"]]), "x.xlsx")
    assert err.value.code == "no_header"


def test_header_found_on_a_later_sheet():
    wb = openpyxl.Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active.append(["Điền câu hỏi ở trang tính thứ hai."])
    ws = wb.create_sheet("Câu hỏi")
    for row in table(EVERY_TYPE):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    check_every_type(parse_spreadsheet(out.getvalue(), "x.xlsx"))


def test_row_limit(monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 3)
    rows = [{**EVERY_TYPE[3], "Đáp án": str(n)} for n in range(3)]
    assert parse_spreadsheet(csv_bytes(table(rows)), "x.csv").ok
    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(csv_bytes(table(rows + [EVERY_TYPE[3]])), "x.csv")
    assert err.value.code == "too_many_rows"


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=5).map(
                     lambda rows: csv_bytes([["Loại câu hỏi", "Nội dung", "Đáp án", "Môn", "Lớp",
                                              "Mệnh đề a"]] + rows))))
def test_any_input_gives_a_report_or_a_spreadsheet_error(data):
    try:
        report = parse_spreadsheet(data, "fuzz.csv")
    except SpreadsheetError:
        return
    assert isinstance(report, SheetReport)
    for error in report.errors:
        assert set(error) == {"row", "field", "reason"} and isinstance(error["row"], int) and error["reason"]


def test_workbook_unpacking_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(xlsx(table(EVERY_TYPE)), "x.xlsx")
    assert err.value.code == "too_large"


def test_the_example_of_the_format_document():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "spreadsheet-format.md").read_text(encoding="utf-8")
    example = re.search(r"<!-- example-csv: begin -->\n```csv\n(.*?)```", doc, re.DOTALL).group(1)
    report = parse_spreadsheet(example.encode("utf-8"), "vi-du.csv")
    assert report.ok, report.errors
    assert [i.content.type for i in report.items] == [
        "single_choice", "true_false_cluster", "numeric", "numeric", "multiple_response", "matching",
        "ordering", "text_entry", "extended_text"]
    sc, tf, integral, wave, mr, mt, od, te, essay = report.items
    assert score(sc, "B").fraction == 1.0
    assert tf.content.key["values"] == {"a": True, "b": False, "c": True, "d": False}
    assert score(integral, "12").fraction == 1.0
    assert wave.content.body["unit"] == "cm" and score(wave, "4,05").fraction == 1.0
    assert mr.content.key["correct"] == ["A", "C"]
    assert len(mt.content.body["targets"]) == 4 and len(mt.content.key["pairs"]) == 3
    assert od.content.key["order"] == ["B", "D", "A", "C"]
    assert score(te, "ha noi").fraction == 1.0
    assert [c["criterion"] for c in essay.content.key["rubric"]] == ["Các bước", "Ví dụ"]
    assert essay.metadata.cognitive_level is CognitiveLevel.VAN_DUNG_CAO

    broken = example.replace("Thông hiểu;0,35", "Khó;0,35")
    report = parse_spreadsheet(broken.encode("utf-8"), "vi-du.csv")
    assert report.errors == [{"row": 4, "field": "Mức độ", "reason": "unknown level \"Khó\"; use Nhận biết, "
                              "Thông hiểu, Vận dụng or Vận dụng cao"}]
    assert "Row 4, Mức độ: " + report.errors[0]["reason"] in doc


@pytest.mark.parametrize("damage", ["truncate", "garbage sheet"])
def test_damaged_workbooks_are_refused(damage):
    good = xlsx(table(EVERY_TYPE))
    if damage == "truncate":
        data = good[: len(good) // 2]
    else:
        source = zipfile.ZipFile(io.BytesIO(good))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                broken = info.filename == "xl/worksheets/sheet1.xml"
                target.writestr(info.filename, b"<worksheet><sheetData><row" if broken else source.read(info))
        data = out.getvalue()
    with pytest.raises(SpreadsheetError) as err:
        parse_spreadsheet(data, "hong.xlsx")
    assert err.value.code == "not_spreadsheet"


def test_validation_errors_point_at_the_column():
    bad = r"\(\frac{1}\)"
    rows = [{**EVERY_TYPE[2], "Mệnh đề c": bad},
            {**MATH, "Loại câu hỏi": "Đúng sai", "Nội dung": "Xét.", "Phương án A": "1", "Phương án B": "2",
             "Phương án C": bad, "Phương án D": "4", "Đáp án": "ĐSĐS"},
            {**EVERY_TYPE[6], "Phương án B": rf"{bad} | y"},
            {**EVERY_TYPE[0], "Nội dung": bad},
            {**EVERY_TYPE[0], "Tiêu đề": "x" * 301}]
    report = parse_spreadsheet(csv_bytes(table(rows)), "x.csv")
    assert [(e["row"], e["field"]) for e in report.errors] == [
        (2, "Mệnh đề c"), (3, "Phương án C"), (4, "Phương án B"), (5, "Nội dung"), (6, "Tiêu đề")]
