"""TD1 (3 x 30) MRZ of a Vietnamese CCCD as the simulator writes it into DG1.

Check digits and the TD1 layout come from emrtd.mrz; what is CCCD-specific lives here:
the document number is the last 9 digits of the 12-digit ID number, optional data 1 holds
the full ID number, and names are Vietnamese (family name first, diacritics stripped).
"""

from __future__ import annotations

import datetime as _dt
import unicodedata

from kiosk_client.emrtd.mrz import build_td1, check_digit, mrz_info

__all__ = ["bac_key_seed_input", "check_digit", "document_number", "td1", "transliterate"]


def transliterate(text: str) -> str:
    """Vietnamese to MRZ characters: strip diacritics, Đ -> D, upper case, others -> '<'."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return "".join(c if ("A" <= c <= "Z" or c.isdigit()) else "<" for c in ascii_only)


def yymmdd(date: _dt.date) -> str:
    return date.strftime("%y%m%d")


def name_parts(full_name: str, width: int = 30) -> tuple[str, str]:
    """'Nguyễn Văn An' -> ('NGUYEN', 'VAN<AN'), cut to fit the 30-character name line."""
    words = [transliterate(w) for w in full_name.split()]
    if not words:
        raise ValueError("empty name")
    primary, secondary = words[0], "<".join(words[1:])
    room = width - len(primary) - 2
    return primary[:width], secondary[:max(room, 0)]


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


def td1(id_number: str, full_name: str, date_of_birth: _dt.date, sex: str,
        date_of_expiry: _dt.date) -> tuple[str, str, str]:
    """The three MRZ lines of a CCCD."""
    primary, secondary = name_parts(full_name)
    text = build_td1(document_number(id_number), yymmdd(date_of_birth), sex_code(sex), yymmdd(date_of_expiry),
                     primary, secondary, optional_data_1=id_number)
    l1, l2, l3 = text.split("\n")
    return l1, l2, l3


def bac_key_seed_input(id_number: str, date_of_birth: _dt.date, date_of_expiry: _dt.date) -> str:
    """'MRZ information' that BAC and PACE(MRZ) hash: doc no + cd + DOB + cd + DOE + cd."""
    return mrz_info(document_number(id_number), yymmdd(date_of_birth), yymmdd(date_of_expiry))
