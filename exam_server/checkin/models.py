"""Check-in tables: enrolled kiosks, their single-use challenges, the append-only check-in log and
the photos taken at check-in (bytes removed after the retention date; the log row stays)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.core.db import Base, UTCDateTime, utcnow
from exam_server.exams.models import Candidate, ExamRoom

# "finished": the card matched a candidate whose exam is already over: no new link, an incident.
OUTCOMES = ("verified", "mismatch", "chip_failed", "no_candidate", "manual", "finished")


class Kiosk(Base):
    __tablename__ = "kiosks"
    __table_args__ = (UniqueConstraint("exam_id", "name", name="uq_kiosks_exam_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(64))        # Ed25519, raw 32 bytes, base64
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: from the CLI
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    room: Mapped[ExamRoom] = relationship()


class CheckinChallenge(Base):
    """A server nonce for one check-in: single use, short-lived, bound to the kiosk it was given to."""

    __tablename__ = "checkin_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    challenge: Mapped[str] = mapped_column(String(16), unique=True)   # 8 bytes, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CheckIn(Base):
    """One check-in event (append-only): what the card said, what the server found, the outcome."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))       # "chip" | "manual"
    outcome: Mapped[str] = mapped_column(String(16))      # one of OUTCOMES
    verified: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # id number, name, birth date read
    passive_auth: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    active_auth: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    face: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    face_score: Mapped[float | None] = mapped_column(Float)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the proctor for "manual"
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    candidate: Mapped[Candidate | None] = relationship()
    kiosk: Mapped[Kiosk | None] = relationship()
    photos: Mapped[list[PhotoRecord]] = relationship(back_populates="checkin", order_by="PhotoRecord.id")


class PhotoRecord(Base):
    """A chip portrait (DG2) or live camera photo of a check-in. `data` is emptied by the purge."""

    __tablename__ = "checkin_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))          # "chip" | "live"
    mime_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    checkin: Mapped[CheckIn] = relationship(back_populates="photos")
