"""An adaptive exam sat over the /student socket (docs/protocol.md, "Adaptive exams"), on both
databases: the ack carries the next question, a closed question is refused, a reload resumes at
the open question, the result's θ is the EAP that item_bank.psychometrics computes independently
on the same responses, and an answer costs two statements."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from tests.server.exam_factories import iso
from tests.server.test_exams import BLUEPRINT, ROWS, add_room, csv_bytes, make_exam, upload
from tests.server.test_exams_assembly import NUMERIC_KEY, assemble, seed_bank
from tests.server.test_live_sockets import ack, events, proctor, student
from tests.server.test_live_statement_counts import Statements

RULES = {"max_items": 6, "min_items": 2, "se_target": 0.05, "randomesque_n": 2}
TF_SCORES = [0, 0.1, 0.25, 0.5, 1]      # the 2025 rule: 1, 2, 3, 4 statements right
TF_KEY = {"a": True, "b": False, "c": True, "d": False}


def params(item_type: str, n: int) -> dict:
    """The calibration the test gives each bank item (hand-chosen, spread over difficulty)."""
    if item_type == "single_choice":
        return {"model": "2pl", "a": 1.0 + 0.2 * n, "b": -1.5 + 0.6 * n}
    if item_type == "numeric":
        return {"model": "2pl", "a": 1.2, "b": -0.5 + 0.5 * n}
    return {"model": "grm", "a": 1.1, "b": 0.0, "thresholds": [t + 0.2 * n for t in (-1.5, -0.5, 0.3, 1.2)],
            "scores": TF_SCORES}


def adaptive_exam(app, client, token_for, users, admin) -> dict:
    from exam_server.analysis.models import ItemCalibration
    from exam_server.bank.models import Item, ItemVersion
    from exam_server.core.db import session

    bank = seed_bank(client, token_for)
    now = datetime.now(UTC)
    exam = make_exam(client, admin, blueprint=BLUEPRINT, adaptive=RULES, opens_at=iso(now - timedelta(hours=1)),
                     closes_at=iso(now + timedelta(hours=5)), duration_minutes=90)
    assert exam["adaptive"] == RULES
    room = add_room(client, admin, exam["id"], "P01", proctor_ids=[users["proctor1"]])
    assert upload(client, admin, exam["id"], csv_bytes(ROWS), "roster.csv").status_code == 200
    with app.app_context():
        for item_type, identifiers in bank.items():
            for n, identifier in enumerate(identifiers):
                version_id = session.scalar(select(ItemVersion.id).join(Item, Item.id == ItemVersion.item_id)
                                            .where(Item.identifier == identifier))
                model = params(item_type, n)
                session.add(ItemCalibration(item_version_id=version_id, exam_id=exam["id"], model=model["model"],
                                            parameters={k: v for k, v in model.items() if k != "model"},
                                            n_candidates=500, model_loglik=-1.0, calibrated_by_id=users["admin"]))
        session.commit()
    assert assemble(client, admin, exam["id"]).status_code == 200
    assert client.post(f"/api/v1/exams/{exam['id']}/publish", headers=admin).status_code == 200
    candidates = client.get(f"/api/v1/exams/{exam['id']}/candidates", headers=admin).get_json()["candidates"]
    return {"id": exam["id"], "room": room["id"], "candidates": {c["candidate_number"]: c["id"] for c in candidates}}


class Sitter:
    """A simulated candidate of ability 0.5 answering each question it is shown."""

    def __init__(self):
        self.rng = np.random.default_rng(7)
        self.given: list[tuple[str, int, int]] = []       # (type, n, category) of each answer

    def respond(self, question: dict):
        item_type, n = re.search(r"Câu hỏi (\w+) số (\d+)", question["stem"]).groups()
        n = int(n)
        right = self.rng.random() < 0.6
        if item_type == "single_choice":
            response, code = ("A" if right else "B"), int(right)
        elif item_type == "numeric":
            response, code = (str(NUMERIC_KEY) if right else "1"), int(right)
        else:
            n_right = 4 if right else 3
            response = {k: (v if i < n_right else not v) for i, (k, v) in enumerate(TF_KEY.items())}
            code = n_right
        self.given.append((item_type, n, code))
        return response


def independent_eap(given) -> tuple[float, float]:
    from item_bank.psychometrics.calibrate import FAMILY
    from item_bank.psychometrics.params import ItemEstimate
    from item_bank.psychometrics.scoring import ItemSet

    items = [ItemEstimate.from_dict({**params(t, n), "id": f"{t}{n}"}, FAMILY[params(t, n)["model"]])
             for t, n, _code in given]
    found = ItemSet(items).eap(np.array([[code for _t, _n, code in given]]))
    return float(found.theta[0]), float(found.se[0])


def start(app, sio, client, token_for, exam, number="010001"):
    headers = token_for("proctor1")
    response = client.post(f"/api/v1/exams/{exam['id']}/candidates/{exam['candidates'][number]}/session-token",
                           json={"reason": "card reader broken"}, headers=headers)
    token = response.get_json()["token"]
    pupil = student(app, sio, token)
    boss = proctor(app, sio)
    assert ack(boss, "start_room", {"exam_id": exam["id"], "room_id": exam["room"]}, "/proctor") == {"ok": True}
    state = events(pupil, "/student", "attempt_state")[-1]["args"][0]
    return pupil, token, state


def test_an_adaptive_exam_over_the_socket(app, sio, client, token_for, users, admin, login):
    from exam_server.core.db import session
    from exam_server.results.models import Result

    exam = adaptive_exam(app, client, token_for, users, admin)
    pupil, token, state = start(app, sio, client, token_for, exam)
    paper = state["paper"]
    assert paper["adaptive"] == {"done": False, "fixed": 0} and [q["number"] for q in paper["questions"]] == [1]
    assert "Câu hỏi" in paper["questions"][0]["stem"] and "key" not in paper["questions"][0]
    sitter, question, seq, first = Sitter(), paper["questions"][0], 0, None
    while question is not None:
        seq += 1
        body = {"question": question["number"], "response": sitter.respond(question), "client_seq": seq}
        got = ack(pupil, "answer", body, "/student")
        assert got["ok"], got
        first = first or (body, got)
        assert got["seq"] == seq and got["adaptive"]["given"] == len(sitter.given) + (got["next"] is not None)
        if got["next"] is not None:
            assert got["next"]["number"] == question["number"] + 1
            if question["number"] == 3:      # a reload resumes at the open question
                pupil.disconnect(namespace="/student")
                again = student(app, sio, token)
                resumed = events(again, "/student", "attempt_state")[-1]["args"][0]["paper"]
                assert resumed["questions"][-1] == got["next"] and len(resumed["questions"]) == 4
                pupil = again
        question = got["next"]
    assert len(sitter.given) == RULES["max_items"] and got["adaptive"]["done"]
    # content balancing against the blueprint's cells (4 single choice, 2 clusters, 2 numeric of 8):
    # six questions cover every cell, single choice the most
    types = [t for t, _n, _code in sitter.given]
    assert {t: types.count(t) for t in set(types)}["single_choice"] >= 2 and len(set(types)) == 3
    # a question answered is closed; the very same event again is a replay, acknowledged again
    closed = ack(pupil, "answer", {"question": 1, "response": "C", "client_seq": seq + 1}, "/student")
    assert closed["ok"] is False and closed["error"] == "question_closed"
    replay = ack(pupil, "answer", first[0], "/student")
    assert replay["ok"] and replay["seq"] == first[0]["client_seq"] and replay["next"] is None
    assert ack(pupil, "submit", {}, "/student")["ok"]
    theta, se = independent_eap(sitter.given)
    with app.app_context():
        result = session.scalar(select(Result).where(Result.candidate_id == exam["candidates"]["010001"]))
        assert result.theta == pytest.approx(theta, abs=1e-6) and result.theta_se == pytest.approx(se, abs=1e-6)
        assert 0 <= float(result.score) <= 10 and len(result.items) == RULES["max_items"]
    candidate_id = exam["candidates"]["010001"]
    body = client.get(f"/api/v1/exams/{exam['id']}/candidates/{candidate_id}/result", headers=admin).get_json()
    assert body["result"]["theta"] == pytest.approx(theta, abs=1e-6)
    assert body["result"]["theta_se"] == pytest.approx(se, abs=1e-6)
    # the review shows the questions given, in order, as the candidate saw them, with what they answered
    assert [q["number"] for q in body["review"]] == list(range(1, RULES["max_items"] + 1))
    assert all(q["answered"] for q in body["review"])
    page = login("teacher1").get(f"/results/exams/{exam['id']}/candidates/{candidate_id}").get_data(as_text=True)
    assert "data-theta" in page and f"θ = {theta:.2f} ± {se:.2f}" in page
    assert "Năng lực (bài thi thích ứng): θ" in page           # the whole exam is adaptive, not a section
    assert [re.search(r"Câu hỏi (\w+) số (\d+)", q["stem"]).groups() for q in body["review"]] == \
        [(t, str(n)) for t, n, _code in sitter.given]


def test_an_adaptive_answer_is_two_statements(app, sio, client, token_for, users, admin):
    exam = adaptive_exam(app, client, token_for, users, admin)
    pupil, _token, state = start(app, sio, client, token_for, exam)
    sitter, question = Sitter(), state["paper"]["questions"][0]
    statements = Statements(app)
    try:
        for seq in range(1, 4):
            body = {"question": question["number"], "response": sitter.respond(question), "client_seq": seq}
            with statements.counting() as seen:
                got = ack(pupil, "answer", body, "/student")
            assert got["ok"], got
            if seq > 1:       # the first answer of a process may load the pool once
                assert dict(seen) == {"INSERT": 1, "UPDATE": 1}
            question = got["next"]
    finally:
        statements.close()


def test_adaptive_refusals_and_reproduction(app, sio, client, token_for, users, admin):
    exam = adaptive_exam(app, client, token_for, users, admin)
    pupil, _token, state = start(app, sio, client, token_for, exam)
    ahead = ack(pupil, "answer", {"question": 2, "response": "A", "client_seq": 1}, "/student")
    assert ahead["error"] == "unknown_question"            # not given yet
    cleared = ack(pupil, "answer", {"question": 1, "response": None, "client_seq": 1}, "/student")
    assert cleared["error"] == "invalid_response"
    sitter, question = Sitter(), state["paper"]["questions"][0]
    for seq in (1, 2):
        question = ack(pupil, "answer", {"question": question["number"], "response": sitter.respond(question),
                                         "client_seq": seq}, "/student")["next"]
    candidate_id = exam["candidates"]["010001"]
    again = client.get(f"/api/v1/exams/{exam['id']}/candidates/{candidate_id}/paper", headers=admin)
    body = again.get_json()     # the CAT replayed from the seed on the recorded answers: the same 3 questions
    assert again.status_code == 200 and body["matches_record"] is True and len(body["item_order"]) == 3
    assert [q["number"] for q in body["questions"]] == [1, 2, 3]


def test_adaptive_rules_are_checked(client, admin):
    bad = client.post("/api/v1/exams", json={**_exam(), "adaptive": {"max_items": 0}}, headers=admin)
    assert bad.status_code == 422 and bad.get_json()["field"] == "adaptive.max_items"
    bad = client.post("/api/v1/exams", json={**_exam(), "adaptive": {"min_items": 9, "max_items": 3}}, headers=admin)
    assert bad.status_code == 422 and bad.get_json()["field"] == "adaptive.min_items"
    bad = client.post("/api/v1/exams", json={**_exam(), "adaptive": {"speed": 1}}, headers=admin)
    assert bad.status_code == 422


def _exam():
    from tests.server.test_exams import EXAM

    return EXAM


def test_a_closed_adaptive_attempt_scores_the_questions_answered(app, sio, client, token_for, users, admin):
    """At the deadline the open question was never answered: it is not part of θ (not presented)."""
    from exam_server.core.db import session
    from exam_server.live.models import Attempt
    from exam_server.results.services import score_attempts

    exam = adaptive_exam(app, client, token_for, users, admin)
    pupil, _token, state = start(app, sio, client, token_for, exam)
    sitter, question = Sitter(), state["paper"]["questions"][0]
    for seq in (1, 2):
        question = ack(pupil, "answer", {"question": question["number"], "response": sitter.respond(question),
                                         "client_seq": seq}, "/student")["next"]
    theta, se = independent_eap(sitter.given)
    with app.app_context():
        attempt = session.scalar(select(Attempt).where(Attempt.candidate_id == exam["candidates"]["010001"]))
        (result,) = score_attempts([attempt])
        session.commit()
        assert result.theta == pytest.approx(theta, abs=1e-6) and result.theta_se == pytest.approx(se, abs=1e-6)
        assert [item.response is not None for item in result.items] == [True, True, False]
