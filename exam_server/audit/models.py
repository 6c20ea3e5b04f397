"""The tamper-evident audit chain: append-only records, each holding the previous one's hash.

`audit_head` is a single row (id 1) holding the last record's id and hash; a transaction that
appends locks it FOR UPDATE (PostgreSQL; SQLite serialises writers anyway), so records from every
server process form one chain with contiguous ids. Nothing updates or deletes audit rows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.core.db import Base, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditRecord(Base):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(48), index=True)      # e.g. "attempts.submit", "checkin"
    exam_id: Mapped[int | None] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column()
    subject: Mapped[str] = mapped_column(String(64))                # "attempt:12", "user:3", ...
    data: Mapped[str] = mapped_column(Text)                         # canonical JSON (sorted keys)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger())
    last_hash: Mapped[str] = mapped_column(String(64))
