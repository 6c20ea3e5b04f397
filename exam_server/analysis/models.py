"""Item analysis' table: calibrated IRT parameters per item version, with their provenance.
Append-only: a new calibration adds rows; the newest row of a version is its current estimate."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.core.db import Base, UTCDateTime, utcnow


class ItemCalibration(Base):
    __tablename__ = "item_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)     # whose responses
    model: Mapped[str] = mapped_column(String(8))                                # rasch | 1pl | ... | gpcm
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)                     # the item-bank calibrate item shape
    n_candidates: Mapped[int] = mapped_column(Integer)
    model_loglik: Mapped[float] = mapped_column(Float)                           # of the whole calibration
    calibrated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    calibrated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
