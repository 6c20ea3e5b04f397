"""Issue 11: reserved event names and deeply nested payloads on every socket namespace."""
from __future__ import annotations

import pytest

from tests.server.exam_factories import session_token
from tests.server.test_live_sockets import ack, events, proctor, student


@pytest.fixture
def exam(app, client, token_for, users):
    from tests.server.exam_factories import live_exam

    return live_exam(app, client, token_for, users)


def _deep(levels: int) -> str:
    return "[" * levels + '"A"' + "]" * levels


def raw_ack(client, event: str, fields: dict[str, str], namespace: str):
    """Emit as a real client would: the packet's text written by hand (the test client's own encoder
    walks the payload recursively and cannot send what a hostile client can)."""
    body = "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"
    client.callback_counter += 1
    text = f'2{namespace},{client.callback_counter}["{event}",{body}]'
    client.socketio.server._handle_eio_message(client.eio_sid, text)
    got, client.acks = client.acks, None
    return got["args"][0]


def test_a_client_emitting_disconnect_does_not_free_its_slot(app, sio, exam, token_for):
    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(1))
    first = student(app, sio, token)
    assert first.is_connected("/student")
    answer = ack(first, "disconnect", {}, "/student")
    assert answer["ok"] is False and answer["error"] == "unknown_event"
    assert first.is_connected("/student")
    assert not student(app, sio, token).is_connected("/student")        # the slot is still taken
    first.disconnect(namespace="/student")
    assert student(app, sio, token).is_connected("/student")           # a real disconnect frees it


def admitted(app, sio, exam, token_for, n=1):
    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(n))
    pupil = student(app, sio, token)
    assert pupil.is_connected("/student")
    assert [e["name"] for e in events(pupil, "/student")] == ["attempt_state"]
    return pupil, token


def test_a_client_emitting_connect_is_refused_and_keeps_its_connection(app, sio, exam, token_for):
    pupil, token = admitted(app, sio, exam, token_for)
    for data in ({}, {"token": token}, None):
        answer = ack(pupil, "connect", data, "/student")
        assert answer["ok"] is False and answer["error"] == "unknown_event"
    assert events(pupil, "/student", "attempt_state") == []              # no second admission ran
    assert ack(pupil, "sync", {}, "/student")["status"] == "not_started"   # still admitted, same slot
    assert not student(app, sio, token).is_connected("/student")          # and the slot still its own


def test_reserved_names_refused_on_the_proctor_namespace(app, sio, exam, token_for):
    boss = proctor(app, sio)
    for name in ("connect", "disconnect", "connect_error", "disconnecting"):
        answer = ack(boss, name, {"exam_id": exam.exam_id, "room_id": exam.room_id}, "/proctor")
        assert answer["error"] == "unknown_event", name
    assert boss.is_connected("/proctor")
    assert ack(boss, "join", {"exam_id": exam.exam_id, "room_id": exam.room_id}, "/proctor")["ok"]


@pytest.mark.parametrize("levels", [40, 5000])
def test_deep_socket_payloads_get_the_usual_refusal(app, sio, exam, token_for, levels):
    pupil, _token = admitted(app, sio, exam, token_for)
    boss = proctor(app, sio)
    answer = raw_ack(pupil, "answer", {"question": "1", "response": _deep(levels), "client_seq": "1"},
                     "/student")
    assert answer["ok"] is False and answer["error"] == "bad_event", answer
    assert set(answer) == {"ok", "error", "message", "field"}
    note = raw_ack(boss, "note", {"exam_id": str(exam.exam_id), "room_id": str(exam.room_id),
                                  "text": _deep(levels)}, "/proctor")
    assert note["ok"] is False and note["error"] == "bad_event", note
