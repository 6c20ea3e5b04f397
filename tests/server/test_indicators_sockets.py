"""/dashboard over Flask-SocketIO's test client: roles on connect and on every event, and one
coalesced "changed" after each commit that changed indicator cells (none before the commit)."""
from __future__ import annotations

from decimal import Decimal

from tests.conftest import PASSWORD
from tests.server.indicator_factories import bare_exam, load_units
from tests.server.test_indicators_engine import _send


def dashboard(app, sio, username):
    http = app.test_client()
    assert http.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return sio.test_client(app, namespace="/dashboard", flask_test_client=http)


def test_only_admins_and_officials_connect(app, sio, users):
    for username in ("student1", "teacher1", "proctor1"):
        assert not dashboard(app, sio, username).is_connected("/dashboard")
    assert not sio.test_client(app, namespace="/dashboard").is_connected("/dashboard")
    for username in ("admin", "official1"):
        client = dashboard(app, sio, username)
        assert client.is_connected("/dashboard")
        assert client.emit("watch", {}, namespace="/dashboard", callback=True) == {"ok": True}
        assert client.emit("nonsense", {}, namespace="/dashboard", callback=True)["error"] == "unknown_event"
        client.disconnect(namespace="/dashboard")


def test_an_account_demoted_while_connected_is_refused_on_the_next_event(app, sio, users):
    from exam_server.accounts.models import Role, User
    from exam_server.core.db import session

    client = dashboard(app, sio, "official1")
    with app.app_context():
        session.get(User, users["official1"]).role = Role.STUDENT
        session.commit()
    assert client.emit("watch", {}, namespace="/dashboard", callback=True) == {"ok": False, "error": "forbidden"}


def test_one_changed_message_per_commit_after_the_commit(app, sio, users):
    from exam_server.core.db import session

    client = dashboard(app, sio, "admin")
    client.emit("watch", {}, namespace="/dashboard", callback=True)
    client.get_received("/dashboard")
    with app.app_context():
        load_units()
        client.get_received("/dashboard")
        exam_id, c = bare_exam([("S1", "12A")] * 5)
        _send(exam_id, c, [("move", i, "in_progress") for i in range(5)] + [("score", 0, Decimal(6))])
        assert client.get_received("/dashboard") == []          # not before the commit
        session.commit()
    got = [e for e in client.get_received("/dashboard") if e["name"] == "changed"]
    assert got == [{"name": "changed", "args": [{"exam_ids": [exam_id]}], "namespace": "/dashboard"}]
