"""What an exam still needs before it can be published: instead of "no status change is possible
from here", the admin sees each step and whether it is done.

Steps, in the order an admin does them: a window still ahead, rooms, a proctor in every room,
a roster, every candidate seated in a room, a blueprint, the forms assembled. Publishing itself
is still refused only by the lifecycle rules (not assembled, window over); the checklist says why
an exam is not ready, in words.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from exam_server.exams import services
from exam_server.exams.models import Exam, ExamStatus


@dataclass(frozen=True)
class Step:
    key: str
    done: bool
    label: str
    detail: str = ""


def checklist(exam: Exam, now: datetime | None = None) -> list[Step]:
    now = now or datetime.now(UTC)
    rooms = services.list_rooms(exam)
    candidates = services.list_candidates(exam)
    unseated = sum(1 for c in candidates if c.room_id is None)
    without_proctor = [r.name for r in rooms if not r.proctors]
    assembled = exam.status != ExamStatus.DRAFT and bool(services.list_forms(exam))
    return [
        Step("window", exam.closes_at > now, str(_l("The exam window is still ahead")),
             "" if exam.closes_at > now else str(_l("The window has closed: change the dates in the settings."))),
        Step("rooms", bool(rooms), str(_l("At least one room")),
             "" if rooms else str(_l("Add a room below."))),
        Step("proctors", bool(rooms) and not without_proctor, str(_l("A proctor in every room")),
             str(_l("Without a proctor: %(rooms)s", rooms=", ".join(without_proctor))) if without_proctor else ""),
        Step("roster", bool(candidates), str(_l("A roster of candidates")),
             "" if candidates else str(_l("Upload the roster (XLSX or CSV)."))),
        Step("seating", bool(candidates) and not unseated, str(_l("Every candidate in a room")),
             ngettext("%(num)d candidate has no room.", "%(num)d candidates have no room.", unseated)
             if unseated else ""),
        Step("blueprint", bool(exam.blueprint), str(_l("A blueprint")),
             "" if exam.blueprint else str(_l("Set the blueprint (ma trận đề)."))),
        Step("forms", assembled, str(_l("Forms assembled from the bank")),
             "" if assembled else str(_l("Assemble the forms once the blueprint is set."))),
    ]
