"""TD1 (3 x 30) MRZ of a Vietnamese CCCD, as written into DG1 by the simulator.

The card simulator needs it twice: for DG1 and for the BAC/PACE password (document number,
birth and expiry date with their check digits).
"""

from __future__ import annotations

import datetime as _dt
import unicodedata

_WEIGHTS = (7, 3, 1)


def check_digit(field: str) -> str:
    """ICAO 9303 part 3 check digit: weights 7-3-1, '<' = 0, A=10 .. Z=35."""
    total = 0
    for i, ch in enumerate(field):
        if ch.isdigit():
            v = int(ch)
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        elif ch == "<":
            v = 0
        else:
            raise ValueError(f"character {ch!r} not allowed in an MRZ field")
        total += v * _WEIGHTS[i % 3]
    return str(total % 10)


def transliterate(text: str) -> str:
    """Vietnamese to MRZ characters: strip diacritics, Đ -> D, upper case, others -> '<'."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return "".join(c if ("A" <= c <= "Z" or c.isdigit()) else "<" for c in ascii_only)


def yymmdd(date: _dt.date) -> str:
    return date.strftime("%y%m%d")


def name_field(full_name: str, width: int = 30) -> str:
    """'Nguyễn Văn An' -> 'NGUYEN<<VAN<AN<<<...': the family name comes first in Vietnamese."""
    words = [transliterate(w) for w in full_name.split()]
    if not words:
        raise ValueError("empty name")
    primary, secondary = words[0], "<".join(words[1:])
    field = primary + "<<" + secondary if secondary else primary
    # ICAO truncation would be smarter; cutting is enough for test data.
    return field[:width].ljust(width, "<")


def document_number(id_number: str) -> str:
    """The MRZ document number of a CCCD is the last 9 digits of the 12-digit ID number."""
    if len(id_number) != 12 or not id_number.isdigit():
        raise ValueError(f"a CCCD number has 12 digits, got {id_number!r}")
    return id_number[-9:]


def sex_code(sex: str) -> str:
    s = sex.strip().lower()
    if s in ("nam", "m", "male"):
        return "M"
    if s in ("nữ", "nu", "f", "female"):
        return "F"
    return "<"


def td1(
    id_number: str,
    full_name: str,
    date_of_birth: _dt.date,
    sex: str,
    date_of_expiry: _dt.date,
    nationality: str = "VNM",
) -> tuple[str, str, str]:
    """The three MRZ lines of a CCCD."""
    doc = document_number(id_number)
    # Optional data 1 carries the full 12-digit ID number, as on the printed card.
    line1 = ("IDVNM" + doc + check_digit(doc) + id_number).ljust(30, "<")
    dob, doe = yymmdd(date_of_birth), yymmdd(date_of_expiry)
    head = dob + check_digit(dob) + sex_code(sex) + doe + check_digit(doe) + nationality
    head = head.ljust(29, "<")
    composite = line1[5:30] + head[0:7] + head[8:15] + head[18:29]
    line2 = head + check_digit(composite)
    line3 = name_field(full_name)
    assert len(line1) == len(line2) == len(line3) == 30
    return line1, line2, line3


def bac_key_seed_input(id_number: str, date_of_birth: _dt.date, date_of_expiry: _dt.date) -> str:
    """'MRZ information' that BAC and PACE(MRZ) hash: doc no + cd + DOB + cd + DOE + cd."""
    doc = document_number(id_number)
    dob, doe = yymmdd(date_of_birth), yymmdd(date_of_expiry)
    return doc + check_digit(doc) + dob + check_digit(dob) + doe + check_digit(doe)
