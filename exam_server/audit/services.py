"""Appending to the audit chain and verifying it.

Receivers (audit/receivers.py) only queue entries on the session; they are written in one go just
before the transaction commits (SQLAlchemy's before_commit), so the head row is locked for the
shortest time: one SELECT ... FOR UPDATE, one multi-row INSERT, one UPDATE per audited commit,
whatever the number of entries. They commit or roll back with the change they describe.

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

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from exam_server.audit.models import GENESIS_HASH, AuditHead, AuditRecord

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
    db_session.info.setdefault(PENDING, []).append(entry)


def write_pending(db_session: Session) -> int:
    """Append the queued entries to the chain (called before commit); returns how many."""
    entries: list[Entry] = db_session.info.pop(PENDING, [])
    if not entries:
        return 0
    head = db_session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
                              .with_for_update()).one_or_none()
    if head is None:        # a database made by create_all (no migration): start the chain
        db_session.add(AuditHead(id=1, last_id=0, last_hash=GENESIS_HASH))
        db_session.flush()
        last_id, last_hash = 0, GENESIS_HASH
    else:
        last_id, last_hash = head
    rows = []
    for entry in entries:
        last_id += 1
        data, prev_hash = canonical(entry.data), last_hash
        last_hash = record_hash(prev_hash, last_id, entry.at, entry.kind, entry.exam_id, entry.actor_id,
                                entry.subject, data)
        rows.append({"id": last_id, "at": entry.at, "kind": entry.kind, "exam_id": entry.exam_id,
                     "actor_id": entry.actor_id, "subject": entry.subject, "data": data,
                     "prev_hash": prev_hash, "hash": last_hash})
    db_session.execute(insert(AuditRecord), rows)
    db_session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))
    return len(rows)


@dataclass
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str = ""

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
    return Verdict(checked)
