"""/student and /proctor over Flask-SocketIO's test client, on both databases."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD
from tests.server.exam_factories import live_exam, session_token


@pytest.fixture
def exam(app, client, token_for, users):
    return live_exam(app, client, token_for, users)


def student(app, sio, token):
    return sio.test_client(app, namespace="/student", auth={"token": token})


def proctor(app, sio, username="proctor1"):
    http = app.test_client()
    response = http.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return sio.test_client(app, namespace="/proctor", flask_test_client=http)


def events(client, namespace, name=None):
    got = client.get_received(namespace)
    return [e for e in got if name is None or e["name"] == name]


def rows(updates, candidate_id=None):
    """The CANDIDATE rows of `room_update` pushes, in order (of one candidate if given)."""
    return [c for u in updates for c in u["args"][0]["candidates"]
            if candidate_id is None or c["candidate_id"] == candidate_id]


def ack(client, event, data, namespace):
    return client.emit(event, data, namespace=namespace, callback=True)


def count(model, *where):
    from exam_server.core.db import session

    return session.scalar(select(func.count()).select_from(model).where(*where))


def started(app, sio, exam, token_for, n=1):
    """A connected student whose room a proctor started; returns (student, proctor, state)."""
    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(n))
    pupil = student(app, sio, token)
    assert pupil.is_connected("/student")
    first = events(pupil, "/student", "attempt_state")[0]["args"][0]
    assert first["status"] == "not_started" and first["paper"] is None
    boss = proctor(app, sio)
    assert ack(boss, "join", {"exam_id": exam.exam_id, "room_id": exam.room_id}, "/proctor")["ok"]
    assert ack(boss, "start_room", {"exam_id": exam.exam_id, "room_id": exam.room_id}, "/proctor") == {"ok": True}
    state = events(pupil, "/student", "attempt_state")[-1]["args"][0]
    assert state["status"] == "in_progress" and state["paper"]["questions"]
    return pupil, boss, state


def test_token_required(app, sio, exam, token_for):
    assert not student(app, sio, "nonsense").is_connected("/student")
    assert not sio.test_client(app, namespace="/student").is_connected("/student")
    assert not sio.test_client(app, namespace="/student", auth={"token": 5}).is_connected("/student")
    http = app.test_client()
    old = session_token(http, token_for("proctor1"), exam, exam.candidate(1))
    new = session_token(http, token_for("proctor1"), exam, exam.candidate(1), "second try")
    assert not student(app, sio, old).is_connected("/student")           # replaced token
    assert student(app, sio, new).is_connected("/student")


def test_second_login_refused_and_reported(app, sio, exam, token_for):
    from exam_server.live.models import Incident

    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(1))
    boss = proctor(app, sio)
    ack(boss, "join", {"exam_id": exam.exam_id, "room_id": exam.room_id}, "/proctor")
    first = student(app, sio, token)
    assert first.is_connected("/student")
    second = student(app, sio, token)
    assert not second.is_connected("/student")
    incidents = events(boss, "/proctor", "incident")
    assert [i["args"][0]["kind"] for i in incidents] == ["second_login"]
    with app.app_context():
        assert count(Incident, Incident.kind == "second_login") == 1
    first.disconnect(namespace="/student")
    assert student(app, sio, token).is_connected("/student")             # free again after a disconnect


def test_answers_over_the_socket(app, sio, exam, token_for):
    pupil, _boss, state = started(app, sio, exam, token_for)
    numeric = next(q["number"] for q in state["paper"]["questions"] if q["type"] == "numeric")
    assert ack(pupil, "answer", {"question": numeric, "response": "0.5", "client_seq": 3}, "/student") == \
        {"ok": True, "seq": 3}
    assert ack(pupil, "answer", {"question": numeric, "response": "1", "client_seq": 2}, "/student")["ok"]
    assert ack(pupil, "answer", {"question": numeric, "response": "0.5", "client_seq": 3}, "/student")["ok"]
    assert ack(pupil, "flag", {"question": numeric, "flagged": True, "client_seq": 4}, "/student")["ok"]
    synced = ack(pupil, "sync", {}, "/student")
    assert synced["answers"] == {str(numeric): {"response": "0.5", "seq": 3}}
    assert synced["flags"] == [numeric] and synced["last_seq"] == 4
    assert ack(pupil, "submit", {}, "/student") == {"ok": True, "status": "submitted"}
    refused = ack(pupil, "answer", {"question": numeric, "response": "2", "client_seq": 9}, "/student")
    assert refused["error"] == "attempt_not_active"


MALFORMED = [
    ("answer", None, "bad_event"),
    ("answer", "text", "bad_event"),
    ("answer", {"question": 1, "response": "A"}, "bad_event"),                        # no client_seq
    ("answer", {"question": "1", "response": "A", "client_seq": 50}, "bad_event"),
    ("answer", {"question": 1, "response": "A", "client_seq": -1}, "bad_event"),
    ("answer", {"question": 1, "response": "A", "client_seq": True}, "bad_event"),
    ("answer", {"question": 999, "response": "A", "client_seq": 51}, "unknown_question"),
    ("answer", {"question": "NUMERIC", "response": {"x": 1}, "client_seq": 52}, "invalid_response"),
    ("answer", {"question": "NUMERIC", "response": "9" * 1_048_576, "client_seq": 53}, "invalid_response"),
    ("answer", {"question": "NUMERIC", "response": "0.5", "client_seq": 1}, "seq_reused"),
    ("flag", {"question": "NUMERIC", "flagged": "yes", "client_seq": 54}, "bad_event"),
    ("focus_lost", {"seconds": "long"}, "bad_event"),
    ("submit", [], "bad_event"),
    ("cheat", {}, "unknown_event"),
]


def test_malformed_events_change_nothing(app, sio, exam, token_for):
    from exam_server.live.models import AnswerEvent

    pupil, _boss, state = started(app, sio, exam, token_for)
    numeric = next(q["number"] for q in state["paper"]["questions"] if q["type"] == "numeric")
    assert ack(pupil, "answer", {"question": numeric, "response": "7", "client_seq": 1}, "/student")["ok"]
    for event, data, code in MALFORMED:
        if isinstance(data, dict) and data.get("question") == "NUMERIC":
            data = {**data, "question": numeric}
        answer = ack(pupil, event, data, "/student")
        assert answer["ok"] is False and answer["error"] == code, (event, data if len(str(data)) < 200 else "...")
        assert set(answer) == {"ok", "error", "message", "field"}
    with app.app_context():
        assert count(AnswerEvent) == 1
    assert ack(pupil, "sync", {}, "/student")["answers"] == {str(numeric): {"response": "7", "seq": 1}}


def test_after_deadline_and_revoked_token(app, sio, exam, token_for):
    from exam_server.core.db import session
    from exam_server.live.models import AnswerEvent, Attempt

    pupil, _boss, state = started(app, sio, exam, token_for)
    question = state["paper"]["questions"][0]["number"]
    with app.app_context():
        from exam_server.live.clock import due_at_for

        attempt = session.get(Attempt, state["attempt_id"])
        attempt.started_at = datetime.now(UTC) - timedelta(minutes=91)
        attempt.due_at = due_at_for(attempt)     # what every move of the clock keeps
        session.commit()
    late = ack(pupil, "answer", {"question": question, "response": "A", "client_seq": 1}, "/student")
    assert late["error"] == "attempt_not_active"
    assert ack(pupil, "submit", {}, "/student")["error"] == "attempt_not_active"
    # A new token (a proctor re-issued the check-in) revokes the connection's one and ends it.
    session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(1), "new kiosk")
    assert not pupil.is_connected("/student")
    with app.app_context():
        assert count(AnswerEvent) == 0


def test_proctor_actions_reach_the_student_and_are_audited(app, sio, exam, token_for):
    from exam_server.live.models import AttemptEvent, ProctorAction

    pupil, boss, state = started(app, sio, exam, token_for)
    cid = exam.candidate(1)
    where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
    events(pupil, "/student")
    assert ack(boss, "pause", {**where, "candidate_id": cid, "reason": "toilet"}, "/proctor") == {"ok": True}
    assert events(pupil, "/student", "paused")[0]["args"][0] == {"reason": "toilet"}
    q = state["paper"]["questions"][0]["number"]
    assert ack(pupil, "answer", {"question": q, "response": "A", "client_seq": 1}, "/student")["error"] == \
        "attempt_not_active"
    assert ack(boss, "resume", {**where, "candidate_id": cid}, "/proctor") == {"ok": True}
    assert events(pupil, "/student", "resumed")[0]["args"][0]["remaining_seconds"] > 0
    extended = ack(boss, "extend", {"candidate_id": cid, "minutes": 10, "reason": "power cut"}, "/proctor")
    assert extended["ok"] and extended["remaining_seconds"] > 99 * 60
    assert events(pupil, "/student", "time_extended")[0]["args"][0]["added_seconds"] == 600
    assert ack(boss, "move", {"candidate_id": cid, "kiosk": "K-07", "reason": "screen"}, "/proctor")["ok"]
    assert events(pupil, "/student", "moved")[0]["args"][0] == {"kiosk": "K-07"}
    assert ack(boss, "note", {**where, "candidate_id": cid, "text": "talked"}, "/proctor")["ok"]
    assert ack(boss, "pause", {**where, "reason": "fire drill"}, "/proctor")["ok"]          # the room
    assert events(pupil, "/student", "paused")[0]["args"][0] == {"reason": "fire drill"}
    assert ack(boss, "resume", {**where, "reason": "over"}, "/proctor")["ok"]
    assert events(pupil, "/student", "resumed")
    assert ack(boss, "terminate", {"candidate_id": cid}, "/proctor")["error"] == "bad_event"  # reason required
    assert ack(boss, "terminate", {"candidate_id": cid, "reason": "phone"}, "/proctor") == {"ok": True}
    assert events(pupil, "/student", "terminated")[0]["args"][0] == {"reason": "phone"}
    updates = rows(events(boss, "/proctor", "room_update"), cid)
    assert updates[-1]["state"] == "terminated"
    versions = [row["version"] for row in updates]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)   # each push newer
    with app.app_context():
        from exam_server.core.db import session

        actions = session.scalars(select(ProctorAction.action).order_by(ProctorAction.id)).all()
        assert actions == ["issue_token", "start_room", "pause", "resume", "extend", "move", "note", "pause",
                           "resume", "terminate"]
        assert count(AttemptEvent, AttemptEvent.action == "terminate", AttemptEvent.reason == "phone") == 1


def test_proctor_role_checked_per_event(app, sio, exam, token_for, users):
    from exam_server.core.db import session
    from exam_server.exams.models import ExamRoom

    other = proctor(app, sio, "proctor2")
    assert other.is_connected("/proctor")
    where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
    assert ack(other, "join", where, "/proctor")["error"] == "not_your_room"
    assert ack(other, "pause", {**where, "candidate_id": exam.candidate(1), "reason": "x"},
               "/proctor")["error"] == "not_your_room"
    assert ack(other, "issue_token", {"candidate_id": exam.candidate(1), "reason": "x"},
               "/proctor")["error"] == "not_your_room"
    assert ack(other, "join", {"exam_id": exam.exam_id, "room_id": exam.other_room_id}, "/proctor")["ok"]
    boss = proctor(app, sio)
    assert ack(boss, "join", where, "/proctor")["ok"]
    with app.app_context():                      # proctor1 is taken off the room while connected
        session.get(ExamRoom, exam.room_id).proctors = []
        session.commit()
    assert ack(boss, "start_room", where, "/proctor")["error"] == "not_your_room"
    for role in ("student1", "teacher1"):
        assert not proctor(app, sio, role).is_connected("/proctor")
    assert not sio.test_client(app, namespace="/proctor").is_connected("/proctor")
    admin = proctor(app, sio, "admin")
    assert ack(admin, "join", where, "/proctor")["ok"]
    assert ack(admin, "extend", {"candidate_id": exam.candidate(1), "minutes": 500, "reason": "x"},
               "/proctor")["error"] == "bad_event"


def test_sweeper_closes_and_reports_disconnects(app, sio, exam, token_for):
    from exam_server.live.models import Attempt, Incident
    from exam_server.live.sweeper import sweep_once
    from exam_server.results.models import Result

    pupil, boss, state = started(app, sio, exam, token_for)
    events(boss, "/proctor")
    with app.app_context():
        closed, incidents = sweep_once(datetime.now(UTC) + timedelta(minutes=30))
        assert closed == [] and incidents == []
        app.extensions["live_relay"].send_time()          # every process ticks its own students
    assert events(pupil, "/student", "time")[0]["args"][0]["status"] == "in_progress"
    with app.app_context():
        closed, _ = sweep_once(datetime.now(UTC) + timedelta(minutes=91))
        assert [a.id for a in closed] == [state["attempt_id"]]
        assert count(Result, Result.attempt_id == state["attempt_id"]) == 1
    assert events(pupil, "/student", "closed")[0]["args"][0] == {"reason": "deadline"}
    pupil.disconnect(namespace="/student")
    # Another candidate goes away for longer than the threshold.
    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(2))
    second = student(app, sio, token)
    assert second.is_connected("/student")
    second.disconnect(namespace="/student")
    with app.app_context():
        _closed, incidents = sweep_once(datetime.now(UTC) + timedelta(seconds=5))
        assert incidents == []
        _closed, incidents = sweep_once(datetime.now(UTC) + timedelta(seconds=31))
        assert [i.kind.value for i in incidents] == ["disconnect"]
        _closed, incidents = sweep_once(datetime.now(UTC) + timedelta(seconds=60))
        assert incidents == []                                  # reported once
        assert count(Incident, Incident.kind == "disconnect") == 1
        assert count(Attempt) == 2
    assert [e["args"][0]["kind"] for e in events(boss, "/proctor", "incident")] == ["disconnect"]


def test_http_session_token_and_snapshot(app, client, exam, token_for, users):
    url = f"/api/v1/exams/{exam.exam_id}/candidates/{exam.candidate(1)}/session-token"
    assert client.post(url, json={}, headers=token_for("proctor1")).status_code == 422
    assert client.post(url, json={"reason": "x"}, headers=token_for("teacher1")).status_code == 403
    other = client.post(f"/api/v1/exams/{exam.exam_id}/candidates/{exam.candidate(3)}/session-token",
                        json={"reason": "x"}, headers=token_for("proctor1"))
    assert other.status_code == 403
    issued = client.post(url, json={"reason": "card unreadable"}, headers=token_for("admin"))
    assert issued.status_code == 201 and issued.get_json()["verified"] is False
    snap = client.get(f"/api/v1/exams/{exam.exam_id}/rooms/{exam.room_id}/live", headers=token_for("proctor1"))
    assert snap.status_code == 200
    body = snap.get_json()
    assert body["started"] is False
    assert [c["state"] for c in body["candidates"]] == ["checked_in", "not_arrived"]
    assert body["candidates"][0]["checkin"] == {"method": "manual", "verified": False}
    forbidden = client.get(f"/api/v1/exams/{exam.exam_id}/rooms/{exam.other_room_id}/live",
                           headers=token_for("proctor1"))
    assert forbidden.status_code == 403


def test_a_new_check_in_ends_the_old_screen_and_the_new_one_continues(app, sio, exam, token_for):
    """A student who moves kiosk: the new token's connection takes over the same attempt, and the
    old screen is told why and disconnected (it must not keep the questions on show)."""
    pupil, _boss, state = started(app, sio, exam, token_for)
    question = state["paper"]["questions"][0]["number"]
    assert ack(pupil, "answer", {"question": question, "response": "A", "client_seq": 1}, "/student")["ok"]
    pupil.get_received("/student")
    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(1), "moved to kiosk 2")
    assert not pupil.is_connected("/student")
    # get_received() refuses a disconnected client: what reached it before the end is in its queue.
    told = [p["args"][0] for p in pupil.queue if p["namespace"] == "/student" and p["name"] == "session_replaced"]
    assert told == [{"reason": "new_check_in"}]
    moved = student(app, sio, token)
    assert moved.is_connected("/student")
    resumed = events(moved, "/student", "attempt_state")[-1]["args"][0]
    assert resumed["attempt_id"] == state["attempt_id"] and resumed["status"] == "in_progress"
    assert ack(moved, "answer", {"question": question, "response": "B", "client_seq": 2}, "/student")["ok"]


def test_a_token_issue_that_rolls_back_ends_no_connection(app, sio, exam, token_for):
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live.models import SessionToken
    from exam_server.live.services import issue_session_token

    pupil, _boss, _state = started(app, sio, exam, token_for)
    with app.app_context():
        issue_session_token(session.get(Candidate, exam.candidate(1)), None, "chip", "kiosk 2")
        session.rollback()
    assert pupil.is_connected("/student")
    assert "error" not in ack(pupil, "sync", {}, "/student")
    # A connection that outlived its token (its end was lost between processes) is refused anyway.
    with app.app_context():
        session.execute(update(SessionToken).values(revoked_at=datetime.now(UTC)))
        session.commit()
    assert ack(pupil, "sync", {}, "/student")["error"] == "bad_token"


def test_a_proctor_message_reaches_the_candidate_or_the_whole_room(app, sio, exam, token_for):
    from exam_server.core.db import session
    from exam_server.live.models import ProctorAction

    pupil, boss, _state = started(app, sio, exam, token_for)
    other = student(app, sio, session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(2)))
    where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
    events(pupil, "/student"), events(other, "/student")
    told = ack(boss, "message", {**where, "candidate_id": exam.candidate(1), "text": "Ngồi thẳng lưng"}, "/proctor")
    assert told == {"ok": True, "candidates": 1}
    assert [e["args"][0] for e in events(pupil, "/student", "notice")] == [{"text": "Ngồi thẳng lưng"}]
    assert events(other, "/student", "notice") == []
    room = ack(boss, "message", {**where, "text": "Còn 15 phút"}, "/proctor")
    assert room["ok"] and room["candidates"] >= 2
    for screen in (pupil, other):
        assert [e["args"][0] for e in events(screen, "/student", "notice")] == [{"text": "Còn 15 phút"}]
    for bad in ({**where}, {**where, "text": "  "}, {**where, "text": "x" * 1001}, {**where, "text": "a\x00b"}):
        assert ack(boss, "message", bad, "/proctor")["error"] == "bad_event"
    assert events(pupil, "/student", "notice") == []
    assert ack(pupil, "message", {**where, "text": "hi"}, "/student")["error"] == "unknown_event"
    with app.app_context():
        rows = session.scalars(select(ProctorAction).where(ProctorAction.action == "message")
                               .order_by(ProctorAction.id)).all()
        assert [(r.candidate_id, r.payload["text"]) for r in rows] == [
            (exam.candidate(1), "Ngồi thẳng lưng"), (None, "Còn 15 phút")]


def test_candidate_versions_follow_commit_order(app, sio, exam, token_for):
    """Two transactions change the same attempt: the second waits on the first's row lock, so its
    higher version comes with the first one's change in it (the proctor page keeps the highest)."""
    import threading

    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live import services as live

    _pupil, boss, state = started(app, sio, exam, token_for)
    cid = exam.candidate(1)
    joined = ack(boss, "join", {"exam_id": exam.exam_id, "room_id": exam.room_id}, "/proctor")
    before = next(c for c in joined["room"]["candidates"] if c["candidate_id"] == cid)["version"]
    events(boss, "/proctor")
    locked, release = threading.Event(), threading.Event()

    def first():
        with app.app_context():
            admin = session.get(User, 1) or session.scalars(select(User)).first()
            live.candidate_action(admin, session.get(Candidate, cid), "move", datetime.now(UTC), reason="screen",
                                  payload={"kiosk": "K-09"})
            locked.set()
            release.wait(10)
            session.commit()

    thread = threading.Thread(target=first)
    thread.start()
    assert locked.wait(10)
    threading.Timer(0.3, release.set).start()   # the second waits on the first's lock until then
    with app.app_context():
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        live.candidate_action(admin, session.get(Candidate, cid), "extend", datetime.now(UTC), reason="noise",
                              payload={"minutes": 5})
        session.commit()
    thread.join(10)
    pushed = rows(events(boss, "/proctor", "room_update"), cid)
    assert [r["version"] for r in pushed][-1] == before + 2
    assert pushed[-1]["kiosk"] == "K-09" and pushed[-1]["remaining_seconds"] > 90 * 60


def test_a_connect_that_waits_too_long_is_refused_busy_and_comes_in_later(app, sio, exam, token_for):
    """A connect storm: connects beyond LIVE_CONNECT_CONCURRENCY wait LIVE_CONNECT_WAIT_SECONDS at
    most, then are refused `server_busy` (docs/protocol.md) and nothing of theirs is written."""
    from exam_server.core.metrics import REFUSALS
    from exam_server.live.models import Attempt

    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(1))
    handler = sio.server.namespace_handlers["/student"]
    handler.wait_seconds = 0.05
    busy = REFUSALS.labels("/student", "connect", "server_busy")
    before = busy._value.get()
    taken = 0
    while handler.admitting.acquire(blocking=False):    # every turn taken by connects in progress
        taken += 1
    assert taken == app.config["LIVE_CONNECT_CONCURRENCY"]
    try:
        assert not student(app, sio, token).is_connected("/student")
        assert busy._value.get() == before + 1
        with app.app_context():
            assert count(Attempt, Attempt.connection_sid.is_not(None)) == 0
    finally:
        for _ in range(taken):
            handler.admitting.release()
    assert student(app, sio, token).is_connected("/student")             # its turn came
