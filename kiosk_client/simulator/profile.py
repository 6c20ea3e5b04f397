"""Card holder profile (JSON) for the simulated CCCD."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, fields
from pathlib import Path

from . import mrz

PROFILES_DIR = Path(__file__).with_name("profiles")
DEFAULT_PROFILE = PROFILES_DIR / "nguyen_van_an.json"


@dataclass(frozen=True)
class Profile:
    id_number: str
    full_name: str
    date_of_birth: _dt.date
    sex: str
    nationality: str
    ethnicity: str
    religion: str
    place_of_origin: str
    place_of_residence: str
    identifying_marks: str
    date_of_issue: _dt.date
    date_of_expiry: _dt.date
    father_name: str
    mother_name: str
    old_id_number: str
    photo: Path
    spouse_name: str = ""

    @property
    def document_number(self) -> str:
        return mrz.document_number(self.id_number)

    @property
    def can(self) -> str:
        """Card Access Number for PACE: on a CCCD the last 6 digits of the ID number."""
        return self.id_number[-6:]

    @property
    def mrz_lines(self) -> tuple[str, str, str]:
        return mrz.td1(self.id_number, self.full_name, self.date_of_birth, self.sex, self.date_of_expiry)

    @property
    def mrz_info(self) -> str:
        """BAC / PACE-MRZ password input (document number, DOB, DOE with check digits)."""
        return mrz.bac_key_seed_input(self.id_number, self.date_of_birth, self.date_of_expiry)

    def with_changes(self, **changes) -> Profile:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(changes)
        return Profile(**data)


def _date(value: str, key: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"profile field {key!r} must be an ISO date YYYY-MM-DD, got {value!r}") from None


def load_profile(path: Path | str) -> Profile:
    """Read and check a profile; a relative photo path is relative to the profile file."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    required = [f.name for f in fields(Profile) if f.name != "spouse_name"]
    missing = [k for k in required if k not in data]
    if missing:
        raise ValueError(f"{path}: missing profile fields {', '.join(missing)}")
    unknown = sorted(set(data) - {f.name for f in fields(Profile)})
    if unknown:
        raise ValueError(f"{path}: unknown profile fields {', '.join(unknown)}")
    idn = str(data["id_number"])
    if len(idn) != 12 or not idn.isdigit():
        raise ValueError(f"{path}: id_number must be 12 digits, got {idn!r}")
    photo = Path(data["photo"])
    if not photo.is_absolute():
        photo = path.parent / photo
    for k in ("date_of_birth", "date_of_issue", "date_of_expiry"):
        data[k] = _date(data[k], k)
    data["id_number"] = idn
    data["photo"] = photo
    return Profile(**data)
