"""Nothing a student's client receives during a whole sitting holds an answer key or another
candidate's data: every event pushed on /student and every acknowledgement is recorded."""
from __future__ import annotations

import json

from tests.server.exam_factories import live_exam, session_token
from tests.server.test_exams import ROWS
from tests.server.test_exams_assembly import KEY_FIELDS, NUMERIC_KEY
from tests.server.test_live_sockets import ack, events, proctor, student

RESPONSES = {"single_choice": "B", "numeric": "12.5", "true_false_cluster": {"a": False}}


def _walk_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _walk_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_keys(v)


def test_a_full_sitting_leaks_no_key(app, client, token_for, users, monkeypatch):
    from exam_server.core.db import session
    from exam_server.core.extensions import socketio
    from exam_server.exams.models import Candidate
    from exam_server.exams.services import paper_for

    exam = live_exam(app, client, token_for, users)
    pushed = []
    original_emit = socketio.emit

    def recording_emit(event, *args, **kwargs):
        if kwargs.get("namespace") == "/student":
            pushed.append((kwargs.get("to"), event, args))
        return original_emit(event, *args, **kwargs)

    monkeypatch.setattr(socketio, "emit", recording_emit)
    headers = token_for("proctor1")
    pupils = {n: student(app, socketio, session_token(client, headers, exam, exam.candidate(n))) for n in (1, 2)}
    boss = proctor(app, socketio)
    where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
    ack(boss, "join", where, "/proctor")
    ack(boss, "start_room", where, "/proctor")
    acks = {1: [], 2: []}
    for n, pupil in pupils.items():
        state = events(pupil, "/student", "attempt_state")
        paper = state[-1]["args"][0]["paper"]
        pupil.get_received("/student")
        pupil.received_all = state
        seq = 0
        for question in paper["questions"]:
            seq += 1
            acks[n].append(ack(pupil, "answer", {"question": question["number"], "client_seq": seq,
                                                 "response": RESPONSES[question["type"]]}, "/student"))
            assert acks[n][-1]["ok"], acks[n][-1]
        acks[n].append(ack(pupil, "flag", {"question": 1, "flagged": True, "client_seq": seq + 1}, "/student"))
        acks[n].append(ack(pupil, "focus_lost", {"seconds": 2}, "/student"))
        acks[n].append(ack(pupil, "sync", {}, "/student"))
    cid = exam.candidate(1)
    ack(boss, "pause", {**where, "candidate_id": cid, "reason": "check"}, "/proctor")
    ack(boss, "resume", {**where, "candidate_id": cid}, "/proctor")
    ack(boss, "extend", {"candidate_id": cid, "minutes": 5, "reason": "noise"}, "/proctor")
    ack(boss, "move", {"candidate_id": cid, "kiosk": "K2", "reason": "screen"}, "/proctor")
    for n, pupil in pupils.items():
        acks[n].append(ack(pupil, "submit", {}, "/student"))
        acks[n].append(ack(pupil, "sync", {}, "/student"))
        pupil.received_all += pupil.get_received("/student")
    assert pushed

    with app.app_context():
        for n, pupil in pupils.items():
            me = session.get(Candidate, exam.candidate(n))
            received = [e["args"] for e in pupil.received_all] + acks[n]
            text = json.dumps(received, ensure_ascii=False)
            assert me.candidate_number in text                  # sanity: the paper is in there
            assert not set(_walk_keys(received)) & KEY_FIELDS
            assert str(NUMERIC_KEY) not in text
            for number, others in ((r[0], r) for r in ROWS):
                if number != me.candidate_number:
                    assert number not in text and others[1] not in text and others[3] not in text
            for entry in paper_for(me):
                key = entry.item_version.answer_key
                assert json.dumps(key, ensure_ascii=False) not in text
                for name in ("value", "values", "accepted", "pairs", "order"):
                    if name in key:
                        assert json.dumps(key[name], ensure_ascii=False) not in text
        everything = json.dumps([p[2] for p in pushed], ensure_ascii=False)
        assert str(NUMERIC_KEY) not in everything
        assert not set(_walk_keys([p[2] for p in pushed])) & KEY_FIELDS
