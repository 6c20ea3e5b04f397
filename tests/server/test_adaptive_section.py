"""An exam with fixed questions and an adaptive section, sat over the /student socket
(docs/protocol.md, "Adaptive exams"), on both databases.

The blueprint (tests/server/test_exams.py) has three rows: 4 single choice (1.5 points each), 2
true/false clusters and 2 numeric (1 point each). Row 0 is the adaptive section: the single-choice
items, calibrated by the hand-written table below; the 4 other questions are fixed. Expected values
come from the rules, computed here on a fine grid: the first section question is the item of most
Fisher information at θ = 0 (a²PQ of the 2PL), each next one the most informative at the EAP of
the answers so far (randomesque_n = 1: no randomness), the section stops at max_items, and the
score is 10 x (fixed points + 6 x E(θ)) / 10 with E the mean probability right over the pool."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from tests.server.exam_factories import iso
from tests.server.test_adaptive import TF_KEY, start
from tests.server.test_exams import BLUEPRINT, ROWS, add_room, csv_bytes, make_exam, upload
from tests.server.test_exams_assembly import NUMERIC_KEY, assemble, seed_bank
from tests.server.test_live_sockets import ack, events, student
from tests.server.test_live_statement_counts import Statements

# (a, b) of single-choice item n (its stem says "Câu hỏi single_choice số n"). At θ = 0 the
# information a²PQ is 0.137, 0.235, 0.640, 0.256, 0.435, 0.066: item 2 comes first.
TABLE = [(0.8, -1.0), (1.0, 0.5), (1.6, 0.0), (1.2, 1.0), (1.4, -0.5), (0.9, 2.0)]
SECTION_RULES = {"max_items": 3, "min_items": 1, "se_target": None, "randomesque_n": 1, "section": [0]}
FIXED = 4                  # 2 clusters + 2 numeric
SECTION_POINTS = 6.0       # 4 x 1.5
GRID = np.linspace(-6, 6, 4001)


def p_right(n: int, theta):
    a, b = TABLE[n]
    return 1 / (1 + np.exp(-a * (np.asarray(theta) - b)))


def information(n: int, theta: float) -> float:
    p = p_right(n, theta)
    return TABLE[n][0] ** 2 * p * (1 - p)


def eap(answers: list[tuple[int, int]]) -> tuple[float, float]:
    """The EAP and posterior SD under N(0, 1) of (item, right) answers, on a fine grid."""
    post = np.exp(-0.5 * GRID ** 2)
    for n, right in answers:
        p = p_right(n, GRID)
        post = post * (p if right else 1 - p)
    post /= post.sum()
    mean = float(post @ GRID)
    return mean, float(np.sqrt(post @ GRID ** 2 - mean ** 2))


def most_informative(answers: list[tuple[int, int]]) -> int:
    theta = eap(answers)[0] if answers else 0.0
    given = {n for n, _right in answers}
    return max((n for n in range(len(TABLE)) if n not in given), key=lambda n: information(n, theta))


def section_exam(app, client, token_for, users, admin, rules=SECTION_RULES) -> dict:
    from exam_server.analysis.models import ItemCalibration
    from exam_server.bank.models import Item, ItemVersion
    from exam_server.core.db import session

    bank = seed_bank(client, token_for)
    now = datetime.now(UTC)
    exam = make_exam(client, admin, blueprint=BLUEPRINT, adaptive=rules, score_rounding="0.01", opens_at=iso(now - timedelta(hours=1)),
                     closes_at=iso(now + timedelta(hours=5)), duration_minutes=90)
    room = add_room(client, admin, exam["id"], "P01", proctor_ids=[users["proctor1"]])
    assert upload(client, admin, exam["id"], csv_bytes(ROWS), "roster.csv").status_code == 200
    versions = {}           # version id -> n (the row of TABLE)
    with app.app_context():
        for n, identifier in enumerate(bank["single_choice"]):
            version_id = session.scalar(select(ItemVersion.id).join(Item, Item.id == ItemVersion.item_id)
                                        .where(Item.identifier == identifier))
            versions[version_id] = n
            a, b = TABLE[n]
            session.add(ItemCalibration(item_version_id=version_id, exam_id=exam["id"], model="2pl",
                                        parameters={"a": a, "b": b}, n_candidates=500, model_loglik=-1.0,
                                        calibrated_by_id=users["admin"]))
        session.commit()
    response = assemble(client, admin, exam["id"])
    assert response.status_code == 200, response.get_json()
    assert client.post(f"/api/v1/exams/{exam['id']}/publish", headers=admin).status_code == 200
    candidates = client.get(f"/api/v1/exams/{exam['id']}/candidates", headers=admin).get_json()["candidates"]
    return {"id": exam["id"], "room": room["id"], "candidates": {c["candidate_number"]: c["id"] for c in candidates},
            "versions": versions}


def kind(question: dict) -> tuple[str, int]:
    item_type, n = re.search(r"Câu hỏi (\w+) số (\d+)", question["stem"]).groups()
    return item_type, int(n)


def right_answer(question: dict):
    item_type, _n = kind(question)
    return {"single_choice": "A", "numeric": str(NUMERIC_KEY), "true_false_cluster": dict(TF_KEY)}[item_type]


def test_an_adaptive_section_over_the_socket(app, sio, client, token_for, users, admin, login):
    from exam_server.core.db import session
    from exam_server.results.models import Result

    exam = section_exam(app, client, token_for, users, admin)
    pupil, token, state = start(app, sio, client, token_for, exam)
    paper = state["paper"]
    assert paper["adaptive"] == {"done": False, "fixed": FIXED}
    questions = paper["questions"]
    assert [q["number"] for q in questions] == list(range(1, FIXED + 2))
    assert sorted(kind(q)[0] for q in questions[:FIXED]) == ["numeric", "numeric", "true_false_cluster",
                                                             "true_false_cluster"]
    assert kind(questions[FIXED]) == ("single_choice", 2) == ("single_choice", most_informative([]))
    # the fixed questions are answered as in any exam: changed, cleared, answered again
    seq = 0
    for q in questions[:FIXED]:
        for response in ("1", None, right_answer(q)) if kind(q)[0] == "numeric" else (right_answer(q),):
            seq += 1
            got = ack(pupil, "answer", {"question": q["number"], "response": response, "client_seq": seq}, "/student")
            assert got == {"ok": True, "seq": seq}
    # the section: each answer's ack brings the most informative item at the EAP so far
    answers, question = [], questions[FIXED]
    while question is not None:
        n = kind(question)[1]
        assert n == most_informative(answers)
        right = len(answers) != 1                   # right, wrong, right
        seq += 1
        got = ack(pupil, "answer", {"question": question["number"], "response": "A" if right else "B",
                                    "client_seq": seq}, "/student")
        assert got["ok"] and got["seq"] == seq, got
        answers.append((n, int(right)))
        assert got["adaptive"]["given"] == FIXED + len(answers) + (got["next"] is not None)
        if len(answers) == 1:        # a reload resumes with the fixed questions and the open one
            pupil.disconnect(namespace="/student")
            pupil = student(app, sio, token)
            resumed = events(pupil, "/student", "attempt_state")[-1]
            assert resumed["args"][0]["paper"]["questions"][-1] == got["next"]
            assert len(resumed["args"][0]["paper"]["questions"]) == FIXED + 2
        question = got["next"]
    assert len(answers) == SECTION_RULES["max_items"] and got["adaptive"]["done"]
    # a section question answered is closed; a fixed question stays open to the end
    closed = ack(pupil, "answer", {"question": FIXED + 1, "response": "C", "client_seq": seq + 1}, "/student")
    assert closed["error"] == "question_closed"
    again = ack(pupil, "answer", {"question": 1, "response": right_answer(questions[0]), "client_seq": seq + 2},
                "/student")
    assert again == {"ok": True, "seq": seq + 2}
    assert ack(pupil, "submit", {}, "/student")["ok"]
    theta, se = eap(answers)
    expected = np.mean([p_right(n, theta) for n in range(len(TABLE))])
    score = 10 * (FIXED * 1.0 + SECTION_POINTS * expected) / 10
    candidate_id = exam["candidates"]["010001"]
    with app.app_context():
        result = session.scalar(select(Result).where(Result.candidate_id == candidate_id))
        assert result.theta == pytest.approx(theta, abs=1e-4) and result.theta_se == pytest.approx(se, abs=1e-4)
        assert float(result.score) == pytest.approx(score, abs=0.005)       # two decimals
        assert len(result.items) == FIXED + SECTION_RULES["max_items"]
    body = client.get(f"/api/v1/exams/{exam['id']}/candidates/{candidate_id}/result", headers=admin).get_json()
    assert body["result"]["theta"] == pytest.approx(theta, abs=1e-4)
    assert body["result"]["theta_se"] == pytest.approx(se, abs=1e-4)
    assert [kind(q) for q in body["review"][FIXED:]] == [("single_choice", n) for n, _right in answers]
    page = login("teacher1").get(f"/results/exams/{exam['id']}/candidates/{candidate_id}").get_data(as_text=True)
    assert f"θ = {theta:.2f} ± {se:.2f}" in page
    # θ is the section's, not the whole exam's: the label says so (Vietnamese, the site's language)
    assert "Năng lực (phần thi thích ứng): θ" in page and "Năng lực (bài thi thích ứng)" not in page
    # the complaint check replays the shuffle and the section
    check = client.get(f"/api/v1/exams/{exam['id']}/candidates/{candidate_id}/paper", headers=admin).get_json()
    assert check["matches_record"] is True and len(check["item_order"]) == FIXED + len(answers)


def test_a_section_stops_at_its_se_target(app, sio, client, token_for, users, admin):
    """se_target 0.75: the posterior SD after each answer, on the grid, says when it stops."""
    rules = {**SECTION_RULES, "max_items": 6, "se_target": 0.75}
    exam = section_exam(app, client, token_for, users, admin, rules)
    pupil, _token, state = start(app, sio, client, token_for, exam)
    question, answers, seq = state["paper"]["questions"][FIXED], [], 0
    while question is not None:
        seq += 1
        got = ack(pupil, "answer", {"question": question["number"], "response": "A", "client_seq": seq}, "/student")
        answers.append((kind(question)[1], 1))
        question = got["next"]
    ses = [eap(answers[:k])[1] for k in range(1, len(answers) + 1)]
    assert ses[-1] <= 0.75 and all(se > 0.75 for se in ses[:-1])


def test_statements_per_answer_in_a_section_exam(app, sio, client, token_for, users, admin):
    """A fixed question costs what any answer costs (one INSERT ... SELECT), a section answer two."""
    exam = section_exam(app, client, token_for, users, admin)
    pupil, _token, state = start(app, sio, client, token_for, exam)
    questions = state["paper"]["questions"]
    statements = Statements(app)
    try:
        with statements.counting() as seen:
            assert ack(pupil, "answer", {"question": 1, "response": right_answer(questions[0]), "client_seq": 1},
                       "/student")["ok"]
        assert dict(seen) == {"INSERT": 1}
        question = questions[FIXED]
        for seq in (2, 3):
            with statements.counting() as seen:
                got = ack(pupil, "answer", {"question": question["number"], "response": "A", "client_seq": seq},
                          "/student")
            assert got["ok"], got
            if seq > 2:       # the first section answer of a process may load the pool once
                assert dict(seen) == {"INSERT": 1, "UPDATE": 1}
            question = got["next"]
    finally:
        statements.close()


@pytest.mark.parametrize(("section", "message"), [([3], "no row 3"), ([0, 1, 2], "every row")])
def test_a_section_must_fit_the_blueprint(client, admin, token_for, users, section, message):
    from tests.server.test_exams import EXAM

    rules = {**SECTION_RULES, "section": section}
    response = client.post("/api/v1/exams", json={**EXAM, "blueprint": BLUEPRINT, "adaptive": rules}, headers=admin)
    body = response.get_json()
    assert response.status_code == 422 and body["field"] == "adaptive.section" and message in body["message"]
    # a blueprint changed after the rules is checked again at assembly
    seed_bank(client, token_for)
    exam = make_exam(client, admin, adaptive=rules)
    assert client.put(f"/api/v1/exams/{exam['id']}/blueprint", json=BLUEPRINT, headers=admin).status_code == 200
    response = assemble(client, admin, exam["id"])
    body = response.get_json()
    assert response.status_code == 422 and body["field"] == "adaptive.section" and message in body["message"]


@pytest.mark.parametrize("section", [[], [0, 0], ["0"], 2, [True]])
def test_a_malformed_section_is_refused(client, admin, section):
    from tests.server.test_exams import EXAM

    response = client.post("/api/v1/exams", json={**EXAM, "adaptive": {"section": section}}, headers=admin)
    assert response.status_code == 422 and response.get_json()["field"] == "adaptive.section"
