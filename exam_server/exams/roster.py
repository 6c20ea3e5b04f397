"""Candidate rosters from .xlsx or .csv with Vietnamese (or English) headers.

`parse_roster` writes nothing: it returns every row it could read *and* every problem, each with
the spreadsheet row number, the field and the reason. The caller imports only when there are no
errors, so a roster is imported whole or not at all.

Columns (header matching ignores case, diacritics, punctuation and notes in parentheses):
    Số báo danh (candidate number) · Họ và tên (full name) · Ngày sinh (dd/mm/yyyy or yyyy-mm-dd)
    · Số CCCD / Số định danh (citizen ID, 12 digits) · Trường (school) · Lớp (class)
    · Phòng thi (room, optional) · Thời gian cộng thêm (extra time: "15" minutes or "25%")
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

import openpyxl

from item_bank.text import fold

MAX_ROWS = 5_000
MAX_COLUMNS = 40
MAX_UNPACKED_BYTES = 50 * 2**20    # refuse zip bombs before openpyxl reads the workbook
HEADER_SCAN_ROWS = 10
MAX_EXTRA_MINUTES = 240
MAX_EXTRA_PERCENT = 100

HEADERS: dict[str, tuple[str, ...]] = {
    "candidate_number": ("Số báo danh", "SBD", "candidate number", "candidate_number"),
    "full_name": ("Họ và tên", "Họ tên", "full name", "full_name", "name"),
    "date_of_birth": ("Ngày sinh", "date of birth", "date_of_birth", "dob"),
    "citizen_id": ("Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân", "Căn cước công dân",
                   "citizen id", "citizen_id"),
    "school": ("Trường", "school"),
    "class_name": ("Lớp", "class", "class name", "class_name"),
    "room": ("Phòng thi", "Phòng", "room"),
    "extra_time": ("Thời gian cộng thêm", "Cộng thêm thời gian", "extra time", "extra_time"),
    "gender": ("Giới tính", "gender", "sex"),
    "row_number": ("STT", "TT", "No"),    # a running number: read and ignored
}
REQUIRED = ("candidate_number", "full_name", "date_of_birth", "citizen_id")
VI_LABELS = {name: names[0] for name, names in HEADERS.items()}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _key(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", text)
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


_LOOKUP = {_key(name): fieldname for fieldname, names in HEADERS.items() for name in names}


class RosterFileError(ValueError):
    """The file as a whole is not a readable roster (not a per-row problem)."""

    def __init__(self, message: str, code: str = "roster_unreadable"):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class RosterRow:
    row: int
    candidate_number: str
    full_name: str
    date_of_birth: dt.date
    citizen_id: str
    school: str = ""
    class_name: str = ""
    room: str | None = None
    extra_time_minutes: int | None = None
    extra_time_percent: int | None = None
    gender: str | None = None          # "male" | "female"; None: not recorded


# "Giới tính": Nam / Nữ (folded: nam / nu), or English; empty: not recorded (nullable)
GENDERS = {"nam": "male", "nu": "female", "male": "male", "female": "female", "m": "male", "f": "female"}


@dataclass
class RosterReport:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, fieldname: str | None, reason: str) -> None:
        self.errors.append({"row": row, "field": fieldname, "reason": reason})


def parse_roster(data: bytes, filename: str) -> RosterReport:
    if not data:
        raise RosterFileError(f"{filename}: the file is empty", "empty")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(f"{filename}: old Excel (.xls) files are not supported; save it as .xlsx")
    if data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(data, filename)
    else:
        if filename.lower().endswith((".xlsx", ".xls", ".ods", ".pdf", ".docx")):
            raise RosterFileError(f"{filename}: not a valid spreadsheet; upload an .xlsx or .csv file")
        rows = _csv_rows(data, filename)
    return _parse_rows(rows, filename)


# --- reading cells ----------------------------------------------------------------------------

def _xlsx_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise RosterFileError(f"{filename}: not a valid .xlsx file") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise RosterFileError(f"{filename}: the workbook is too large; split the file", "too_large")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                ws.reset_dimensions()
                out = []
                for number, cells in enumerate(ws.iter_rows(min_row=1, max_col=MAX_COLUMNS,
                                                             values_only=True), start=1):
                    out.append((number, list(cells)))
                    if len(out) > MAX_ROWS + HEADER_SCAN_ROWS + 1:
                        raise RosterFileError(f"{filename}: more than {MAX_ROWS} candidates; split the file",
                                              "too_many_rows")
                return out
            finally:
                wb.close()
        except RosterFileError:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError,
                AttributeError, SyntaxError) as exc:
            raise RosterFileError(f"{filename}: not a valid .xlsx file ({type(exc).__name__})") from None


def _csv_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RosterFileError(f"{filename}: not a UTF-8 text file; save it as \"CSV UTF-8\" or upload "
                              "the .xlsx file", "encoding") from None
    if "\x00" in text:
        raise RosterFileError(f"{filename}: not a spreadsheet (binary data)")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        rows = [(n, list(values)) for n, values in
                enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)]
    except csv.Error as exc:
        raise RosterFileError(f"{filename}: not a valid CSV file ({exc})") from None
    if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS + 1:
        raise RosterFileError(f"{filename}: more than {MAX_ROWS} candidates; split the file", "too_many_rows")
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", str(value))).split())


# --- parsing ----------------------------------------------------------------------------------

def _header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[int, str], list[dict]] | None:
    for k, (number, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {i: _LOOKUP.get(_key(_text(c))) for i, c in enumerate(cells) if _text(c)}
        if sum(1 for f in fields.values() if f in REQUIRED) >= 2:
            errors, columns, seen = [], {}, {}
            for i, name in fields.items():
                label = _text(cells[i])
                if name is None:
                    errors.append({"row": number, "field": label, "reason": f"unknown column \"{label}\""})
                elif name in seen:
                    errors.append({"row": number, "field": name,
                                   "reason": f"column \"{label}\" repeats column \"{seen[name]}\""})
                else:
                    seen[name] = label
                    columns[i] = name
            return k, columns, errors
    return None


def _parse_rows(rows: list[tuple[int, list[Any]]], filename: str) -> RosterReport:
    report = RosterReport()
    found = _header(rows)
    if found is None:
        raise RosterFileError(f"{filename}: no header row found; the first rows must include the "
                              "columns \"Số báo danh\", \"Họ và tên\", \"Ngày sinh\" and \"Số CCCD\"",
                              "no_header")
    k, columns, header_errors = found
    header_row = rows[k][0]
    report.errors.extend(header_errors)
    for name in REQUIRED:
        if name not in columns.values():
            report.error(header_row, name, f"the file has no \"{VI_LABELS[name]}\" ({name}) column")
    if report.errors:
        return report
    numbers: dict[str, int] = {}
    citizen_ids: dict[str, int] = {}
    for number, cells in rows[k + 1:]:
        values = {name: cells[i] for i, name in columns.items() if i < len(cells)}
        if all(_text(v) == "" for v in values.values()):
            continue
        row = _parse_row(number, values, report)
        if row is None:
            continue
        if row.candidate_number in numbers:
            report.error(number, "candidate_number", f"duplicate candidate number {row.candidate_number} "
                                                     f"(also on row {numbers[row.candidate_number]})")
            continue
        if row.citizen_id in citizen_ids:
            report.error(number, "citizen_id", f"duplicate citizen ID {row.citizen_id} "
                                               f"(also on row {citizen_ids[row.citizen_id]})")
            continue
        numbers[row.candidate_number] = number
        citizen_ids[row.citizen_id] = number
        report.rows.append(row)
    if not report.rows and not report.errors:
        report.error(header_row + 1, None, "the file has no candidates")
    return report


def _parse_row(number: int, values: dict[str, Any], report: RosterReport) -> RosterRow | None:
    before = len(report.errors)
    text = {name: _text(v) for name, v in values.items()}
    for name in REQUIRED:
        if not text.get(name):
            report.error(number, name, f"\"{VI_LABELS[name]}\" is empty")
    candidate_number = text.get("candidate_number", "")
    if candidate_number and not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", candidate_number):
        report.error(number, "candidate_number",
                     f"bad candidate number {candidate_number[:40]!r}: letters and digits, at most 32")
    full_name = text.get("full_name", "")
    if len(full_name) > 200:
        report.error(number, "full_name", "the name is longer than 200 characters")
    citizen_id = text.get("citizen_id", "")
    raw_id = values.get("citizen_id")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool) and 10 <= len(citizen_id) <= 11:
        # Excel stored the ID as a number and dropped its leading zeros (province codes 001..096).
        citizen_id = citizen_id.zfill(12)
    if citizen_id and not re.fullmatch(r"\d{12}", citizen_id):
        report.error(number, "citizen_id", f"bad citizen ID {citizen_id[:40]!r}: it must be exactly 12 digits")
    born = None
    if text.get("date_of_birth"):
        born = _parse_date(values["date_of_birth"])
        if born is None:
            report.error(number, "date_of_birth", f"bad date {text['date_of_birth'][:40]!r}: "
                                                  "write dd/mm/yyyy (or yyyy-mm-dd)")
    school, class_name = text.get("school", ""), text.get("class_name", "")
    if len(school) > 200:
        report.error(number, "school", "the school is longer than 200 characters")
    if len(class_name) > 50:
        report.error(number, "class_name", "the class is longer than 50 characters")
    room = text.get("room") or None
    if room is not None and len(room) > 100:
        report.error(number, "room", "the room name is longer than 100 characters")
    minutes = percent = None
    extra = text.get("extra_time", "")
    if extra:
        match = re.fullmatch(r"(\d{1,3})\s*(%|phút|phut|p|min|minutes)?", extra.lower())
        if match is None:
            report.error(number, "extra_time", f"bad extra time {extra[:40]!r}: write minutes (\"15\") "
                                               "or a percentage (\"25%\")")
        elif match.group(2) == "%":
            percent = int(match.group(1))
            if not 0 < percent <= MAX_EXTRA_PERCENT:
                report.error(number, "extra_time", f"extra time must be 1..{MAX_EXTRA_PERCENT}%")
        else:
            minutes = int(match.group(1))
            if not 0 < minutes <= MAX_EXTRA_MINUTES:
                report.error(number, "extra_time", f"extra time must be 1..{MAX_EXTRA_MINUTES} minutes")
    gender = None
    if text.get("gender"):
        gender = GENDERS.get(fold(text["gender"]).strip())
        if gender is None:
            report.error(number, "gender", f"bad gender {text['gender'][:20]!r}: write Nam or Nữ (or leave it empty)")
    if len(report.errors) > before:
        return None
    assert born is not None
    return RosterRow(row=number, candidate_number=candidate_number, full_name=full_name,
                     date_of_birth=born, citizen_id=citizen_id, school=school, class_name=class_name,
                     room=room, extra_time_minutes=minutes, extra_time_percent=percent, gender=gender)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        born = value.date()
    elif isinstance(value, dt.date):
        born = value
    else:
        text = _text(value)
        born = None
        for pattern, order in ((r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", "dmy"),
                               (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd")):
            match = re.fullmatch(pattern, text)
            if match:
                parts = [int(p) for p in match.groups()]
                day, month, year = parts if order == "dmy" else parts[::-1]
                try:
                    born = dt.date(year, month, day)
                except ValueError:
                    return None
                break
    if born is None or not dt.date(1900, 1, 1) <= born <= dt.date.today():
        return None
    return born

