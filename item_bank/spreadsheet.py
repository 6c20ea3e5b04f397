"""Bulk import of items from a spreadsheet (.xlsx or .csv), one row an item.

The format, for teachers, is in docs/spreadsheet-format.md. In short: a header row (Vietnamese or
English names, case and diacritics ignored), then one row per item. Cells are plain text: they are
HTML-escaped and wrapped in <p>; LaTeX between \\( \\) and \\[ \\] is kept as written.

`parse_spreadsheet` never writes anything. It returns every item it could build *and* every
problem it found, row by row (1-based sheet rows, as Excel shows them). The import is meant to be
all-or-nothing: the caller imports `report.items` only when `report.ok` (no errors at all), and
otherwise shows `report.errors` so that the teacher fixes the file and uploads it again. A file
that is not a readable spreadsheet of this format raises `SpreadsheetError` instead.

The file size limit is the caller's; the row limit (`MAX_ROWS`) is checked here.
"""
from __future__ import annotations

import csv
import datetime
import html
import io
import itertools
import json
import math
import re
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl

import item_bank.types as item_types
from item_bank.model import (
    LANGUAGES,
    SUBJECTS,
    CognitiveLevel,
    Item,
    ItemContent,
    ItemMetadata,
    ItemValidationError,
)
from item_bank.text import fold

MAX_ROWS = 10_000          # item rows (blank rows do not count)
MAX_COLUMNS = 100          # columns read from an .xlsx sheet
MAX_UNPACKED_BYTES = 200 * 2**20   # an .xlsx is a zip: refuse zip bombs before openpyxl reads it
HEADER_SCAN_ROWS = 20      # the header row is looked for among the first rows (titles may sit above)
TITLE_CHARS = 80
OPTION_LETTERS = "ABCDEFGH"
STATEMENT_LETTERS = "abcd"
# Fixed forever: identifiers derived from row content must not change between releases.
IDENTIFIER_NAMESPACE = uuid.UUID("5b0f7c1e-8d36-5a7e-9c1d-6a2f0e4b9d73")
IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read as an item spreadsheet (not a per-row problem)."""

    def __init__(self, message: str, code: str = "bad_spreadsheet"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class SheetReport:
    """What a spreadsheet holds. Import `items` only if `ok`: the import is all-or-nothing.

    `errors` are dicts {"row": sheet row number (1-based), "field": column header as written in
    the file (or a field name when there is no such column), or None, "reason": text}."""

    items: list[Item] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Column names ------------------------------------------------------------------------------

# Canonical field -> accepted header names (compared after `_label_key`).
_HEADERS: dict[str, tuple[str, ...]] = {
    "type": ("Loại câu hỏi", "Loại", "Dạng câu hỏi", "Dạng", "Kiểu câu hỏi", "type", "item type",
             "question type"),
    "stem": ("Nội dung", "Câu hỏi", "Nội dung câu hỏi", "Đề bài", "stem", "question", "question text"),
    "key": ("Đáp án", "Đáp án đúng", "key", "answer", "correct answer", "answer key"),
    "subject": ("Môn", "Môn học", "subject"),
    "grade": ("Lớp", "Khối", "Khối lớp", "grade"),
    "topic": ("Chủ đề", "Chương", "topic", "chapter"),
    "learning_outcome": ("Yêu cầu cần đạt", "YCCĐ", "Mục tiêu", "learning outcome", "outcome",
                         "objective"),
    "cognitive_level": ("Mức độ", "Mức độ nhận thức", "Mức độ tư duy", "Cấp độ", "level",
                        "cognitive level"),
    "difficulty": ("Độ khó", "difficulty"),
    "tags": ("Thẻ", "Từ khóa", "tags", "tag", "keywords"),
    "author": ("Tác giả", "Người soạn", "author"),
    "source": ("Nguồn", "source"),
    "language": ("Ngôn ngữ", "language", "lang"),
    "identifier": ("Mã", "Mã câu hỏi", "identifier", "id", "code"),
    "title": ("Tiêu đề", "Tên câu hỏi", "title"),
    "tolerance": ("Sai số", "tolerance"),
    "unit": ("Đơn vị", "unit"),
    "scoring": ("Cách chấm", "Cách tính điểm", "scoring"),
    "match": ("Cách so khớp", "So khớp", "match", "match mode"),
    "shuffle": ("Trộn phương án", "Trộn", "Đảo phương án", "shuffle"),
    "expected_words": ("Số từ", "Số từ dự kiến", "expected words", "word count"),
    "max_chars": ("Số ký tự tối đa", "Số kí tự tối đa", "Số ô", "max chars", "max characters"),
}
for _letter in OPTION_LETTERS:
    _HEADERS[f"option_{_letter}"] = (f"Phương án {_letter}", f"Lựa chọn {_letter}", f"Đáp án {_letter}",
                                      f"option {_letter}", f"choice {_letter}", _letter)
for _letter in STATEMENT_LETTERS:
    _HEADERS[f"statement_{_letter}"] = (f"Mệnh đề {_letter}", f"Ý {_letter}", f"statement {_letter}")
# Columns teachers keep for themselves (row numbers, notes): read nowhere, refused nowhere.
_IGNORED_HEADERS = ("STT", "TT", "Số thứ tự", "No", "Ghi chú", "note", "notes", "comment", "comments")

OPTION_FIELDS = tuple(f"option_{x}" for x in OPTION_LETTERS)
STATEMENT_FIELDS = tuple(f"statement_{x}" for x in STATEMENT_LETTERS)
_METADATA_FIELDS = ("subject", "grade", "topic", "learning_outcome", "cognitive_level", "difficulty",
                    "tags", "author", "source", "language")


def _label_key(text: str) -> str:
    """Header comparison key: notes in parentheses dropped, diacritics, case, punctuation ignored."""
    text = re.sub(r"\([^)]*\)", " ", text)
    return _word_key(text)


def _word_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


_HEADER_LOOKUP: dict[str, str] = {}
for _field, _names in _HEADERS.items():
    for _name in _names:
        _HEADER_LOOKUP[_label_key(_name)] = _field
_IGNORED_LOOKUP = frozenset(_label_key(n) for n in _IGNORED_HEADERS)
_IGNORED = "__ignored__"


def _column_field(header: str) -> str | None:
    """The canonical field of a header cell, `_IGNORED`, or None for an unknown header."""
    if not _word_key(header):
        return _IGNORED            # "#", "*" and the like
    key = _label_key(header)
    if key in _IGNORED_LOOKUP:
        return _IGNORED
    return _HEADER_LOOKUP.get(key)


# --- Value vocabularies ------------------------------------------------------------------------

_TYPE_NAMES = {
    "single_choice": ("Trắc nghiệm", "Nhiều lựa chọn", "Trắc nghiệm nhiều lựa chọn", "Một đáp án",
                      "Trắc nghiệm một đáp án", "TN", "single choice", "multiple choice", "MCQ"),
    "multiple_response": ("Nhiều đáp án", "Chọn nhiều đáp án", "Trắc nghiệm nhiều đáp án",
                          "multiple response", "multiple answer", "multiple answers"),
    "true_false_cluster": ("Đúng sai", "Đúng/Sai", "Trắc nghiệm đúng sai", "true false",
                           "true/false", "true false cluster"),
    "numeric": ("Trả lời ngắn", "Điền số", "Số", "numeric", "number", "short answer"),
    "text_entry": ("Điền từ", "Điền khuyết", "Điền vào chỗ trống", "text entry", "fill in",
                   "fill in the blank"),
    "extended_text": ("Tự luận", "essay", "extended text"),
    "matching": ("Ghép nối", "Ghép đôi", "Nối", "matching", "match"),
    "ordering": ("Sắp xếp", "Sắp xếp thứ tự", "ordering", "order"),
}
_TYPE_LOOKUP = {_word_key(n): t for t, names in _TYPE_NAMES.items() for n in (*names, t)}

_SUBJECT_NAMES = {
    "math": ("Toán", "Toán học"),
    "physics": ("Vật lí", "Vật lý", "Lí", "Lý"),
    "chemistry": ("Hóa học", "Hoá học", "Hóa", "Hoá"),
    "biology": ("Sinh học", "Sinh"),
    "literature": ("Ngữ văn", "Văn"),
    "english": ("Tiếng Anh", "Anh", "Anh văn"),
    "history": ("Lịch sử", "Sử"),
    "geography": ("Địa lí", "Địa lý", "Địa"),
    "informatics": ("Tin học", "Tin"),
    "civics": ("GDCD", "Giáo dục công dân", "Giáo dục kinh tế và pháp luật", "GDKT&PL", "GDKTPL"),
    "technology": ("Công nghệ",),
    "other": ("Khác",),
}
_SUBJECT_LOOKUP = {_word_key(n): s for s, names in _SUBJECT_NAMES.items() for n in (*names, s)}
_SUBJECT_LOOKUP.update({_word_key(s.replace("_", " ")): s for s in SUBJECTS})

_LEVEL_NAMES = {
    CognitiveLevel.BIET: ("Nhận biết", "Biết", "NB", "recognition", "remember"),
    CognitiveLevel.HIEU: ("Thông hiểu", "Hiểu", "TH", "understanding", "understand"),
    CognitiveLevel.VAN_DUNG: ("Vận dụng", "VD", "application", "apply"),
    CognitiveLevel.VAN_DUNG_CAO: ("Vận dụng cao", "VDC", "high application"),
}
_LEVEL_LOOKUP = {_word_key(n): lv for lv, names in _LEVEL_NAMES.items()
                 for n in (*names, lv.value, lv.value.replace("_", " "))}

_LANGUAGE_NAMES = {"vi": ("Tiếng Việt", "Việt", "Vietnamese", "vi"),
                   "en": ("Tiếng Anh", "Anh", "English", "en")}
_LANGUAGE_LOOKUP = {_word_key(n): code for code, names in _LANGUAGE_NAMES.items() for n in names}

_SCORING_NAMES = {"all_or_nothing": ("Tất cả hoặc không", "Đúng hết", "all or nothing"),
                  "partial": ("Từng phần", "Một phần", "partial")}
_SCORING_LOOKUP = {_word_key(n): c for c, names in _SCORING_NAMES.items() for n in names}

_MATCH_NAMES = {"exact": ("Chính xác", "Giống hệt", "exact"),
                "normalised": ("Chuẩn hóa", "Chuẩn hoá", "Không phân biệt hoa thường", "normalised",
                               "normalized"),
                "fold": ("Bỏ dấu", "Không dấu", "Không phân biệt dấu", "fold")}
_MATCH_LOOKUP = {_word_key(n): c for c, names in _MATCH_NAMES.items() for n in names}

_YES = frozenset({"co", "yes", "y", "true", "x", "1", "dung"})
_NO = frozenset({"khong", "no", "n", "false", "0", "sai"})

_TF_WORDS = {"dung": True, "d": True, "true": True, "t": True, "1": True,
             "sai": False, "s": False, "false": False, "f": False, "0": False}

# Columns that only some types use; a value in such a column for another type is an error
# (it usually means the type is wrong, and the value would otherwise be dropped silently).
_TYPE_COLUMNS: dict[str, frozenset[str]] = {
    "single_choice": frozenset({*OPTION_FIELDS, "shuffle"}),
    "multiple_response": frozenset({*OPTION_FIELDS, "shuffle", "scoring"}),
    "true_false_cluster": frozenset({*STATEMENT_FIELDS, *OPTION_FIELDS}),
    "numeric": frozenset({"tolerance", "unit", "max_chars"}),
    "text_entry": frozenset({"match"}),
    "extended_text": frozenset({"expected_words"}),
    "matching": frozenset({*OPTION_FIELDS, "shuffle", "scoring"}),
    "ordering": frozenset({*OPTION_FIELDS, "shuffle", "scoring"}),
}
_TYPE_SPECIFIC = frozenset().union(*_TYPE_COLUMNS.values())
_ENGLISH_LABEL = {f: f.replace("_", " ") for f in _HEADERS}


# --- Reading files ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Cell:
    value: Any
    number_format: str = "General"


_Row = tuple[int, list[_Cell]]     # (1-based sheet row, cells)


def parse_spreadsheet(data: bytes, filename: str, defaults: dict[str, Any] | None = None) -> SheetReport:
    """Read items from an .xlsx or .csv file; see the module docstring and the format document.

    `defaults` gives metadata for cells left blank (and for columns the file does not have): keys
    are ItemMetadata field names (subject, grade, topic, learning_outcome, cognitive_level,
    difficulty, tags, author, source, language); values are parsed like cells ("Toán" or "math").
    A bad default raises SpreadsheetError (code "bad_default").

    Every row becomes an Item checked by `item_bank.types.validate_item`; bad rows are listed in
    `errors`. Nothing is all-or-nothing here: the caller must import only when `report.ok`.
    Raises SpreadsheetError for a file that is not a readable .xlsx/.csv item sheet, or that has
    more than MAX_ROWS item rows.
    """
    resolved = _resolve_defaults(defaults or {})
    kind = _sniff(data, filename)
    if kind == "xlsx":
        return _parse_xlsx(data, filename, resolved)
    return _parse_csv(data, filename, resolved)


def _sniff(data: bytes, filename: str) -> str:
    name = filename.lower()
    if not data:
        raise SpreadsheetError(f"{filename}: the file is empty", "empty")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(f"{filename}: old Excel 97-2003 (.xls) files are not supported; "
                               "open it in Excel and save it as .xlsx (Excel Workbook)", "old_xls")
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"%PDF") or (b"\x00" in data[:1024] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise SpreadsheetError(f"{filename}: not a spreadsheet; upload an .xlsx or .csv file",
                               "not_spreadsheet")
    if name.endswith((".xlsx", ".xlsm")):
        raise SpreadsheetError(f"{filename}: not a valid .xlsx file", "not_spreadsheet")
    if name.endswith((".xls", ".ods", ".numbers", ".docx", ".doc", ".pdf")):
        raise SpreadsheetError(f"{filename}: this kind of file is not supported; upload an .xlsx or "
                               ".csv file", "not_spreadsheet")
    return "csv"


def _parse_xlsx(data: bytes, filename: str, defaults: dict[str, Any]) -> SheetReport:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError(f"{filename}: not a valid .xlsx file", "not_spreadsheet") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(f"{filename}: the workbook unpacks to more than "
                               f"{MAX_UNPACKED_BYTES // 2**20} MB; split the file", "too_large")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, conditional formats...):
            # irrelevant to reading cell values.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _OPENPYXL_ERRORS as exc:
        raise SpreadsheetError(f"{filename}: not a valid .xlsx file ({type(exc).__name__})",
                               "not_spreadsheet") from None
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()   # some writers store a wrong sheet size; read every row
            rows = _xlsx_rows(ws, filename)
            head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
            if _find_header(head) is not None:
                return _parse_table(itertools.chain(head, rows), defaults, filename)
    finally:
        wb.close()
    raise _no_header(filename)


# openpyxl has no single error type for a broken file; these are what it raises.
_OPENPYXL_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError,
                    AttributeError, SyntaxError, EOFError)
_BLANK = _Cell(None)


def _xlsx_rows(ws: Any, filename: str) -> Iterator[_Row]:
    # Rows come as wide as their last cell (no max_col: that would pad every row to it).
    rows = ws.iter_rows(min_row=1)
    for number in itertools.count(1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cells = next(rows)
        except StopIteration:
            return
        except _OPENPYXL_ERRORS as exc:
            raise SpreadsheetError(f"{filename}: the .xlsx file is damaged ({type(exc).__name__})",
                                   "not_spreadsheet") from None
        yield number, [_BLANK if c.value is None else _Cell(c.value, c.number_format or "General")
                       for c in cells[:MAX_COLUMNS]]


def _parse_csv(data: bytes, filename: str, defaults: dict[str, Any]) -> SheetReport:
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")     # Excel's "Unicode Text"
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpreadsheetError(
            f"{filename}: not a UTF-8 text file. If this is a CSV from Excel, save it again with "
            "the type \"CSV UTF-8 (Comma delimited)\", or upload the .xlsx file", "encoding") from None
    if "\x00" in text:
        raise SpreadsheetError(f"{filename}: not a spreadsheet (binary data)", "not_spreadsheet")
    delimiters: tuple[str, ...] = (",", ";", "\t")
    first_line, _, rest = text.partition("\n")
    hint = re.fullmatch(r"sep=(.)\r?", first_line)
    if hint:                                  # Excel's "sep=;" first line; Excel does not show it
        delimiters, text = (hint.group(1),), rest
    best: tuple[int, str] | None = None
    for delimiter in delimiters:
        head = list(itertools.islice(_csv_rows(text, delimiter, filename), HEADER_SCAN_ROWS))
        found = _find_header(head)
        if found is not None and (best is None or found[1] > best[0]):
            best = (found[1], delimiter)
    if best is None:
        raise _no_header(filename)
    return _parse_table(_csv_rows(text, best[1], filename), defaults, filename)


def _csv_rows(text: str, delimiter: str, filename: str) -> Iterator[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, [_Cell(v) for v in values]
    except csv.Error as exc:
        raise SpreadsheetError(f"{filename}: not a valid CSV file ({exc})", "not_spreadsheet") from None


def _no_header(filename: str) -> SpreadsheetError:
    return SpreadsheetError(
        f"{filename}: no header row found. The first rows must include a header row with at least "
        "the columns \"Loại câu hỏi\" (type) and \"Nội dung\" (stem)", "no_header")


def _find_header(rows: list[_Row]) -> tuple[int, int] | None:
    """(index in rows, number of recognised columns) of the first row that names type and stem."""
    for index, (_, cells) in enumerate(rows):
        fields = {_column_field(_plain(c.value)) for c in cells if isinstance(c.value, str)}
        if {"type", "stem"} <= fields:
            return index, len(fields - {None, _IGNORED})
    return None


def _plain(value: Any) -> str:
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else ""


# --- Rows to items -----------------------------------------------------------------------------

class _RowError(Exception):
    def __init__(self, field: str | None, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _parse_table(rows: Iterable[_Row], defaults: dict[str, Any], filename: str) -> SheetReport:
    report = SheetReport()
    rows = iter(rows)
    head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    found = _find_header(head)
    if found is None:
        raise _no_header(filename)
    header_number, header_cells = head[found[0]]
    rows = itertools.chain(head[found[0] + 1:], rows)

    columns: dict[int, str] = {}        # cell index -> canonical field
    labels: dict[str, str] = {}         # canonical field -> header as written
    headed: set[int] = set()            # cells with a header; others must stay empty
    for index, cell in enumerate(header_cells):
        text = _plain(cell.value) if isinstance(cell.value, str) else _text_or_blank(cell.value)
        if not text:
            continue
        headed.add(index)
        fieldname = _column_field(text)
        if fieldname is None:
            report.errors.append({"row": header_number, "field": text,
                                  "reason": f"unknown column \"{text}\"; rename it to a column name of "
                                            "the format, or delete it"})
        elif fieldname == _IGNORED:
            continue
        elif fieldname in labels:
            report.errors.append({"row": header_number, "field": text,
                                  "reason": f"column \"{text}\" repeats column \"{labels[fieldname]}\""})
        else:
            columns[index] = fieldname
            labels[fieldname] = text
    for required in ("subject", "grade"):
        if required not in labels and required not in defaults:
            report.errors.append({"row": header_number, "field": required,
                                  "reason": f"the file has no \"{_vi_label(required)}\" ({required}) "
                                            "column and no default was given"})

    seen: dict[str, int] = {}           # identifier -> row
    count = 0
    for number, cells in rows:
        values = {columns[i]: c for i, c in enumerate(cells) if i in columns}
        stray = next((i for i, c in enumerate(cells) if i not in headed and not _is_blank(c.value)), None)
        if all(_is_blank(c.value) for c in values.values()):
            if stray is not None:
                report.errors.append({"row": number, "field": None,
                                      "reason": f"column {_column_letter(stray)} has a value but no header"})
            continue
        count += 1
        if count > MAX_ROWS:
            raise SpreadsheetError(f"{filename}: more than {MAX_ROWS} items; split the file",
                                   "too_many_rows")
        row = _RowParser(number, values, labels, defaults)
        if stray is not None:
            row.fail(None, f"column {_column_letter(stray)} has a value but no header")
        item = row.parse()
        if item is not None:
            if item.identifier in seen:
                row.fail("identifier", f"identifier {item.identifier} is also used on row "
                                       f"{seen[item.identifier]}"
                         + ("" if "identifier" in values and not _is_blank(values["identifier"].value)
                            else " (the two rows have the same content)"))
            else:
                seen[item.identifier] = number
                report.items.append(item)
        report.errors.extend(row.errors)
    return report


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _vi_label(fieldname: str) -> str:
    return _HEADERS[fieldname][0] if fieldname in _HEADERS else fieldname


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text_or_blank(value: Any) -> str:
    try:
        return _cell_text(value)
    except _RowError:
        return ""


def _cell_text(value: Any) -> str:
    """A cell's value as text: NFC, line ends normalised, trimmed."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
        return text.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _RowError(None, "the cell holds an error value or an infinite number")
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        raise _RowError(None, "Excel turned this cell into a date or time; format the cell as Text "
                              "and type the value again")
    return str(value).strip()


class _RowParser:
    def __init__(self, number: int, values: dict[str, _Cell], labels: dict[str, str],
                 defaults: dict[str, Any]):
        self.number = number
        self.values = values
        self.labels = labels
        self.defaults = defaults
        self.errors: list[dict[str, Any]] = []

    # helpers

    def label(self, fieldname: str | None) -> str | None:
        if fieldname is None:
            return None
        return self.labels.get(fieldname, _ENGLISH_LABEL.get(fieldname, fieldname))

    def fail(self, fieldname: str | None, reason: str) -> None:
        self.errors.append({"row": self.number, "field": self.label(fieldname), "reason": reason})

    def text(self, fieldname: str) -> str:
        cell = self.values.get(fieldname)
        if cell is None:
            return ""
        try:
            return _cell_text(cell.value)
        except _RowError as exc:
            raise _RowError(fieldname, exc.reason) from None

    def raw(self, fieldname: str) -> Any:
        cell = self.values.get(fieldname)
        return None if cell is None or _is_blank(cell.value) else cell.value

    def attempt(self, fieldname: str, parse: Any, *args: Any) -> Any:
        """Run a field parser; record its error and return None on failure."""
        try:
            return parse(*args)
        except _RowError as exc:
            self.fail(exc.field if exc.field is not None else fieldname, exc.reason)
            return None

    # the row

    def parse(self) -> Item | None:
        before = len(self.errors)
        type_name = self.attempt("type", self._type)
        stem_text = self.attempt("stem", self.text, "stem")
        if stem_text == "":
            self.fail("stem", "the question text is empty")
        metadata = self.attempt("subject", self._metadata)
        body_key = None
        if type_name is not None:
            self._check_unused_columns(type_name)
            body_key = self.attempt("key", _BUILDERS[type_name], self)
        identifier = self.attempt("identifier", self._identifier)
        title = self.attempt("title", self.text, "title")
        if len(self.errors) > before or None in (type_name, stem_text, metadata, body_key, title):
            return None
        assert type_name is not None and stem_text and metadata is not None and body_key is not None
        body, key = body_key
        item = Item(identifier=identifier or self._content_identifier(),
                    title=title or _title_from(stem_text),
                    metadata=metadata,
                    content=ItemContent(type=type_name, stem=to_html(stem_text), body=body, key=key))
        try:
            return item_types.validate_item(item)
        except ItemValidationError as exc:
            self.errors.append({"row": self.number, "field": self._validator_field(exc.field, body),
                                "reason": exc.message})
            return None

    def _type(self) -> str:
        text = self.text("type")
        if not text:
            raise _RowError("type", "the question type is empty")
        found = _TYPE_LOOKUP.get(_word_key(text))
        if found is None:
            raise _RowError("type", f"unknown question type \"{text}\"; use one of: "
                            + ", ".join(names[0] for names in _TYPE_NAMES.values()))
        return found

    def _check_unused_columns(self, type_name: str) -> None:
        allowed = _TYPE_COLUMNS[type_name]
        for fieldname, cell in self.values.items():
            if fieldname in _TYPE_SPECIFIC and fieldname not in allowed and not _is_blank(cell.value):
                self.fail(fieldname, f"\"{self.label(fieldname)}\" is not used by this question type "
                                     f"({_TYPE_NAMES[type_name][0]}); clear the cell or check the type")

    def _identifier(self) -> str | None:
        text = self.text("identifier")
        if not text:
            return None
        if not IDENTIFIER_RE.match(text):
            raise _RowError("identifier", "an identifier is 1-128 letters (without diacritics), digits, "
                                          "'_', '.' or '-', starting with a letter or '_'")
        return text

    def _content_identifier(self) -> str:
        content = {f: _text_or_blank(c.value) for f, c in sorted(self.values.items())
                   if f != "identifier" and not _is_blank(c.value)}
        digest = json.dumps(content, ensure_ascii=False, sort_keys=True)
        return f"item-{uuid.uuid5(IDENTIFIER_NAMESPACE, digest)}"

    def _metadata(self) -> ItemMetadata | None:
        got: dict[str, Any] = {}
        failed = False
        for name in _METADATA_FIELDS:
            if self.raw(name) is not None:
                try:
                    got[name] = _METADATA_PARSERS[name](self.text(name), self.raw(name),
                                                        self.values[name].number_format)
                except _RowError as exc:
                    self.fail(exc.field or name, exc.reason)
                    failed = True
            elif name in self.defaults:
                got[name] = self.defaults[name]
            elif name in ("subject", "grade"):
                failed = True
                if name in self.labels:      # no column at all is reported once, on the header row
                    self.fail(name, f"\"{self.label(name)}\" is empty")
        if failed:
            return None
        if "language" not in got:
            got["language"] = "en" if got["subject"] == "english" else "vi"
        return ItemMetadata(**got)

    def _validator_field(self, vfield: str | None, body: dict[str, Any]) -> str | None:
        """The column a validation error is about, as headed in the file, when it can be told."""
        if vfield is None:
            return None
        parts = [p for p in re.split(r"[.\[\]]+", vfield) if p]
        if parts and parts[0] in ("content", "item"):
            parts = parts[1:]
        if parts and parts[0] == "metadata":
            parts = parts[1:]
        if not parts:
            return vfield
        head = parts[0]
        if head in ("stem", "title", "identifier", "type", *_METADATA_FIELDS):
            return self.label(head)
        if head == "key":
            if len(parts) >= 2 and parts[1] == "scoring":
                return self.label("scoring")
            return self.label("key")
        if head == "body" and len(parts) >= 2:
            part = parts[1]
            ids = [entry.get("id") for entry in body.get(part, []) if isinstance(entry, dict)] \
                if isinstance(body.get(part), list) else []
            if len(parts) >= 3 and ids:
                position = int(parts[2]) if parts[2].isdigit() and int(parts[2]) < len(ids) else None
                ident = ids[position] if position is not None else (parts[2] if parts[2] in ids else None)
                if part == "statements" and f"statement_{ident}" in STATEMENT_FIELDS:
                    # The statements come from Mệnh đề a-d, or else from Phương án A-D.
                    in_statements = any(not _is_blank(self.values[f].value)
                                        for f in STATEMENT_FIELDS if f in self.values)
                    return self.label(f"statement_{ident}" if in_statements else f"option_{ident.upper()}")
                if f"option_{ident}" in OPTION_FIELDS:
                    return self.label(f"option_{ident}")
            if part in ("unit", "shuffle", "expected_words", "max_chars"):
                return self.label(part)
        return vfield


# --- Field parsers -----------------------------------------------------------------------------

def _parse_subject(text: str, raw: Any = None, fmt: str = "") -> str:
    found = _SUBJECT_LOOKUP.get(_word_key(text))
    if found is None:
        raise _RowError("subject", f"unknown subject \"{text}\"; use one of: "
                        + ", ".join(names[0] for names in _SUBJECT_NAMES.values()))
    return found


def _parse_grade(text: str, raw: Any = None, fmt: str = "") -> int:
    words = _word_key(text)
    words = re.sub(r"^(lop|khoi|grade)\s+", "", words)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        grade = raw
    elif words.isdigit():
        grade = int(words)
    else:
        raise _RowError("grade", f"the grade must be a whole number from 1 to 12, not \"{text}\"")
    if not 1 <= grade <= 12:
        raise _RowError("grade", f"the grade must be from 1 to 12, not {grade}")
    return grade


def _parse_level(text: str, raw: Any = None, fmt: str = "") -> CognitiveLevel:
    if isinstance(raw, CognitiveLevel):
        return raw
    found = _LEVEL_LOOKUP.get(_word_key(text))
    if found is None:
        raise _RowError("cognitive_level", f"unknown level \"{text}\"; use Nhận biết, Thông hiểu, "
                                           "Vận dụng or Vận dụng cao")
    return found


def _parse_difficulty(text: str, raw: Any = None, fmt: str = "") -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    else:
        percent = text.rstrip().endswith("%")
        value = float(parse_number(text.rstrip().rstrip("%"), "difficulty"))
        if percent:
            value /= 100
    if not 0 <= value <= 1:
        raise _RowError("difficulty", f"the difficulty is a number from 0 (easy) to 1 (hard), not {text}")
    return value


def _parse_tags(text: str, raw: Any = None, fmt: str = "") -> list[str]:
    if isinstance(raw, (list, tuple)):
        parts = [str(p) for p in raw]
    else:
        parts = re.split(r"[,;\n]", text)
    tags: list[str] = []
    for part in parts:
        tag = " ".join(part.split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _parse_language(text: str, raw: Any = None, fmt: str = "") -> str:
    found = _LANGUAGE_LOOKUP.get(_word_key(text))
    if found is None or found not in LANGUAGES:
        raise _RowError("language", f"unknown language \"{text}\"; use vi (Tiếng Việt) or en (English)")
    return found


def _parse_free_text(text: str, raw: Any = None, fmt: str = "") -> str:
    return " ".join(text.split())


_METADATA_PARSERS = {
    "subject": _parse_subject, "grade": _parse_grade, "topic": _parse_free_text,
    "learning_outcome": _parse_free_text, "cognitive_level": _parse_level,
    "difficulty": _parse_difficulty, "tags": _parse_tags, "author": _parse_free_text,
    "source": _parse_free_text, "language": _parse_language,
}


def _resolve_defaults(defaults: dict[str, Any]) -> dict[str, Any]:
    unknown = set(defaults) - set(_METADATA_FIELDS)
    if unknown:
        raise SpreadsheetError(f"unknown default {min(unknown)!r}; defaults are metadata fields: "
                               + ", ".join(_METADATA_FIELDS), "bad_default")
    resolved = {}
    for name, value in defaults.items():
        if value is None:
            continue
        if isinstance(value, CognitiveLevel):
            text = value.value
        elif isinstance(value, (list, tuple)):
            text = ""
        else:
            try:
                text = _cell_text(value)
            except _RowError as exc:
                raise SpreadsheetError(f"default {name}: {exc.reason}", "bad_default") from None
        try:
            resolved[name] = _METADATA_PARSERS[name](text, value, "General")
        except _RowError as exc:
            raise SpreadsheetError(f"default {name}: {exc.reason}", "bad_default") from None
    return resolved


_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(text: str, fieldname: str = "key") -> int | float:
    """A number as teachers type it: "1,5" or "1.5" (one decimal separator, no thousands
    separators), "−2", "3e-4". Integers come back as int."""
    squeezed = re.sub(r"\s+", "", text).replace("\u2212", "-").replace("\u2013", "-")
    if squeezed.count(",") + squeezed.count(".") > 1:
        raise _RowError(fieldname, f"\"{text}\" is not a number: write it without thousands separators, "
                                   "with a comma or a dot for decimals (1,5 or 1.5)")
    squeezed = squeezed.replace(",", ".")
    if not _NUMBER_RE.fullmatch(squeezed):
        raise _RowError(fieldname, f"\"{text}\" is not a number")
    value = float(squeezed)
    if not math.isfinite(value):
        raise _RowError(fieldname, f"\"{text}\" is not a finite number")
    if re.fullmatch(r"[+-]?\d+", squeezed):
        return int(squeezed)
    return value


def _cell_number(row: _RowParser, fieldname: str) -> int | float | None:
    raw = row.raw(fieldname)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _RowError(fieldname, "expected a number, not TRUE/FALSE")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _RowError(fieldname, "the cell holds an error value or an infinite number")
        return int(raw) if raw.is_integer() and abs(raw) < 2**53 else raw
    return parse_number(row.text(fieldname), fieldname)


def _yes_no(row: _RowParser, fieldname: str, default: bool) -> bool:
    raw = row.raw(fieldname)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    word = _word_key(row.text(fieldname))
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _RowError(fieldname, f"write Có or Không (yes or no), not \"{row.text(fieldname)}\"")


# --- Text to HTML --------------------------------------------------------------------------------

_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
_PARAGRAPH_BREAK = "\x00"


def to_html(text: str) -> str:
    """Plain cell text to HTML: escaped, blank lines start paragraphs, line breaks become <br>.

    Formulas between \\( \\) or \\[ \\] are escaped but otherwise left alone (no <br> inside them:
    a formula cannot span tags)."""
    pieces = []
    position = 0
    for m in _MATH.finditer(text):
        pieces.append(_text_piece(text[position:m.start()]))
        pieces.append(html.escape(m.group(), quote=False))
        position = m.end()
    pieces.append(_text_piece(text[position:]))
    paragraphs = [p.strip() for p in "".join(pieces).split(_PARAGRAPH_BREAK)]
    return "".join(f"<p>{p}</p>" for p in paragraphs if p)


def _text_piece(text: str) -> str:
    text = re.sub(r"[ \t]*\n[ \t]*(\n[ \t]*)+", _PARAGRAPH_BREAK, text)
    return html.escape(text, quote=False).replace("\n", "<br>")


def _title_from(stem_text: str) -> str:
    title = " ".join(stem_text.split())
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[:TITLE_CHARS - 1]
    space = cut.rfind(" ")
    if space > TITLE_CHARS // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


# --- Body and key per type ---------------------------------------------------------------------

def _options(row: _RowParser, fields: tuple[str, ...], what: str, letters: str) -> list[tuple[str, str]]:
    """(letter, text) of the filled columns; a gap before a filled column is an error."""
    filled = [(letter, row.text(f)) for letter, f in zip(letters, fields)]
    last = max((i for i, (_, text) in enumerate(filled) if text), default=-1)
    for i in range(last):
        if not filled[i][1]:
            raise _RowError(fields[i], f"{what} {filled[i][0]} is empty but a later {what} is filled; "
                                       "fill the columns in order")
    return filled[:last + 1]


def _choice_options(row: _RowParser, minimum: int = 2) -> list[tuple[str, str]]:
    options = _options(row, OPTION_FIELDS, "option", OPTION_LETTERS)
    if len(options) < minimum:
        raise _RowError("option_A", f"this question type needs at least {minimum} options "
                                    "(Phương án A, Phương án B, ...)")
    return options


def _letters(row: _RowParser, options: list[tuple[str, str]]) -> list[str]:
    """Option letters of the key cell: "A", "A, C", "AC", "C-A-D-B", "Phương án B"."""
    text = row.text("key")
    if not text:
        raise _RowError("key", "the answer (Đáp án) is empty")
    words = _word_key(text)
    words = re.sub(r"\b(phuong an|dap an|lua chon|option|options|choice|and|va)\b", " ", words)
    letters: list[str] = []
    for token in words.split():
        if not re.fullmatch(r"[a-h]+", token):
            raise _RowError("key", f"the answer \"{text}\" should be option letters such as A or A, C")
        letters.extend(token.upper())
    if not letters:
        raise _RowError("key", f"the answer \"{text}\" should be option letters such as A or A, C")
    available = [letter for letter, _ in options]
    for letter in letters:
        if letter not in available:
            raise _RowError("key", f"the answer names option {letter}, which is empty")
    return letters


def _build_single_choice(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    options = _choice_options(row)
    letters = _letters(row, options)
    if len(letters) != 1:
        raise _RowError("key", "a single-choice question has exactly one correct option; for several, "
                               "use the type \"Nhiều đáp án\"")
    body = {"options": [{"id": letter, "html": to_html(text)} for letter, text in options],
            "shuffle": _yes_no(row, "shuffle", True)}
    return body, {"correct": letters[0]}


def _scoring(row: _RowParser, default: str) -> str:
    if row.raw("scoring") is None:
        return default
    scoring = _SCORING_LOOKUP.get(_word_key(row.text("scoring")))
    if scoring is None:
        raise _RowError("scoring", f"unknown scoring \"{row.text('scoring')}\"; use \"Tất cả hoặc "
                                   "không\" (all_or_nothing) or \"Từng phần\" (partial)")
    return scoring


def _build_multiple_response(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    options = _choice_options(row)
    letters = _letters(row, options)
    if len(set(letters)) != len(letters):
        raise _RowError("key", "the answer names an option twice")
    scoring = _scoring(row, "all_or_nothing")
    body = {"options": [{"id": letter, "html": to_html(text)} for letter, text in options],
            "shuffle": _yes_no(row, "shuffle", True)}
    return body, {"correct": sorted(letters), "scoring": scoring}


def _build_true_false(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    statements = _options(row, STATEMENT_FIELDS, "statement", STATEMENT_LETTERS)
    where = "statement_a"
    if not statements:
        # Many templates put the four statements in the option columns A-D.
        options = _options(row, OPTION_FIELDS, "option", OPTION_LETTERS)
        statements = [(letter.lower(), text) for letter, text in options]
        where = "option_A"
    elif any(row.text(f) for f in OPTION_FIELDS):
        raise _RowError("option_A", "a true/false question takes its statements from the columns "
                                    "Mệnh đề a-d; leave the Phương án columns empty")
    if len(statements) != 4:
        raise _RowError(where, f"a true/false question (Đúng sai) has exactly 4 statements a-d; "
                               f"this row has {len(statements)}")
    values = _true_false_key(row.text("key"))
    body = {"statements": [{"id": letter, "html": to_html(text)} for letter, text in statements]}
    return body, {"values": dict(zip(STATEMENT_LETTERS, values))}


_TF_LABELLED = re.compile(r"([a-d])\s*[).:=-]\s*(dung|sai|true|false|d|s|t|f|1|0)\b")


def _true_false_key(text: str) -> list[bool]:
    """"Đ S Đ S", "ĐSĐS", "DSDS", "TFTF", "Đúng, Sai, ...", "a) Đ; b) S; c) Đ; d) S"."""
    if not text:
        raise _RowError("key", "the answer (Đáp án) is empty")
    folded = fold(text)
    labelled = _TF_LABELLED.findall(folded)
    if (len(labelled) == 4 and sorted(label for label, _ in labelled) == list(STATEMENT_LETTERS)
            and not re.sub(r"[\s,;.|/]+", "", _TF_LABELLED.sub("", folded))):
        by_label = {label: _TF_WORDS[word] for label, word in labelled}
        return [by_label[x] for x in STATEMENT_LETTERS]
    values: list[bool] = []
    for token in re.findall(r"[a-z0-9]+", folded):
        if token in _TF_WORDS:
            values.append(_TF_WORDS[token])
        elif re.fullmatch(r"[dstf01]+", token):
            values.extend(_TF_WORDS[ch] for ch in token)
        else:
            values = []
            break
    if len(values) != 4:
        raise _RowError("key", f"the answer \"{text}\" must give Đ (đúng) or S (sai) for each of the "
                               "4 statements, e.g. \"Đ S Đ S\" or \"a) Đ; b) S; c) Đ; d) S\"")
    return values


def _build_numeric(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    if row.raw("key") is None:
        raise _RowError("key", "the answer (Đáp án) is empty")
    value = _cell_number(row, "key")
    tolerance: int | float = 0
    mode = "absolute"
    raw = row.raw("tolerance")
    if raw is not None:
        fmt = row.values["tolerance"].number_format
        text = row.text("tolerance").lstrip("±").strip()
        if isinstance(raw, str) and text.endswith("%"):
            tolerance = parse_number(text[:-1], "tolerance") / 100
            mode = "relative"
        elif isinstance(raw, str):
            tolerance = parse_number(text, "tolerance")
        else:
            tolerance = _cell_number(row, "tolerance") or 0
            if "%" in fmt:        # a cell formatted as a percentage: Excel stores 5% as 0.05
                mode = "relative"
        if tolerance < 0:
            raise _RowError("tolerance", "the tolerance cannot be negative")
    body: dict[str, Any] = {}
    unit = row.text("unit")
    if unit:
        body["unit"] = " ".join(unit.split())
    if row.raw("max_chars") is not None:
        max_chars = _cell_number(row, "max_chars")
        if not isinstance(max_chars, int) or max_chars <= 0:
            raise _RowError("max_chars", "the number of characters is a whole number above 0")
        body["max_chars"] = max_chars
    return body, {"value": value, "tolerance": tolerance, "tolerance_mode": mode}


def _build_text_entry(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    text = row.text("key")
    accepted: list[str] = []
    for part in re.split(r"[|\n]", text):
        answer = " ".join(part.split())
        if answer and answer not in accepted:
            accepted.append(answer)
    if not accepted:
        raise _RowError("key", "the answer (Đáp án) is empty; separate several accepted answers with |")
    match = "normalised"
    if row.raw("match") is not None:
        match = _MATCH_LOOKUP.get(_word_key(row.text("match")), "")
        if not match:
            raise _RowError("match", f"unknown matching \"{row.text('match')}\"; use Chính xác (exact), "
                                     "Chuẩn hóa (normalised) or Bỏ dấu (fold)")
    return {}, {"accepted": accepted, "match": match}


def _build_extended_text(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    body: dict[str, Any] = {}
    if row.raw("expected_words") is not None:
        words = _cell_number(row, "expected_words")
        if not isinstance(words, int) or words <= 0:
            raise _RowError("expected_words", "the expected number of words is a whole number above 0")
        body["expected_words"] = words
    text = row.text("key")
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) == 1 and ";" in lines[0]:
        lines = [part.strip() for part in lines[0].split(";") if part.strip()]
    rubric = []
    for line in lines:
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or len(parts) > 3 or not parts[0]:
            raise _RowError("key", f"rubric line \"{line}\" must be \"criterion | points | description\" "
                                   "(the description may be left out)")
        points_text = re.sub(r"\s*(điểm|diem|đ|d|points?|pts?)\.?$", "", parts[1], flags=re.IGNORECASE)
        points = parse_number(points_text, "key")
        rubric.append({"criterion": parts[0], "max_points": points,
                       "description": parts[2] if len(parts) == 3 else ""})
    return body, {"rubric": rubric}


def _split_pair(text: str) -> tuple[str, str] | None:
    """Split "left | right" at the one | outside formulas."""
    outside = _MATH.sub(lambda m: "\x01" * len(m.group()), text)
    bars = [i for i, ch in enumerate(outside) if ch == "|"]
    if len(bars) != 1:
        return None
    return text[:bars[0]].strip(), text[bars[0] + 1:].strip()


def _build_matching(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    if row.raw("key") is not None:
        raise _RowError("key", "leave the answer empty for a matching question: write each pair in an "
                               "option cell as \"left | right\"")
    options = _choice_options(row, minimum=2)
    sources: list[tuple[str, str]] = []
    pairs: dict[str, str] = {}            # source letter -> target text
    targets: list[str] = []
    for letter, text in options:
        pair = _split_pair(text)
        if pair is None or not pair[1]:
            raise _RowError(f"option_{letter}", "write a matching pair as \"left | right\" (one | outside "
                                                "formulas); \"| right\" alone adds an extra right-hand item")
        left, right = pair
        if right not in targets:
            targets.append(right)
        if left:
            sources.append((letter, left))
            pairs[letter] = right
    if len(sources) < 2:
        raise _RowError("option_A", "a matching question needs at least 2 pairs")
    # Right-hand items get ids in alphabetical order, so neither ids nor order echo the pairs.
    ordered = sorted(targets, key=lambda t: (fold(t), t))
    target_id = {t: str(i) for i, t in enumerate(ordered, start=1)}
    body = {"sources": [{"id": letter, "html": to_html(text)} for letter, text in sources],
            "targets": [{"id": target_id[t], "html": to_html(t)} for t in ordered],
            "shuffle": _yes_no(row, "shuffle", True)}
    return body, {"pairs": {letter: target_id[right] for letter, right in pairs.items()},
                  "scoring": _scoring(row, "partial")}


def _build_ordering(row: _RowParser) -> tuple[dict[str, Any], dict[str, Any]]:
    options = _choice_options(row, minimum=2)
    order = _letters(row, options)
    if sorted(order) != sorted(letter for letter, _ in options):
        raise _RowError("key", "the answer must list every filled option once, in the right order "
                               "(e.g. C, A, D, B)")
    body = {"choices": [{"id": letter, "html": to_html(text)} for letter, text in options],
            "shuffle": _yes_no(row, "shuffle", True)}
    return body, {"order": order, "scoring": _scoring(row, "all_or_nothing")}


_BUILDERS = {
    "single_choice": _build_single_choice,
    "multiple_response": _build_multiple_response,
    "true_false_cluster": _build_true_false,
    "numeric": _build_numeric,
    "text_entry": _build_text_entry,
    "extended_text": _build_extended_text,
    "matching": _build_matching,
    "ordering": _build_ordering,
}
