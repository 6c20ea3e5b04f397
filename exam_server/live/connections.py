"""This process's live student connections: who each socket is, the paper it answers (kept for
the connection's life: a paper never changes), and its progress, so the hot path needs no
lookup and the relay knows whom to tell. The database holds the truth about slots
(attempts.connection_sid/node); this is only what the process needs at hand."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from exam_server.exams.papers import Paper


@dataclass
class Connection:
    sid: str
    candidate_id: int
    attempt_id: int
    exam_id: int
    room_id: int | None
    token_hash: str
    paper: Paper | None = None
    answers: dict[int, tuple[bool, int]] = field(default_factory=dict)   # question -> (answered, seq)
    last_seq: int = 0

    def note(self, question: int, seq: int, answered: bool) -> None:
        """An acknowledged answer: the highest seq per question wins (out-of-order safe)."""
        known = self.answers.get(question)
        if known is None or seq > known[1]:
            self.answers[question] = (answered, seq)
        self.last_seq = max(self.last_seq, seq)

    def answered(self) -> int:
        return sum(1 for on, _seq in self.answers.values() if on)

    def progress(self) -> dict[str, int]:
        return {"candidate_id": self.candidate_id, "answered": self.answered(), "last_seq": self.last_seq}


class Registry:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.by_sid: dict[str, Connection] = {}
        self.by_candidate: dict[int, set[str]] = {}
        self.by_room: dict[tuple[int, int | None], set[str]] = {}
        self.progress_dirty: dict[tuple[int, int | None], set[int]] = {}

    def add(self, conn: Connection) -> None:
        with self.lock:
            self.by_sid[conn.sid] = conn
            self.by_candidate.setdefault(conn.candidate_id, set()).add(conn.sid)
            self.by_room.setdefault((conn.exam_id, conn.room_id), set()).add(conn.sid)

    def remove(self, sid: str) -> Connection | None:
        with self.lock:
            conn = self.by_sid.pop(sid, None)
            if conn is not None:
                self.by_candidate.get(conn.candidate_id, set()).discard(sid)
                if not self.by_candidate.get(conn.candidate_id):
                    self.by_candidate.pop(conn.candidate_id, None)
                self.by_room.get((conn.exam_id, conn.room_id), set()).discard(sid)
            return conn

    def get(self, sid: str) -> Connection | None:
        return self.by_sid.get(sid)

    def of_candidate(self, candidate_id: int) -> list[Connection]:
        with self.lock:
            return [self.by_sid[s] for s in self.by_candidate.get(candidate_id, ()) if s in self.by_sid]

    def of_room(self, exam_id: int, room_id: int | None) -> list[Connection]:
        with self.lock:
            return [self.by_sid[s] for s in self.by_room.get((exam_id, room_id), ()) if s in self.by_sid]

    def all(self) -> list[Connection]:
        with self.lock:
            return list(self.by_sid.values())

    def answered(self, conn: Connection, question: int, seq: int, answered: bool) -> None:
        with self.lock:
            conn.note(question, seq, answered)
            self.progress_dirty.setdefault((conn.exam_id, conn.room_id), set()).add(conn.candidate_id)

    def take_progress(self) -> dict[tuple[int, int | None], list[dict[str, int]]]:
        """What changed since the last call, per room: [{candidate_id, answered, last_seq}]."""
        with self.lock:
            dirty, self.progress_dirty = self.progress_dirty, {}
            out = {}
            for room, candidates in dirty.items():
                rows = [c.progress() for c in self.of_room(*room) if c.candidate_id in candidates]
                if rows:
                    out[room] = rows
            return out

    def all_progress(self) -> dict[tuple[int, int | None], list[dict[str, int]]]:
        with self.lock:
            return {room: [self.by_sid[s].progress() for s in sids if s in self.by_sid]
                    for room, sids in self.by_room.items() if sids}
