"""The tamper-evident audit chain (issue 11): what changes an exam's outcome is recorded through
the domain signals, in the same transaction; `exam-server audit verify` names the first broken
record after a row is edited, deleted or the tail cut off in the database."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select, text, update

from tests.server.exam_factories import live_exam, session_token
from tests.server.test_live_sockets import ack, proctor, student


@pytest.fixture
def exam(app, client, token_for, users):
    return live_exam(app, client, token_for, users)


def _records(app):
    from exam_server.audit.models import AuditRecord
    from exam_server.core.db import session

    with app.app_context():
        return [(r.id, r.kind, r.exam_id, r.actor_id, r.subject, json.loads(r.data))
                for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))]


def _verify(app):
    from exam_server.audit.services import verify
    from exam_server.core.db import session

    with app.app_context():
        return verify(session)


def test_outcome_changes_are_chained_and_verified(app, sio, exam, token_for, users):
    token = session_token(app.test_client(), token_for("proctor1"), exam, exam.candidate(1))
    pupil = student(app, sio, token)
    assert pupil.is_connected("/student")
    boss = proctor(app, sio)
    where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
    assert ack(boss, "join", where, "/proctor")["ok"]
    assert ack(boss, "start_room", where, "/proctor") == {"ok": True}
    assert ack(boss, "pause", {**where, "candidate_id": exam.candidate(1), "reason": "restroom"}, "/proctor")["ok"]
    assert ack(boss, "resume", {**where, "candidate_id": exam.candidate(1), "reason": "back"}, "/proctor")["ok"]
    assert ack(pupil, "submit", {}, "/student")["ok"]
    kinds = [r[1] for r in _records(app)]
    # Hand-written expectations: the manual admission (token), the room's start, the pause and resume
    # (both the proctor's action and the attempt's move), the submit and its stored result.
    for expected in ("admission.manual", "attempts.start", "proctor.pause", "attempts.pause", "proctor.resume",
                     "attempts.resume", "attempts.submit", "result.stored"):
        assert expected in kinds, (expected, kinds)
    pause = next(r for r in _records(app) if r[1] == "proctor.pause")
    assert pause[2] == exam.exam_id and pause[3] == users["proctor1"] and pause[5]["reason"] == "restroom"
    ids = [r[0] for r in _records(app)]
    assert ids == list(range(1, len(ids) + 1))
    verdict = _verify(app)
    assert verdict.ok and verdict.checked == len(ids)


def test_a_rolled_back_change_leaves_no_record(app, client, token_for, users):
    before = len(_records(app))
    refused = client.post("/api/v1/users", headers=token_for("admin"),
                          json={"username": "admin", "password": "a long password", "role": "student"})
    assert refused.status_code == 409
    assert len(_records(app)) == before and _verify(app).ok


def _some_records(app, client, token_for):
    admin = token_for("admin")
    for n in range(5):
        assert client.post("/api/v1/users", headers=admin, json={"username": f"user{n}", "password": "a long password",
                                                                  "role": "student"}).status_code == 201
    return _records(app)


def _cli_verify(app, test_config, monkeypatch, capsys):
    from exam_server.cli import main
    from exam_server.core import config as config_module

    real = config_module.load_config
    monkeypatch.setattr("exam_server.app.load_config", lambda overrides=None: real({**test_config, **(overrides or {})}))
    code = main(["audit", "verify"])
    return code, capsys.readouterr().out


def test_an_edited_row_is_named_by_audit_verify(app, client, token_for, users, test_config, monkeypatch, capsys):
    from exam_server.audit.models import AuditRecord
    from exam_server.core.db import session

    records = _some_records(app, client, token_for)
    assert _cli_verify(app, test_config, monkeypatch, capsys)[0] == 0
    victim = records[len(records) // 2][0]
    with app.app_context():
        session.execute(text("UPDATE audit_records SET data = :d WHERE id = :id"),
                        {"d": '{"role":"admin"}', "id": victim})
        session.commit()
    code, out = _cli_verify(app, test_config, monkeypatch, capsys)
    assert code == 1 and f"BROKEN at record {victim}:" in out and "edited" in out
    verdict = _verify(app)
    assert verdict.broken_id == victim and verdict.checked == victim - 1
    # Re-hashing the edited row itself moves the break to the next record (its prev hash no longer fits).
    from exam_server.audit.services import record_hash

    with app.app_context():
        row = session.get(AuditRecord, victim)
        session.execute(update(AuditRecord).where(AuditRecord.id == victim).values(
            hash=record_hash(row.prev_hash, row.id, row.at, row.kind, row.exam_id, row.actor_id, row.subject,
                             row.data)))
        session.commit()
    assert _verify(app).broken_id == victim + 1


def test_deleted_and_cut_off_records_are_named(app, client, token_for, users):
    from exam_server.audit.models import AuditRecord
    from exam_server.core.db import session

    records = _some_records(app, client, token_for)
    last = records[-1][0]
    with app.app_context():
        session.execute(delete(AuditRecord).where(AuditRecord.id == 3))
        session.commit()
    verdict = _verify(app)
    assert verdict.broken_id == 3 and "missing" in verdict.reason
    with app.app_context():
        session.execute(text("DELETE FROM audit_records WHERE id >= 3"))
        session.commit()
    verdict = _verify(app)                     # the head still remembers the last record
    assert not verdict.ok and verdict.broken_id == last
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == 2


def test_chain_stays_whole_across_concurrent_transactions(app, token_for, users):
    """Two threads append at once (PostgreSQL: FOR UPDATE on the head row; SQLite: one writer)."""
    import threading

    errors = []

    def create(prefix):
        try:
            client = app.test_client()
            headers = token_for("admin")
            for n in range(6):
                response = client.post("/api/v1/users", headers=headers, json={
                    "username": f"{prefix}{n}", "password": "a long password", "role": "student"})
                assert response.status_code == 201, response.get_json()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    token_for("admin")
    threads = [threading.Thread(target=create, args=(p,)) for p in ("aa", "bb")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    verdict = _verify(app)
    assert verdict.ok and verdict.checked == len(users) + 12


def test_an_audited_commit_costs_one_insert_and_the_sequencer_a_fixed_few(app, users):
    """The chain's price per audited commit: one INSERT into the queue (however many entries; no
    lock on the head, which every audited transaction used to hold to its commit). The sequencer's
    pass, in its own transaction: take the queue out, lock and read the head, one INSERT of the
    records, one UPDATE of the head (plus the advisory lock on PostgreSQL) - for one entry or many."""
    import threading

    from sqlalchemy import event

    from exam_server.accounts.models import User
    from exam_server.accounts.services import set_active
    from exam_server.audit import receivers
    from exam_server.audit.services import chain_all
    from exam_server.core import signals
    from exam_server.core.db import session

    engine = app.extensions["db_engine"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()[:3]).upper())

    def counted(work) -> list[str]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            with app.app_context():
                work()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return list(statements)

    def toggle(active: bool):
        def work():
            for name in ("student1", "teacher1", "proctor1"):
                set_active(session.get(User, users[name]), active, session.get(User, users["admin"]))
            session.commit()
        return work

    # As in a server process: the queue is chained by the process's sequencer loop, here never woken.
    app.extensions["drains"] = {"audit": threading.Event()}
    signals.account_changed.disconnect(receivers.on_account_changed)
    try:
        without = counted(toggle(False))
        counted(toggle(True))
    finally:
        receivers.connect()
    with_audit = counted(toggle(False))
    assert len(with_audit) - len(without) == 1, (without, with_audit)
    assert with_audit[-1].startswith("INSERT INTO AUDIT_PENDING")
    assert _verify(app).pending == 3, "committed with the change, not chained yet"

    pass_statements = counted(chain_all)
    kinds = [s.split()[0] for s in pass_statements if "ADVISORY" not in s]
    assert kinds == ["DELETE", "SELECT", "INSERT", "UPDATE"], pass_statements
    verdict = _verify(app)
    assert verdict.ok and verdict.pending == 0
    assert verdict.checked == len(users) + 3


def test_pending_entries_survive_a_process_that_never_chains_them(app, token_for, users):
    """Committed entries whose sequencer never ran (the process died after its commit) stay queued
    and the chain intact; a later pass, by any process, chains them in the order they were queued."""
    import threading

    from exam_server.audit.services import chain_all

    app.extensions["drains"] = {"audit": threading.Event()}
    client, headers = app.test_client(), token_for("admin")
    for n in range(4):
        assert client.post("/api/v1/users", headers=headers, json={
            "username": f"late{n}", "password": "a long password", "role": "student"}).status_code == 201
    before = _verify(app)
    assert before.ok and before.pending == 4
    with app.app_context():
        chain_all()
    after = _verify(app)
    assert after.ok and after.pending == 0 and after.checked == before.checked + 4
    created = [r[4] for r in _records(app) if r[1] == "account.create"][-4:]
    from exam_server.accounts.models import User
    from exam_server.core.db import session

    with app.app_context():
        ids = [session.scalar(select(User.id).where(User.username == f"late{n}")) for n in range(4)]
    assert created == [f"user:{i}" for i in ids]


def test_a_results_release_is_chained(app, client, exam, token_for, users):
    """Showing the results to the candidates changes what they see of the outcome: the release and
    its withdrawal are records of the chain, with the admin who did it."""
    admin = token_for("admin")
    url = f"/api/v1/exams/{exam.exam_id}/results-release"
    assert client.put(url, headers=admin, json={"visible": True}).status_code == 200
    assert client.put(url, headers=admin, json={"visible": False}).status_code == 200
    released = [(kind, exam_id, actor) for _id, kind, exam_id, actor, _subject, _data in _records(app)
                if kind.startswith("results.")]
    assert released == [("results.released", exam.exam_id, users["admin"]),
                        ("results.withdrawn", exam.exam_id, users["admin"])]
    assert _verify(app).ok


def test_a_role_change_is_chained_and_ends_the_old_sessions(app, client, token_for, users):
    """An admin moves teacher1 to proctor: one `account.role` record naming the admin; the
    teacher's token from before stops working; nobody changes their own role; a made-up role is
    refused with nothing written."""
    admin, teacher = token_for("admin"), token_for("teacher1")
    url = f"/api/v1/users/{users['teacher1']}/role"
    assert client.put(url, headers=admin, json={"role": "principal"}).status_code == 400
    assert client.put(f"/api/v1/users/{users['admin']}/role", headers=admin, json={"role": "teacher"}).status_code == 409
    assert client.put(url, headers=teacher, json={"role": "admin"}).status_code == 403
    changed = client.put(url, headers=admin, json={"role": "proctor"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "proctor"
    assert client.get("/api/v1/me", headers=teacher).status_code == 401
    roles = [(kind, subject, actor, data["role"]) for _id, kind, _exam, actor, subject, data in _records(app)
             if kind == "account.role"]
    assert roles == [("account.role", f"user:{users['teacher1']}", users["admin"], "proctor")]
    assert _verify(app).ok
