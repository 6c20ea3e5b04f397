"""The exam page's own chip portrait (issue 10): POST /api/v1/checkin/own-portrait with a session
token answers the chip portrait of that token's candidate's latest chip check-in, never another
candidate's; no portrait, a manual check-in, a live photo only or a bad token get no image."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.server.test_results import exam  # noqa: F401 - fixtures

FACES = Path(__file__).parent.parent / "fixtures" / "faces"


def _checkin(app, exam, index, method, photos):  # noqa: F811
    from exam_server.checkin.models import CheckIn, PhotoRecord
    from exam_server.core.db import session

    with app.app_context():
        row = CheckIn(exam_id=exam["id"], candidate_id=exam["candidates"][index], method=method,
                      outcome="verified" if method == "chip" else "manual", verified=method == "chip")
        session.add(row)
        session.flush()
        for kind, data in photos:
            session.add(PhotoRecord(checkin_id=row.id, kind=kind, mime_type="image/jpeg", size=len(data), data=data,
                                    delete_after=datetime.now(UTC) + timedelta(days=30)))
        session.commit()


def _token(app, exam, index):  # noqa: F811
    """A session token as a kiosk's check-in issues it (live.tokens; replaces the earlier one)."""
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live.tokens import issue_session_token

    with app.app_context():
        token = issue_session_token(session.get(Candidate, exam["candidates"][index]), None, "chip", "")
        session.commit()
        return token


def test_own_portrait_only(app, client, exam, token_for):  # noqa: F811
    chip0 = (FACES / "obama_2009.jpg").read_bytes()
    live0 = (FACES / "obama_2012.jpg").read_bytes()
    chip1 = (FACES / "biden_2010.jpg").read_bytes()
    _checkin(app, exam, 0, "chip", [("chip", b"an older portrait")])
    _checkin(app, exam, 0, "chip", [("chip", chip0), ("live", live0)])
    _checkin(app, exam, 1, "chip", [("chip", chip1)])
    _checkin(app, exam, 2, "chip", [("live", live0)])         # a live photo only: no portrait
    tokens = [_token(app, exam, i) for i in range(3)]

    first = client.post("/api/v1/checkin/own-portrait", json={"token": tokens[0]})
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert first.data == chip0                                 # the latest chip check-in's, not the live photo
    assert first.headers["Cache-Control"] == "no-store, private"
    assert client.post("/api/v1/checkin/own-portrait", json={"token": tokens[1]}).data == chip1
    assert client.post("/api/v1/checkin/own-portrait", json={"token": tokens[2]}).status_code == 404
    for bad in ("WRONG-TOKEN", "", None, 12, "x" * 5000):
        response = client.post("/api/v1/checkin/own-portrait", json={"token": bad})
        assert response.status_code == 401, (bad, response.status_code)
        assert response.get_json()["error"] == "bad_token"
    assert client.post("/api/v1/checkin/own-portrait", data="not json",
                       content_type="application/json").status_code == 400
    # A replaced token no longer opens anything.
    _token(app, exam, 0)
    assert client.post("/api/v1/checkin/own-portrait", json={"token": tokens[0]}).status_code == 401
