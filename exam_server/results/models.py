"""The results' tables. Results are append-only: a rescore (an essay resolved, a correction)
adds a new version; the highest version of an attempt is its current result."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.core.db import Base, UTCDateTime, utcnow

POINTS = Numeric(9, 4)
FRACTION = Numeric(7, 5)


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("attempt_id", "version", name="uq_results_attempt_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))              # "provisional" | "final"
    raw_points: Mapped[Decimal] = mapped_column(POINTS)
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))        # 0..10, rounded per the exam
    pending_essays: Mapped[int] = mapped_column(Integer, default=0)
    theta: Mapped[float | None] = mapped_column(Float)            # adaptive exams: the EAP ability
    theta_se: Mapped[float | None] = mapped_column(Float)         # and its posterior SD
    reason: Mapped[str] = mapped_column(String(64))              # "submit", "essay", "correction:<id>"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[ResultItem]] = relationship(back_populates="result", order_by="ResultItem.question_number")


class ResultItem(Base):
    __tablename__ = "result_items"
    __table_args__ = (UniqueConstraint("result_id", "question_number", name="uq_result_items_result_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    question_number: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    response: Mapped[Any] = mapped_column(JSON)
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    fraction: Mapped[Decimal | None] = mapped_column(FRACTION)   # None: an essay awaiting its score
    points: Mapped[Decimal | None] = mapped_column(POINTS)
    needs_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    invalid: Mapped[bool] = mapped_column(Boolean, default=False)

    result: Mapped[Result] = relationship(back_populates="items")


class EssayPolicy(Base):
    """An exam's essay marking rule: a second independent scorer or not, and the largest gap
    (in the question's points) between two scores that is settled by their mean; a larger gap
    needs a third, resolution score."""

    __tablename__ = "essay_policies"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), primary_key=True)
    second_scorer_required: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_threshold_points: Mapped[Decimal] = mapped_column(POINTS, default=Decimal("0.5"))


class EssayScore(Base):
    """One teacher's score of one essay response (attempt + question), per round: 1, 2
    (independent second scorer), 3 (resolution). Append-only."""

    __tablename__ = "essay_scores"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_number", "round", name="uq_essay_scores_attempt_question_round"),
        UniqueConstraint("attempt_id", "question_number", "scorer_id", name="uq_essay_scores_attempt_question_scorer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_number: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    result_item_id: Mapped[int] = mapped_column(ForeignKey("result_items.id"))   # what the scorer saw
    scorer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[list[Any]] = mapped_column(JSON)       # rubric points per criterion, as strings
    total: Mapped[Decimal] = mapped_column(POINTS)          # rubric points
    rubric_max: Mapped[Decimal] = mapped_column(POINTS)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Correction(Base):
    """A correction of an exam's question after the fact: drop it (points to everyone) or accept
    more keys. Every correction rescores every result of the exam."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    kind: Mapped[str] = mapped_column(String(16))           # "drop" | "accept_keys"
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rescored: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
