"""A second kiosk check-in after the candidate has finished (issue 10): the server records it with
the outcome "finished", hands out no new link, and the room's proctors get an incident of its own
kind; the kiosk tells the candidate the exam is finished for them."""
from __future__ import annotations

from datetime import UTC, datetime

from tests.server.test_checkin import incidents, setup, test_config  # noqa: F401  (fixtures)


def _finish(app, candidate_id: int, exam_id: int, status: str) -> None:
    from exam_server.core.db import session
    from exam_server.live.models import Attempt, AttemptStatus

    from sqlalchemy import select

    now = datetime.now(UTC)
    with app.app_context():
        attempt = session.scalar(select(Attempt).where(Attempt.candidate_id == candidate_id))
        if attempt is None:          # the first check-in may already have made it
            attempt = Attempt(exam_id=exam_id, candidate_id=candidate_id)
            session.add(attempt)
        attempt.status, attempt.started_at = AttemptStatus(status), now
        attempt.finished_at = now if status in ("submitted", "closed", "terminated") else None
        session.commit()


def _proctor_socket(app, setup):  # noqa: F811
    from exam_server.core.extensions import socketio
    from tests.conftest import PASSWORD

    http = app.test_client()
    assert http.post("/login", data={"username": "proctor1", "password": PASSWORD}).status_code == 302
    boss = socketio.test_client(app, namespace="/proctor", flask_test_client=http)
    joined = boss.emit("join", {"exam_id": setup.exam_id, "room_id": setup.room_id}, namespace="/proctor",
                       callback=True)
    assert joined["ok"], joined
    boss.get_received("/proctor")
    return boss


def test_a_check_in_after_submitting_gives_no_link_and_raises_an_incident(setup, make_card, pki, app):  # noqa: F811
    first = setup.post(setup.body(make_card, pki))
    assert first.status_code == 200 and first.get_json()["token"]
    _finish(app, setup.candidate_id, setup.exam_id, "submitted")
    boss = _proctor_socket(app, setup)

    again = setup.post(setup.body(make_card, pki))
    body = again.get_json()
    assert again.status_code == 409, body
    assert body["error"] == "finished" and body["outcome"] == "finished"
    assert "token" not in body and "exam_url" not in body
    assert any("already finished" in r for r in body["reasons"])
    kinds = [kind for kind, _detail in incidents(app, setup.candidate_id)]
    assert kinds == ["checkin_after_finish"]
    pushed = [e["args"][0] for e in boss.get_received("/proctor") if e["name"] == "incident"]
    assert [(i["kind"], i["candidate_id"]) for i in pushed] == [("checkin_after_finish", setup.candidate_id)]
    boss.disconnect("/proctor")

    from sqlalchemy import select

    from exam_server.checkin.models import CheckIn
    from exam_server.core.db import session
    with app.app_context():
        rows = session.scalars(select(CheckIn).where(CheckIn.candidate_id == setup.candidate_id)
                               .order_by(CheckIn.id)).all()
        assert [(r.outcome, r.verified) for r in rows] == [("verified", True), ("finished", False)]


def test_a_closed_or_terminated_attempt_is_finished_too(setup, make_card, pki, app):  # noqa: F811
    _finish(app, setup.candidate_id, setup.exam_id, "terminated")
    response = setup.post(setup.body(make_card, pki))
    assert response.status_code == 409 and response.get_json()["outcome"] == "finished"


def test_a_candidate_still_sitting_checks_in_again_as_before(setup, make_card, pki, app):  # noqa: F811
    _finish(app, setup.candidate_id, setup.exam_id, "in_progress")
    response = setup.post(setup.body(make_card, pki))
    assert response.status_code == 200 and response.get_json()["token"]
    assert incidents(app, setup.candidate_id) == []


def test_the_kiosk_says_the_exam_is_finished(setup, make_card, pki, app):  # noqa: F811
    """The kiosk's loop on the server's answer (the reader is not needed: check_in raises what
    ServerClient raises for that answer)."""
    from kiosk_client.checkin import CheckinError, KioskFlow

    _finish(app, setup.candidate_id, setup.exam_id, "submitted")
    answer = setup.post(setup.body(make_card, pki)).get_json()

    class Flow(KioskFlow):
        def check_in(self):
            raise CheckinError("server_refused", f"server refused ({answer['error']}): {answer['message']}",
                               answer.get("reasons"), answer.get("outcome"))

    said: list[str] = []
    assert Flow(None, None, None, say=said.append).run(once=True) == 1
    # The kiosk's default language, Vietnamese (the text from its catalogue, kiosk_client/translations).
    assert said == ["Thí sinh đã hoàn thành bài thi: không cấp đường dẫn mới. Giám thị đã được báo."]
    assert not any("Đã điểm danh" in s for s in said)
