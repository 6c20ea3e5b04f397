"""A small organisation tree and an exam with a roster placed in it, for the indicators' tests."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

UNITS = [
    # code, name, kind, parent, school group
    ("P1", "Tỉnh Một", "province", "", ""),
    ("C1", "Xã Một", "commune", "P1", ""),
    ("C2", "Phường Hai", "commune", "P1", ""),
    ("S1", "THPT Thành Phố", "school", "C2", "urban"),
    ("S2", "THPT Vùng Cao", "school", "C1", "remote"),
    ("S3", "THPT Ven Đô", "school", "C1", "suburban"),
    ("S1-12A", "12A", "class", "S1", ""),
    ("S1-12B", "12B", "class", "S1", ""),
]


def units_csv(rows=UNITS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mã đơn vị", "Tên", "Loại", "Mã đơn vị cha", "Nhóm trường"])
    writer.writerows(rows)
    return out.getvalue().encode()


def load_units(rows=UNITS) -> dict[str, int]:
    """Import the tree (inside an app context, committed); code -> unit id."""
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.indicators.models import OrgUnit
    from exam_server.indicators.units import import_units

    import_units(units_csv(rows), "units.csv", datetime.now(UTC))
    session.commit()
    return dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())


def bare_exam(placements: list[tuple[str, str]], *, subject: str = "math", grade: int = 12,
              opens_at: datetime | None = None) -> tuple[int, list[int]]:
    """An exam row and its candidates (school text, class text), straight in the exams' tables
    (a test factory: the indicators only read them through exams.stats). Sends candidates_added
    like a roster import. Returns (exam id, candidate ids)."""
    from sqlalchemy import select

    from exam_server.accounts.models import Role, User
    from exam_server.core import signals
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, DeliveryMode, Exam, ExamStatus, ScoreRounding

    owner = session.scalar(select(User).where(User.username == "factory-owner"))
    if owner is None:
        owner = User(username="factory-owner", full_name="Owner", password_hash="x", role=Role.ADMIN)
        session.add(owner)
        session.flush()
    opens = opens_at or datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    exam = Exam(title=f"Kiểm tra {subject}", subject=subject, grade=grade, opens_at=opens, closes_at=opens,
                duration_minutes=60, score_rounding=ScoreRounding.QUARTER, delivery_mode=DeliveryMode.ALL_ON_PAGE,
                status=ExamStatus.DRAFT, created_by_id=owner.id)
    session.add(exam)
    session.flush()
    made = []
    for i, (school, class_name) in enumerate(placements):
        candidate = Candidate(exam_id=exam.id, candidate_number=f"{exam.id:03d}{i:05d}", full_name=f"Thí sinh {i}",
                              date_of_birth=date(2009, 1, 1), citizen_id=f"{exam.id:04d}{i:08d}", school=school,
                              class_name=class_name)
        session.add(candidate)
        made.append(candidate)
    session.flush()
    signals.candidates_added.send(exam.id, candidate_ids=[c.id for c in made])
    return exam.id, [c.id for c in made]


def cells_of(exam_id: int) -> tuple[dict, dict]:
    """Every non-empty cell and score bin of an exam, as plain dicts (for comparing), once the
    deltas queued in this transaction are folded."""
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.indicators.fold import fold

    fold()
    from exam_server.indicators.models import CELL_COUNTERS, IndicatorCell, IndicatorScoreBin

    cells = {}
    for cell in session.scalars(select(IndicatorCell).where(IndicatorCell.exam_id == exam_id)):
        values = tuple(int(getattr(cell, name)) for name in CELL_COUNTERS)
        if any(values):
            cells[(cell.unit_id, cell.school_group)] = dict(zip(CELL_COUNTERS, values))
    bins = {(b.unit_id, b.school_group, b.score_centi): int(b.n)
            for b in session.scalars(select(IndicatorScoreBin).where(IndicatorScoreBin.exam_id == exam_id)) if b.n}
    return cells, bins
