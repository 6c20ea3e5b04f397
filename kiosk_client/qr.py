"""The QR code on the front of a Vietnamese chip ID card (CCCD) and the chip keys it gives.

QR text (UTF-8)::

    ID12|oldID9|Full name|ddmmyyyy (birth)|sex|address|ddmmyyyy (issue)

The old 9-digit CMND number may be empty. From it we derive what the chip needs:

* CAN (PACE)          = last 6 digits of the 12-digit ID number;
* MRZ document number = last 9 digits of the ID number (``emrtd.mrz.vn_document_number``);
* date of birth       = YYMMDD;
* date of expiry      = not in the QR, so *candidates* from the renewal rule below.

Renewal rule (Law on Citizen Identification 2014 art. 21, Law on Identification 2023
art. 21): a card must be renewed when its holder reaches 14, 25, 40 and 60; a card issued
within the 2 years before one of those ages stays valid until the next one; a card
issued at 58 or later never expires. The printed "valid until" date -- and the MRZ date
of expiry -- is the birthday at that age; we also try the day before it (some
documents count "until the day before the birthday"), and the neighbouring milestones
in case the issue date in the QR is a re-issue date.

No expiry: the printed card says "Không thời hạn"; its MRZ needs a 6-digit date. We try
``991231`` first (the common "unlimited" encoding in national ID MRZs, and what readers
of over-60 CCCDs report), then the 100th birthday (same YYMMDD as the birth date), then
the day before it. The card itself is authoritative: the candidates are only tried in
order until BAC/PACE succeeds; with PACE and the CAN no date is needed at all.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from kiosk_client.emrtd.mrz import MrzError, mrz_info, vn_document_number

MILESTONES = (14, 25, 40, 60)
GRACE_YEARS = 2  # issued within this many years before a milestone: valid to the next one
NO_EXPIRY_CODES = ("991231",)  # tried first for cards without an expiry date (see module doc)


class QrError(ValueError):
    """Text that is not a CCCD QR payload."""


def _date(text: str, what: str) -> _dt.date:
    if not re.fullmatch(r"\d{8}", text):
        raise QrError(f"{what} must be 8 digits ddmmyyyy, got {text!r}")
    try:
        return _dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise QrError(f"{what} is not a valid date: {text!r}") from None


def birthday(dob: _dt.date, age: int) -> _dt.date:
    """The date the holder turns ``age`` (29 February -> 28 February in common years)."""
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:
        return dob.replace(year=dob.year + age, day=28)


def expiry_milestone(dob: _dt.date, issued: _dt.date) -> int | None:
    """The age at whose birthday a card issued on ``issued`` expires; None = never."""
    for age in MILESTONES:
        if issued >= birthday(dob, age):
            continue  # milestone already passed at issue
        if issued >= birthday(dob, age - GRACE_YEARS):
            continue  # issued within 2 years before it: runs to the next milestone
        return age
    return None


def _yymmdd(d: _dt.date) -> str:
    return d.strftime("%y%m%d")


def expiry_candidates(dob: _dt.date, issued: _dt.date) -> list[str]:
    """Ordered YYMMDD candidates for the MRZ date of expiry, most likely first."""
    out: list[str] = []

    def add(code: str) -> None:
        if code not in out:
            out.append(code)

    def around(age: int) -> None:
        day = birthday(dob, age)
        add(_yymmdd(day))
        add(_yymmdd(day - _dt.timedelta(days=1)))
        if dob.month == 2 and dob.day == 29:  # leap-day births: 1 March in common years too
            add(_yymmdd(day + _dt.timedelta(days=1)))

    age = expiry_milestone(dob, issued)
    if age is None:
        for code in NO_EXPIRY_CODES:
            add(code)
        around(100)
        return out
    around(age)
    # Neighbours: the rule applied without the 2-year grace, or one milestone further.
    i = MILESTONES.index(age)
    for other in (MILESTONES[i - 1] if i else None, MILESTONES[i + 1] if i + 1 < len(MILESTONES) else None):
        if other is not None and birthday(dob, other) > issued:
            around(other)
    if age == MILESTONES[-1]:
        for code in NO_EXPIRY_CODES:
            add(code)
    return out


@dataclass(frozen=True)
class QrData:
    id_number: str
    old_id_number: str
    full_name: str
    date_of_birth: _dt.date
    sex: str
    address: str
    date_of_issue: _dt.date
    raw: str = field(default="", repr=False, compare=False)

    @property
    def document_number(self) -> str:
        return vn_document_number(self.id_number)

    @property
    def can(self) -> str:
        return self.id_number[-6:]

    @property
    def birth_yymmdd(self) -> str:
        return _yymmdd(self.date_of_birth)

    @property
    def expiry_candidates(self) -> list[str]:
        return expiry_candidates(self.date_of_birth, self.date_of_issue)

    def mrz_informations(self) -> list[str]:
        """BAC/PACE-MRZ passwords, one per expiry candidate, in order."""
        return [mrz_info(self.document_number, self.birth_yymmdd, e) for e in self.expiry_candidates]


def parse_qr(text: str | bytes) -> QrData:
    """Parse a CCCD QR payload; QrError for anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise QrError("QR payload is not UTF-8") from None
    if not isinstance(text, str):
        raise QrError("QR payload must be text")
    s = text.strip().lstrip("\ufeff")
    s = s.removesuffix("|")
    parts = [p.strip() for p in s.split("|")]
    if len(parts) != 7:
        raise QrError(f"CCCD QR has 7 fields separated by '|', got {len(parts)}")
    idn, old, name, dob, sex, address, issued = parts
    if not re.fullmatch(r"\d{12}", idn):
        raise QrError(f"ID number must be 12 digits, got {idn!r}")
    if old and not re.fullmatch(r"\d{9}", old):
        raise QrError(f"old ID number must be 9 digits or empty, got {old!r}")
    if not name:
        raise QrError("full name is empty")
    birth = _date(dob, "date of birth")
    issue = _date(issued, "date of issue")
    if issue < birth:
        raise QrError("date of issue is before the date of birth")
    try:
        vn_document_number(idn)
    except MrzError as exc:  # pragma: no cover - covered by the regex above
        raise QrError(str(exc)) from None
    return QrData(idn, old, name, birth, sex, address, issue, raw=text)
