"""The admission codes table: one row per code a proctor issued. Only a keyed hash of the code is
kept; a row is spent (used_at), withdrawn (revoked_at: a newer code, too many wrong tries) or
expired (expires_at), and never deleted (the audit trail of who let whom in, and why)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.core.db import Base, UTCDateTime, utcnow
from exam_server.exams.models import Candidate


class AdmissionCode(Base):
    __tablename__ = "admission_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))          # HMAC-SHA256 with the app's secret
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_tries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "replaced" (a newer code), "too_many_tries"; None while usable or once used
    revoked_why: Mapped[str | None] = mapped_column(String(32))

    candidate: Mapped[Candidate] = relationship()
