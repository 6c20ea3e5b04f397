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


def item_versions(specs: list[tuple[str, str]]) -> list[int]:
    """Item versions with these (topic, cognitive level), straight in the bank's tables; ids."""
    from exam_server.bank.models import Item, ItemVersion, VersionStatus
    from exam_server.core.db import session

    owner = _owner()
    ids = []
    for topic, level in specs:
        item = Item(identifier=f"mastery-{len(ids)}-{id(specs)}", created_by_id=owner.id)
        session.add(item)
        session.flush()
        version = ItemVersion(item_id=item.id, number=1, status=VersionStatus.APPROVED, title=topic,
                              item_type="single_choice", subject="math", grade=12, topic=topic, cognitive_level=level,
                              stem="?", body={}, answer_key={}, search_text="", created_by_id=owner.id)
        session.add(version)
        session.flush()
        ids.append(version.id)
    return ids


def store_result(exam_id: int, candidate_id: int, items: list[tuple[int, str, str]]) -> None:
    """A new result version of the candidate's attempt with these items (version id, points,
    max points), in the results' tables, and the result_stored signal the results package sends
    (score: points / max x 10)."""
    from decimal import Decimal

    from sqlalchemy import func, select

    from exam_server.core import signals
    from exam_server.core.db import session
    from exam_server.live.models import Attempt, AttemptStatus
    from exam_server.results.models import Result, ResultItem

    attempt = session.scalar(select(Attempt).where(Attempt.candidate_id == candidate_id))
    if attempt is None:
        attempt = Attempt(exam_id=exam_id, candidate_id=candidate_id, status=AttemptStatus.SUBMITTED)
        session.add(attempt)
        session.flush()
    version = (session.scalar(select(func.max(Result.version)).where(Result.attempt_id == attempt.id)) or 0) + 1
    raw = sum((Decimal(p) for _v, p, _m in items), Decimal(0))
    most = sum((Decimal(m) for _v, _p, m in items), Decimal(0))
    score = (raw / most * 10).quantize(Decimal("0.01")) if most else Decimal(0)
    result = Result(attempt_id=attempt.id, candidate_id=candidate_id, exam_id=exam_id, version=version,
                    status="final", raw_points=raw, max_points=most, score=score, pending_essays=0, reason="test",
                    computed_at=datetime.now(UTC))
    session.add(result)
    session.flush()
    session.add_all([ResultItem(result_id=result.id, question_number=n, item_version_id=v, response=None,
                                max_points=Decimal(m), fraction=Decimal(p) / Decimal(m), points=Decimal(p))
                     for n, (v, p, m) in enumerate(items, 1)])
    session.flush()
    signals.result_stored.send(exam_id, result_id=result.id, attempt_id=attempt.id, candidate_id=candidate_id,
                               version=version, status="final", score=score, raw_points=raw, max_points=most,
                               reason="test", at=result.computed_at)


def _owner():
    from sqlalchemy import select

    from exam_server.accounts.models import Role, User
    from exam_server.core.db import session

    owner = session.scalar(select(User).where(User.username == "factory-owner"))
    if owner is None:
        owner = User(username="factory-owner", full_name="Owner", password_hash="x", role=Role.ADMIN)
        session.add(owner)
        session.flush()
    return owner


def mastery_cells_of(exam_id: int) -> dict:
    """Every non-empty mastery cell of an exam: {(unit, group, dimension, value): (n, points, max)}."""
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.indicators.models import IndicatorMasteryCell as M

    return {(m.unit_id, m.school_group, m.dimension, m.value): (int(m.candidates), int(m.points_milli),
                                                                 int(m.max_points_milli))
            for m in session.scalars(select(M).where(M.exam_id == exam_id).execution_options(populate_existing=True))
            if m.candidates or m.points_milli or m.max_points_milli}
