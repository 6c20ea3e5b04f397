"""The indicators' tables: the organisation tree, the per-candidate facts the indicators are
counted from, the pre-aggregated cells every query reads, and the feed's outbox.

The indicators package follows the other packages through domain signals (core.signals) and
their read functions; it never reads their tables, and none of its tables has a foreign key into
them: a fact is a copy of what the indicators need to know about one candidate, kept in step
inside the transaction that changed it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.core.db import Base, UTCDateTime, utcnow

COUNT = BigInteger().with_variant(Integer, "sqlite")

# The whole exam: the cell every candidate counts in, whether or not their school is known.
ALL_UNITS = 0
ALL_GROUPS = ""


class OrgUnit(Base):
    """One unit of the organisation tree (province, commune, school, class, or any level a
    department adds). `path` is the ids from the root, "/1/7/42/", so a subtree is a prefix."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))               # province, commune, school, class, ...
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True)
    depth: Mapped[int] = mapped_column(Integer)
    school_group: Mapped[str] = mapped_column(String(16), default="")     # urban, suburban, remote
    level: Mapped[str] = mapped_column(String(32), default="")            # primary, lower/upper secondary
    ownership: Mapped[str] = mapped_column(String(16), default="")        # public, private
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OrgUnitVersion(Base):
    """Append-only history: every version of a unit (its parent, name and attributes) with the
    time it took effect, so a school that moved keeps where it was."""

    __tablename__ = "org_unit_versions"
    __table_args__ = (UniqueConstraint("unit_id", "version", name="uq_org_unit_versions_unit_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OrgUnitAncestor(Base):
    """The closure of the tree: (ancestor, unit) for every unit and each of its ancestors and
    itself. A full recompute joins the facts through it in one statement."""

    __tablename__ = "org_unit_ancestors"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    ancestor_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True, index=True)


class OfficialScope(Base):
    """The units an official (department or school admin) may see: each with its subtree."""

    __tablename__ = "official_scopes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)


class IndicatorExam(Base):
    """What the indicators know of an exam (its dimensions), and a revision that every change to
    its cells increases: the API's ETag and the feed's cursor."""

    __tablename__ = "indicator_exams"

    exam_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(32), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    school_year: Mapped[str] = mapped_column(String(9), index=True)   # "2026-2027": September to August
    term: Mapped[str] = mapped_column(String(16), default="", index=True)   # "2026-2027-HK1" (engine.term_of)
    month: Mapped[str] = mapped_column(String(7))                      # "2026-12"
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(COUNT, default=0)


class CandidateFact(Base):
    """One candidate of one exam as the indicators count them: where they sit in the tree, their
    attempt's status, identity check, incidents, time on test and current score (hundredths)."""

    __tablename__ = "indicator_facts"
    __table_args__ = (Index("ix_indicator_facts_exam_unit", "exam_id", "unit_id"),
                      # The mastery queue: only the stale facts are in it (a partial index).
                      Index("ix_indicator_facts_mastery_stale", "exam_id", "candidate_id",
                            postgresql_where=text("mastery_stale"), sqlite_where=text("mastery_stale")))

    candidate_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    exam_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)    # the class (or school) found for the roster row
    school_group: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="registered")
    chip_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    seconds_on_test: Mapped[int | None] = mapped_column(Integer)
    score_centi: Mapped[int | None] = mapped_column(Integer)          # 0..1000: the score x 100
    result_version: Mapped[int] = mapped_column(Integer, default=0)
    # What the mastery cells count of this candidate now: {"topic": {name: [points, max]},
    # "level": {...}} in thousandths of a point (mastery.py); None: nothing yet. mastery_stale: a
    # newer result was stored in the fact's transaction and the mastery refresher has not counted
    # it yet (the durable queue that keeps the item reads off the submit's path).
    mastery: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    mastery_stale: Mapped[bool] = mapped_column(Boolean, default=False)


CELL_COUNTERS = ("registered", "not_started", "in_progress", "paused", "submitted", "closed", "terminated",
                 "chip_verified", "incidents", "timed", "seconds_sum", "scored", "score_sum", "score_sq_sum",
                 "pass_n", "ge8_n", "kha_n", "dat_n", "chua_dat_n", "le1_n")


class IndicatorCell(Base):
    """Pre-aggregated counters of one exam over one unit's subtree (unit 0: the whole exam),
    for all schools (school_group "") or one school group. Every indicator is a ratio of sums
    of these, so a query over a province reads its own few rows, never the candidates."""

    __tablename__ = "indicator_cells"

    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)
    school_group: Mapped[str] = mapped_column(String(16), primary_key=True)
    registered: Mapped[int] = mapped_column(COUNT, default=0)
    not_started: Mapped[int] = mapped_column(COUNT, default=0)   # registered, no attempt or not begun
    in_progress: Mapped[int] = mapped_column(COUNT, default=0)
    paused: Mapped[int] = mapped_column(COUNT, default=0)
    submitted: Mapped[int] = mapped_column(COUNT, default=0)
    closed: Mapped[int] = mapped_column(COUNT, default=0)
    terminated: Mapped[int] = mapped_column(COUNT, default=0)
    chip_verified: Mapped[int] = mapped_column(COUNT, default=0)
    incidents: Mapped[int] = mapped_column(COUNT, default=0)
    timed: Mapped[int] = mapped_column(COUNT, default=0)
    seconds_sum: Mapped[int] = mapped_column(COUNT, default=0)
    scored: Mapped[int] = mapped_column(COUNT, default=0)
    score_sum: Mapped[int] = mapped_column(COUNT, default=0)       # hundredths: exact sums
    score_sq_sum: Mapped[int] = mapped_column(COUNT, default=0)
    pass_n: Mapped[int] = mapped_column(COUNT, default=0)          # >= 5.0
    ge8_n: Mapped[int] = mapped_column(COUNT, default=0)           # Tốt: >= 8.0
    kha_n: Mapped[int] = mapped_column(COUNT, default=0)           # Khá: 6.5 .. < 8.0
    dat_n: Mapped[int] = mapped_column(COUNT, default=0)           # Đạt: 5.0 .. < 6.5
    chua_dat_n: Mapped[int] = mapped_column(COUNT, default=0)      # Chưa đạt: < 5.0
    le1_n: Mapped[int] = mapped_column(COUNT, default=0)           # <= 1.0


class IndicatorScoreBin(Base):
    """How many scored candidates of a cell have each score (hundredths): the exact median and
    the distribution in 0.25 steps come from these, summed over any set of cells. A bin a rescore
    emptied stays with n = 0 (no delete on the hot path); readers ignore those."""

    __tablename__ = "indicator_score_bins"

    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    school_group: Mapped[str] = mapped_column(String(16), primary_key=True)
    score_centi: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(COUNT, default=0)


class IndicatorMasteryCell(Base):
    """Mastery of one topic or cognitive level (dimension "topic" or "level", value its name) in
    one cell: points earned and points possible on those items (thousandths), and the candidates
    who had such an item. Mastery % = points / max_points."""

    __tablename__ = "indicator_mastery_cells"

    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    school_group: Mapped[str] = mapped_column(String(16), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    candidates: Mapped[int] = mapped_column(COUNT, default=0)
    points_milli: Mapped[int] = mapped_column(COUNT, default=0)
    max_points_milli: Mapped[int] = mapped_column(COUNT, default=0)


class IndicatorFormQuality(Base):
    """Reliability of one form of an exam (Cronbach's alpha, KR-20 for 0/1 items, and the standard
    error of measurement), as the psychometrics library computed it over every scored candidate of
    the form at `computed_at` (quality.py). No row: no analysis yet, and the indicator is absent."""

    __tablename__ = "indicator_form_quality"

    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    form: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    alpha: Mapped[float | None] = mapped_column(Float)
    sem_points: Mapped[float | None] = mapped_column(Float)
    mean_points: Mapped[float] = mapped_column(Float)
    sd_points: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IndicatorFlaggedItem(Base):
    """An item version the psychometrics library flagged in an exam (too hard, too easy, low
    discrimination, a distractor nobody chose ...): its flags' codes and reasons."""

    __tablename__ = "indicator_flagged_items"

    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    identifier: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(300))
    n: Mapped[int] = mapped_column(Integer)
    p: Mapped[float] = mapped_column(Float)
    discrimination: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IndicatorDelta(Base):
    """The durable queue between a change and the cells: a transaction that moved facts appends
    what it adds to each cell and score bin (insert only: no lock on the exam's few hot cells, which
    every submit of the exam would otherwise hold until its commit, one submit after another); the
    folder (engine.fold) sums a batch into the cells, in key order, and deletes it. Committed with
    the change, so nothing is lost on a crash."""

    __tablename__ = "indicator_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    exam_id: Mapped[int] = mapped_column(Integer)
    # [[unit, group, [one value per CELL_COUNTERS]], ...] and [[unit, group, score_centi, n], ...]
    cells: Mapped[list[Any]] = mapped_column(JSON, default=list)
    bins: Mapped[list[Any]] = mapped_column(JSON, default=list)


class FeedEndpoint(Base):
    """An operations center (kind "indicators") or a Learning Record Store (kind "xapi") that
    receives signed deliveries. The secret signs (HMAC-SHA256); it is never shown again."""

    __tablename__ = "feed_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))     # None: every unit
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedCursor(Base):
    """The exam revision last put in an endpoint's outbox."""

    __tablename__ = "feed_cursors"

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("feed_endpoints.id"), primary_key=True)
    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(COUNT, default=0)


class FeedDelivery(Base):
    """The outbox: one JSON body for one endpoint, written in a transaction and sent after it,
    again and again with backoff until the endpoint answers 2xx (at least once; the receiver
    drops repeats by the idempotency key)."""

    __tablename__ = "feed_deliveries"
    __table_args__ = (Index("ix_feed_deliveries_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("feed_endpoints.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
