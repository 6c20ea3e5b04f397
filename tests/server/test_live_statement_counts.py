"""The live exam's hot paths do a fixed amount of database work, whatever the paper's length or
the room's size (issue 9): the SQL statements of each event are counted on a paper of 4 questions
and one of 40, in a room of 3 candidates and one of 12, and must be the same (and few).

The exams are made by bench/livesim/seed.py, as the benchmark makes them; the statements are
counted on both engines (the request's and the live runtime's relay, which runs in the
committing thread under TESTING)."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event

from bench.livesim.seed import seed_live_exam

SHORT = (("single_choice", 4, 2.5),)          # 4 questions, 10 points
LONG = (("single_choice", 40, 0.25),)         # 40 questions, 10 points
# The most statements one event may take (a regression guard; the equalities are the rule).
# Measured (PostgreSQL and SQLite alike), the followers of the domain signals included (the audit
# chain: one queued row per audited commit; the indicators' facts and one queued delta row; both
# queues are drained elsewhere, core/drains): connect 16 (the proctors' row and the relay
# included), sync 5, answer 1, flag 1, submit 36 (scoring included), start_room 35 (the relay
# reads the attempts it tells in one statement).
MOST = {"answer": 1, "flag": 1, "sync": 5, "connect": 16, "submit": 36, "start_room": 35, "pause_room": 25,
        "resume_room": 30, "join": 11}


class Statements:
    """Every statement sent on the app's engines while counting."""

    def __init__(self, app):
        self.engines = [app.extensions["db_engine"], app.extensions["live_engine"]]
        self.seen: Counter = Counter()
        self.on = False
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.seen[statement.split(None, 1)[0].upper()] += 1

    @contextmanager
    def counting(self):
        self.seen.clear()
        self.on = True
        try:
            yield self.seen
        finally:
            self.on = False

    def close(self):
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._count)


def _proctor(app, sio):
    http = app.test_client()
    assert http.post("/login", data={"username": "proctor1", "password": "bench-password-123"}).status_code == 302
    return sio.test_client(app, namespace="/proctor", flask_test_client=http)


def _sitting(app, sio, statements, exam):
    """Counts for one candidate's sitting of `exam`, event by event."""
    counts = {}
    where = {"exam_id": exam.exam_id, "room_id": exam.rooms[0]["id"]}
    boss = _proctor(app, sio)
    assert boss.emit("join", where, namespace="/proctor", callback=True)["ok"]
    pupils = []
    for n, candidate in enumerate(exam.candidates):
        if n == 0:
            with statements.counting() as seen:
                pupil = sio.test_client(app, namespace="/student", auth={"token": candidate["token"], "device": "kiosk-000001"})
            counts["connect"] = sum(seen.values())
        else:
            pupil = sio.test_client(app, namespace="/student", auth={"token": candidate["token"]})
        assert pupil.is_connected("/student")
        pupils.append(pupil)
    with statements.counting() as seen:
        assert boss.emit("start_room", where, namespace="/proctor", callback=True) == {"ok": True}
    counts["start_room"] = sum(seen.values())
    pupil = pupils[0]
    state = [e for e in pupil.get_received("/student") if e["name"] == "attempt_state"][-1]["args"][0]
    question = state["paper"]["questions"][-1]
    choice = question["body"]["options"][0]["id"]
    for seq, kind in ((1, "answer"), (2, "answer"), (3, "flag")):
        payload = ({"question": question["number"], "response": choice, "client_seq": seq} if kind == "answer"
                   else {"question": question["number"], "flagged": True, "client_seq": seq})
        with statements.counting() as seen:
            ack = pupil.emit(kind, payload, namespace="/student", callback=True)
        assert ack["ok"], ack
        counts[kind] = sum(seen.values())     # the second answer: a change of mind, same work
    with statements.counting() as seen:
        assert pupil.emit("sync", {}, namespace="/student", callback=True)["ok"]
    counts["sync"] = sum(seen.values())
    with statements.counting() as seen:
        assert boss.emit("pause", {**where, "reason": "mất điện"}, namespace="/proctor", callback=True) == {"ok": True}
    counts["pause_room"] = sum(seen.values())
    with statements.counting() as seen:
        assert boss.emit("resume", {**where, "reason": "có điện"}, namespace="/proctor", callback=True) == {"ok": True}
    counts["resume_room"] = sum(seen.values())
    with statements.counting() as seen:
        assert boss.emit("join", where, namespace="/proctor", callback=True)["ok"]
    counts["join"] = sum(seen.values())
    with statements.counting() as seen:
        assert pupil.emit("submit", {}, namespace="/student", callback=True)["ok"]
    counts["submit"] = sum(seen.values())
    for client in pupils:
        client.disconnect("/student")
    boss.disconnect("/proctor")
    return counts


def test_statements_per_event_do_not_grow_with_the_paper_or_the_room(app, sio):
    import threading

    # As in a server process: the indicators' queued deltas are folded by the process's folder in
    # the background (one pass for many events), not on the event's path; here it never runs.
    app.extensions["drains"] = {"indicators": threading.Event(), "audit": threading.Event()}
    short = seed_live_exam(app, 3, fmt=SHORT, forms=1)
    long = seed_live_exam(app, 12, fmt=LONG, forms=1)
    statements = Statements(app)
    try:
        small = _sitting(app, sio, statements, short)
        large = _sitting(app, sio, statements, long)
    finally:
        statements.close()
    assert small == large, f"4 questions, 3 candidates: {small}\n40 questions, 12 candidates: {large}"
    for name, most in MOST.items():
        assert small[name] <= most, (name, small[name], small)
