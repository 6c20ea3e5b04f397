"""Machine readable zone helpers (ICAO 9303-3 sec. 4.9 check digits, 9303-5 TD1).

Vietnamese CCCD line 1 looks like ``IDVNM<9 digits><cd><12-digit ID>...``:
the 9-character document number is followed in the optional data by the full
personal ID number; that is ordinary optional data, not a long-number extension.
"""
from __future__ import annotations

from dataclasses import dataclass, field

_WEIGHTS = (7, 3, 1)


class MrzError(ValueError):
    """Text that is not a TD1 MRZ (wrong length, illegal characters)."""


def _char_value(c: str) -> int:
    if c.isdigit():
        return ord(c) - 48
    if "A" <= c <= "Z":
        return ord(c) - 55
    if c == "<":
        return 0
    raise MrzError(f"illegal MRZ character {c!r}")


def check_digit(data: str) -> str:
    """9303-3 sec. 4.9: weights 7,3,1; A..Z = 10..35; '<' = 0; sum mod 10."""
    return str(sum(_char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data)) % 10)


def _clean(field_: str) -> str:
    return field_.upper().replace(" ", "")


def mrz_info(document_number: str, date_of_birth: str, date_of_expiry: str) -> str:
    """MRZ information used as BAC/PACE password (9303-11 sec. 9.7.2 / 4.4.4.1).

    Document number padded with '<' to 9 characters; a longer number is used in
    full (its check digit computed over all of it).  Dates are YYMMDD.
    """
    doc = _clean(document_number)
    if len(doc) < 9:
        doc = doc + "<" * (9 - len(doc))
    for d in (date_of_birth, date_of_expiry):
        if len(d) != 6 or not d.isdigit():
            raise MrzError(f"date must be YYMMDD, got {d!r}")
    return doc + check_digit(doc) + date_of_birth + check_digit(date_of_birth) + \
        date_of_expiry + check_digit(date_of_expiry)


@dataclass
class TD1:
    document_code: str
    issuing_state: str
    document_number: str
    optional_data_1: str
    date_of_birth: str
    sex: str
    date_of_expiry: str
    nationality: str
    optional_data_2: str
    primary_identifier: str
    secondary_identifier: str
    checks: dict[str, bool] = field(default_factory=dict)
    lines: tuple[str, str, str] = ("", "", "")

    @property
    def valid(self) -> bool:
        return all(self.checks.values())

    @property
    def name(self) -> str:
        return f"{self.primary_identifier} {self.secondary_identifier}".strip()

    def mrz_info(self) -> str:
        return mrz_info(self.document_number, self.date_of_birth, self.date_of_expiry)


def _name(s: str) -> tuple[str, str]:
    primary, _, secondary = s.partition("<<")
    return primary.replace("<", " ").strip(), secondary.replace("<", " ").strip()


def split_lines(text: str | bytes) -> tuple[str, str, str]:
    """Accept 90 characters or three 30-character lines."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    flat = "".join(text.split())
    if len(flat) != 90:
        raise MrzError(f"TD1 MRZ must have 90 characters, got {len(flat)}")
    for c in flat:
        _char_value(c)
    return flat[:30], flat[30:60], flat[60:90]


def parse_td1(text: str | bytes) -> TD1:
    """Parse a TD1 MRZ (9303-5 sec. 4.2.2), including the long document number
    extension: number[5:14] ends with '<' at position 15 and continues in the
    optional data up to the next '<', whose last character is the check digit."""
    l1, l2, l3 = split_lines(text)
    number, cd, opt1 = l1[5:14], l1[14], l1[15:30]
    checks: dict[str, bool] = {}
    if cd == "<" and opt1 and opt1[0] != "<":
        ext = opt1.split("<", 1)[0]
        number_full = number + ext[:-1]
        checks["document_number"] = len(ext) >= 2 and check_digit(number_full) == ext[-1]
        opt1 = opt1[len(ext):]
        doc = number_full
    else:
        doc = number.rstrip("<")
        checks["document_number"] = check_digit(number) == cd
    checks["date_of_birth"] = check_digit(l2[0:6]) == l2[6]
    checks["date_of_expiry"] = check_digit(l2[8:14]) == l2[14]
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    checks["composite"] = check_digit(composite) == l2[29]
    primary, secondary = _name(l3)
    return TD1(
        document_code=l1[0:2].replace("<", ""),
        issuing_state=l1[2:5].replace("<", ""),
        document_number=doc,
        optional_data_1=opt1.strip("<"),
        date_of_birth=l2[0:6],
        sex=l2[7].replace("<", "X"),
        date_of_expiry=l2[8:14],
        nationality=l2[15:18].replace("<", ""),
        optional_data_2=l2[18:29].strip("<"),
        primary_identifier=primary,
        secondary_identifier=secondary,
        checks=checks,
        lines=(l1, l2, l3),
    )


def build_td1(document_number: str, date_of_birth: str, sex: str, date_of_expiry: str,
              primary: str, secondary: str, *, document_code: str = "ID", issuing_state: str = "VNM",
              nationality: str = "VNM", optional_data_1: str = "", optional_data_2: str = "") -> str:
    """Compose a TD1 MRZ with correct check digits (tests and the simulator)."""
    def fit(s: str, n: int) -> str:
        s = _clean(s).replace(" ", "<")
        if len(s) > n:
            raise MrzError(f"field {s!r} longer than {n}")
        return s + "<" * (n - len(s))

    doc = _clean(document_number)
    if len(doc) > 9:
        head = doc[:9] + "<" + doc[9:] + check_digit(doc) + "<" + optional_data_1
        l1 = fit(document_code, 2) + fit(issuing_state, 3) + fit(head, 25)
    else:
        l1 = (fit(document_code, 2) + fit(issuing_state, 3) + fit(doc, 9) + check_digit(fit(doc, 9))
              + fit(optional_data_1, 15))
    l2 = (date_of_birth + check_digit(date_of_birth) + fit(sex or "<", 1) + date_of_expiry
          + check_digit(date_of_expiry) + fit(nationality, 3) + fit(optional_data_2, 11))
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    l2 += check_digit(composite)
    name = fit(primary.replace(" ", "<") + "<<" + secondary.replace(" ", "<"), 30)
    return f"{l1}\n{l2}\n{name}"


def vn_document_number(id_number: str) -> str:
    """Document number printed in a Vietnamese CCCD's MRZ: the last 9 digits of
    the 12-digit personal ID number (observed on issued cards, not an ICAO
    rule; the MRZ itself remains authoritative when it can be scanned)."""
    digits = id_number.strip()
    if len(digits) != 12 or not digits.isdigit():
        raise MrzError("Vietnamese ID number must be 12 digits")
    return digits[3:]
