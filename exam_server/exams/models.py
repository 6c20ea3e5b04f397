"""The exams' tables. Forms pin item *versions*: editing the bank never changes an assembled exam."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, Enum, Float, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.accounts.models import User
from exam_server.bank.models import ItemVersion
from exam_server.core.db import Base, UTCDateTime, utcnow


def _enum(cls):
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class ExamStatus(str, enum.Enum):
    DRAFT = "draft"
    ASSEMBLED = "assembled"
    PUBLISHED = "published"     # scheduled: candidates may sit it between opens_at and closes_at
    CLOSED = "closed"


class ScoreRounding(str, enum.Enum):
    QUARTER = "0.25"     # to the nearest quarter: only when an exam's rules ask for it
    HUNDREDTH = "0.01"   # the exact sum on the 10-point scale, two decimals (the 2025 format; the default)


class DeliveryMode(str, enum.Enum):
    ONE_PER_PAGE = "one_per_page"
    ALL_ON_PAGE = "all_on_page"


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer)
    score_rounding: Mapped[ScoreRounding] = mapped_column(_enum(ScoreRounding))
    delivery_mode: Mapped[DeliveryMode] = mapped_column(_enum(DeliveryMode))
    results_visible_to_candidates: Mapped[bool] = mapped_column(default=False)
    blueprint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # An adaptive exam (docs/protocol.md "Adaptive exams"): {"rules": CatRules' fields, "pool":
    # {version id: calibrated parameters and blueprint cell}}, the pool snapshotted at assembly so a
    # later calibration never changes a running exam. None: a fixed-form exam.
    adaptive: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ExamStatus] = mapped_column(_enum(ExamStatus), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    rooms: Mapped[list[ExamRoom]] = relationship(back_populates="exam", order_by="ExamRoom.id")
    forms: Mapped[list[ExamForm]] = relationship(back_populates="exam", order_by="ExamForm.index")


room_proctors = Table(
    "exam_room_proctors", Base.metadata,
    Column("room_id", ForeignKey("exam_rooms.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class ExamRoom(Base):
    __tablename__ = "exam_rooms"
    __table_args__ = (UniqueConstraint("exam_id", "name", name="uq_exam_rooms_exam_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kiosk_count: Mapped[int] = mapped_column(Integer, default=0)

    exam: Mapped[Exam] = relationship(back_populates="rooms")
    proctors: Mapped[list[User]] = relationship(secondary=room_proctors, order_by=User.id)


class Candidate(Base):
    """A roster entry ("thí sinh")."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("exam_id", "candidate_number", name="uq_candidates_exam_number"),
                      UniqueConstraint("exam_id", "citizen_id", name="uq_candidates_exam_citizen_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    candidate_number: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    citizen_id: Mapped[str] = mapped_column(String(12))
    school: Mapped[str] = mapped_column(String(200), default="")
    class_name: Mapped[str] = mapped_column(String(50), default="")
    extra_time_minutes: Mapped[int | None] = mapped_column(Integer)
    extra_time_percent: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(8))       # "male" | "female" | None (not recorded)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    room: Mapped[ExamRoom | None] = relationship()


class ExamForm(Base):
    """One "mã đề" of an exam."""

    __tablename__ = "exam_forms"
    __table_args__ = (UniqueConstraint("exam_id", "code", name="uq_exam_forms_exam_code"),
                      UniqueConstraint("exam_id", "index", name="uq_exam_forms_exam_index"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    index: Mapped[int] = mapped_column(Integer)

    exam: Mapped[Exam] = relationship(back_populates="forms")
    items: Mapped[list[ExamFormItem]] = relationship(back_populates="form",
                                                       order_by="ExamFormItem.position")


class ExamFormItem(Base):
    __tablename__ = "exam_form_items"
    __table_args__ = (UniqueConstraint("form_id", "position", name="uq_exam_form_items_form_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("exam_forms.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    points: Mapped[float] = mapped_column(Float)

    form: Mapped[ExamForm] = relationship(back_populates="items")
    item_version: Mapped[ItemVersion] = relationship()


class CandidatePaper(Base):
    """A candidate's paper: a form, the seed it was shuffled with, and the orders that seed gives
    (stored, so a complaint can compare them with a fresh reproduction)."""

    __tablename__ = "candidate_papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), unique=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("exam_forms.id"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    item_order: Mapped[list[int]] = mapped_column(JSON)
    option_orders: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Adaptive papers only: item_order holds the questions given so far (the last one open until
    # answered), `adaptive` the CAT state (item_bank.psychometrics.cat.CatState.to_dict() plus
    # "done"), `adaptive_step` how many questions were given: the guard of the one UPDATE per answer.
    adaptive: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    adaptive_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    candidate: Mapped[Candidate] = relationship()
    form: Mapped[ExamForm] = relationship()

