"""Appending to the audit chain and verifying it.

Receivers (audit/receivers.py) only queue entries on the session; they are written in one go just
before the transaction commits (SQLAlchemy's before_commit) into `audit_pending`: one INSERT per
audited commit, whatever the number of entries, committing or rolling back with the change they
describe. The sequencer (`chain`, a core/drains drain: one process at a time, every
AUDIT_CHAIN_INTERVAL_SECONDS or right after the commit where no loop runs) takes them out in id
order, hashes them onto the chain and advances the head. Locking the head in every audited
transaction (as before) held its row lock to each commit, so every submit of a storm waited for
the one before.

record hash = SHA-256 of: previous hash, id, time (ISO, UTC), kind, exam id, actor id, subject, data
(each field on its own line), so editing, deleting, inserting or reordering a record breaks the
chain at that record.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from exam_server.audit.models import GENESIS_HASH, AuditHead, AuditPending, AuditRecord
from exam_server.core import drains
from exam_server.core.db import session

CHAIN_LOCK = 0x65786D33      # core/drains: the sweeper's is ...31, the indicators' fold ...32
CHAIN_BATCH = 5000

PENDING = "audit_pending"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in an audit record")


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def record_hash(prev_hash: str, record_id: int, at: datetime, kind: str, exam_id: int | None,
                actor_id: int | None, subject: str, data: str) -> str:
    text = "\n".join((prev_hash, str(record_id), at.astimezone(UTC).isoformat(), kind, str(exam_id or ""), str(actor_id or ""),
                      subject, data))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    exam_id: int | None
    actor_id: int | None
    subject: str
    data: dict[str, Any]


def queue(db_session: Session, entry: Entry) -> None:
    """Add an entry to the chain when this transaction commits (dropped if it rolls back)."""
    entries = db_session.info.setdefault(PENDING, [])
    if not entries:
        drains.queued(SEQUENCER)
    entries.append(entry)


def write_pending(db_session: Session) -> int:
    """Queue this transaction's entries for the sequencer (called before commit); returns how many."""
    entries: list[Entry] = db_session.info.pop(PENDING, [])
    if entries:
        db_session.execute(insert(AuditPending), [
            {"at": e.at, "kind": e.kind, "exam_id": e.exam_id, "actor_id": e.actor_id, "subject": e.subject,
             "data": canonical(e.data)} for e in entries])
    return len(entries)


def chain(batch: int = CHAIN_BATCH) -> int:
    """Append up to `batch` pending entries to the chain, oldest first (flushes; the caller commits;
    SEQUENCER's lock keeps other processes out). Returns how many."""
    taken = drains.take(AuditPending, batch, AuditPending.at, AuditPending.kind, AuditPending.exam_id,
                        AuditPending.actor_id, AuditPending.subject, AuditPending.data)
    if not taken:
        return 0
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
                           .with_for_update()).one_or_none()
    if head is None:        # a database made by create_all (no migration): start the chain
        session.add(AuditHead(id=1, last_id=0, last_hash=GENESIS_HASH))
        session.flush()
        last_id, last_hash = 0, GENESIS_HASH
    else:
        last_id, last_hash = head
    rows = []
    for at, kind, exam_id, actor_id, subject, data in taken:
        last_id += 1
        prev_hash = last_hash
        last_hash = record_hash(prev_hash, last_id, at, kind, exam_id, actor_id, subject, data)
        rows.append({"id": last_id, "at": at, "kind": kind, "exam_id": exam_id, "actor_id": actor_id,
                     "subject": subject, "data": data, "prev_hash": prev_hash, "hash": last_hash})
    session.execute(insert(AuditRecord), rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))
    return len(rows)


SEQUENCER = drains.Drain("audit", CHAIN_LOCK, CHAIN_BATCH, "AUDIT_CHAIN_INTERVAL_SECONDS", chain)


def chain_all() -> None:
    """Chain everything pending now (commits)."""
    drains.drain_all(SEQUENCER, wait=True)


def pending_count(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditPending)) or 0


@dataclass
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str = ""
    pending: int = 0        # entries committed but not chained yet (the sequencer's lag)

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(db_session: Session, batch: int = 5000) -> Verdict:
    """Walk the chain from the first record; name the first record that does not fit."""
    prev_hash, expected_id, checked = GENESIS_HASH, 1, 0
    after = 0
    while True:
        rows = db_session.scalars(select(AuditRecord).where(AuditRecord.id > after).order_by(AuditRecord.id)
                                  .limit(batch)).all()
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                return Verdict(checked, expected_id, f"record {expected_id} is missing (next is {row.id})")
            if row.prev_hash != prev_hash:
                return Verdict(checked, row.id, "its previous-hash does not match the record before it")
            if record_hash(prev_hash, row.id, row.at, row.kind, row.exam_id, row.actor_id, row.subject,
                           row.data) != row.hash:
                return Verdict(checked, row.id, "its content does not match its hash (edited)")
            prev_hash, expected_id, checked, after = row.hash, row.id + 1, checked + 1, row.id
        db_session.expunge_all()
    head = db_session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).one_or_none()
    if head is not None and (head[0] != expected_id - 1 or head[1] != prev_hash):
        return Verdict(checked, expected_id - 1 if head[0] == expected_id - 1 else head[0],
                       f"the head says record {head[0]}, the chain ends at record {expected_id - 1} "
                       "(records were removed from the end, or the head was edited)")
    return Verdict(checked, pending=pending_count(db_session))
