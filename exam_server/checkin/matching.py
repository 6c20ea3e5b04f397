"""Match what the chip says against the candidates scheduled in a room.

The 12-digit ID number picks the candidate; the full name (folded: diacritics and case do not
count, nor extra spaces) and the date of birth must then agree. A card whose number is not on the
roster but whose name and birth date are is a mismatch too (the proctor must look), not a stranger.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from item_bank.text import fold


def name_key(name: str | None) -> str:
    """'NGUYEN<<VAN<AN' (MRZ), 'Nguyễn  Văn An' -> 'nguyen van an'."""
    text = (name or "").replace("<", " ")
    return re.sub(r"\s+", " ", fold(text)).strip()


@dataclass
class Match:
    outcome: str                    # "verified" | "mismatch" | "no_candidate"
    candidate: Any = None
    reasons: list[str] = field(default_factory=list)


def match_candidate(identity: dict[str, Any], candidates: Iterable[Any]) -> Match:
    roster = list(candidates)
    id_number = (identity.get("id_number") or "").strip()
    name, dob = name_key(identity.get("full_name")), identity.get("date_of_birth")
    by_id = [c for c in roster if id_number and c.citizen_id == id_number]
    if by_id:
        cand = by_id[0]
        reasons = []
        if name_key(cand.full_name) != name:
            reasons.append(f"name on the chip ({identity.get('full_name')}) differs from the roster "
                           f"({cand.full_name})")
        if not isinstance(dob, dt.date) or cand.date_of_birth != dob:
            shown = dob.isoformat() if isinstance(dob, dt.date) else "unreadable"
            reasons.append(f"date of birth on the chip ({shown}) differs from the roster "
                           f"({cand.date_of_birth.isoformat()})")
        return Match("mismatch" if reasons else "verified", cand, reasons)
    alike = [c for c in roster if name and name_key(c.full_name) == name and c.date_of_birth == dob]
    if len(alike) == 1:
        return Match("mismatch", alike[0], [(f"ID number on the chip ({id_number or 'none'}) is not the "
                                            f"roster's ({alike[0].citizen_id}) for this name and birth date")])
    return Match("no_candidate", None, [(f"no candidate with ID number {id_number or '(none)'} is "
                                        f"scheduled in this room now")])
