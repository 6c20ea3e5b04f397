"""The tamper-evident audit chain: append-only records, each holding the previous one's hash.

A transaction that changes an outcome appends its entries to `audit_pending` (insert only); the
chain's sequencer (audit/services.chain, a core/drains drain: one process at a time) takes them
out in id order, chains them and advances `audit_head`, a single row (id 1) holding the last
record's id and hash, so records from every server process form one chain with contiguous ids.
Nothing updates or deletes audit records.
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


class AuditPending(Base):
    """An entry committed with its change, not yet chained (for at most about the sequencer's
    interval; a crash leaves it for the next pass of any process)."""
    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(48))
    exam_id: Mapped[int | None] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column()
    subject: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)                         # canonical JSON, as it will be chained
