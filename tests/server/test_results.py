"""Results on both databases: scoring attempts, essay marking (single, double, resolution),
corrections that rescore everyone and keep history, what candidates may see, bad input."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.server.test_exams import ROWS, add_room, csv_bytes, make_exam, upload
from tests.server.test_exams_assembly import NUMERIC_KEY, approved_item

# The paper: (type, points). Candidates see it in different orders.
PAPER = [("single_choice", "2"), ("single_choice", "2"), ("true_false_cluster", "2"), ("numeric", "2"),
         ("extended_text", "2")]
RIGHT = {"single_choice": "A", "true_false_cluster": {"a": True, "b": False, "c": True, "d": False},
         "numeric": str(NUMERIC_KEY).replace(".", ","), "extended_text": "Định luật Ôm: I = U / R."}


@pytest.fixture
def exam(app, client, admin, token_for, users):
    """An exam with one form (the PAPER), three candidates with papers and submitted attempts."""
    from exam_server.bank.models import Item as ItemRow
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, CandidatePaper, ExamForm, ExamFormItem
    from exam_server.live.models import Attempt, AttemptStatus

    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"], proctor_ids=[users["proctor1"]])
    assert upload(client, admin, exam["id"], csv_bytes(ROWS), "r.csv").status_code == 200
    identifiers = [approved_item(client, token_for, t, n) for n, (t, _) in enumerate(PAPER)]
    with app.app_context():
        form = ExamForm(exam_id=exam["id"], code="101", index=0)
        session.add(form)
        session.flush()
        versions = []
        for position, (ident, (_, points)) in enumerate(zip(identifiers, PAPER)):
            row = session.query(ItemRow).filter_by(identifier=ident).one()
            versions.append(row.latest_version_id)
            session.add(ExamFormItem(form_id=form.id, position=position, item_version_id=row.latest_version_id,
                                     points=float(points)))
        candidates = session.query(Candidate).filter_by(exam_id=exam["id"]).order_by(Candidate.candidate_number)
        ids, attempts = [], []
        for n, candidate in enumerate(candidates):
            order = list(range(len(PAPER)))
            if n == 1:
                order.reverse()       # the second candidate sees the paper backwards
            session.add(CandidatePaper(candidate_id=candidate.id, form_id=form.id, seed="s" * 64,
                                       item_order=order, option_orders={}))
            attempt = Attempt(exam_id=exam["id"], candidate_id=candidate.id, status=AttemptStatus.SUBMITTED,
                              started_at=datetime.now(UTC), finished_at=datetime.now(UTC))
            session.add(attempt)
            session.flush()
            ids.append(candidate.id)
            attempts.append(attempt.id)
        session.commit()
    return {**exam, "versions": versions, "candidates": ids, "attempts": attempts}


def number_of(position: int, candidate_index: int) -> int:
    """The question number a candidate sees for a form position."""
    return len(PAPER) - position if candidate_index == 1 else position + 1


def answer(app, exam, candidate_index: int, by_position: dict[int, object]):
    """Store answer events (as the live server would) and score the attempt: the result dict."""
    from exam_server.core.db import session
    from exam_server.live.models import AnswerEvent, Attempt
    from exam_server.results.services import score_attempt

    with app.app_context():
        attempt = session.get(Attempt, exam["attempts"][candidate_index])
        for seq, (position, response) in enumerate(by_position.items(), start=1):
            number = number_of(position, candidate_index)
            # an earlier answer, replaced by the later one
            session.add(AnswerEvent(attempt_id=attempt.id, question_number=number, kind="answer",
                                    response="D" if PAPER[position][0] == "single_choice" else response,
                                    client_seq=seq * 2 - 1))
            session.add(AnswerEvent(attempt_id=attempt.id, question_number=number, kind="answer",
                                    response=response, client_seq=seq * 2))
        session.flush()
        result = score_attempt(attempt)
        session.commit()
        return {"version": result.version, "status": result.status, "score": str(result.score)}


def all_right(except_essay=False):
    return {p: RIGHT[t] for p, (t, _) in enumerate(PAPER) if not (except_essay and t == "extended_text")}


def result_of(client, headers, exam, candidate_index):
    response = client.get(f"/api/v1/exams/{exam['id']}/candidates/{exam['candidates'][candidate_index]}/result",
                          headers=headers)
    return response


# --- scoring ----------------------------------------------------------------------------------

def test_scoring_a_paper_in_the_candidates_order(app, client, exam, token_for):
    right = answer(app, exam, 0, all_right())
    assert right == {"version": 1, "status": "provisional", "score": "8.00"}   # the essay is pending
    backwards = answer(app, exam, 1, {0: "A", 1: "B", 2: {"a": True, "b": True, "c": False, "d": False},
                                      3: "0,44"})
    assert backwards["score"] == "2.50" and backwards["status"] == "final"    # 2 + 0.25 x 2 (2 of 4 right)
    teacher = token_for("teacher1")
    body = client.get(f"/api/v1/exams/{exam['id']}/results", headers=teacher).get_json()
    rows = {r["candidate_id"]: r["result"] for r in body["candidates"]}
    assert rows[exam["candidates"][2]] is None
    mine = rows[exam["candidates"][1]]
    assert mine["raw_points"] == "2.5000" and mine["max_points"] == "10.0000"
    by_number = {i["number"]: i for i in mine["items"]}
    assert by_number[5]["points"] == "2.0000" and by_number[5]["response"] == "A"        # position 0
    assert by_number[2]["points"] == "0.0000" and by_number[2]["response"] == "0,44"     # the numeric
    assert by_number[1]["points"] == "0.0000" and not by_number[1]["pending"]            # blank essay
    full = result_of(client, teacher, exam, 0).get_json()
    assert full["result"]["pending_essays"] == 1
    assert [i["pending"] for i in full["result"]["items"]] == [False] * 4 + [True]


def test_rounding_to_hundredths(app, client, exam, admin):
    assert client.put(f"/api/v1/exams/{exam['id']}", json={"score_rounding": "0.01"},
                      headers=admin).status_code == 200
    two_of_four = {2: {"a": True, "b": False, "c": False, "d": True}, 0: "A"}   # 2 + 0.25 x 2
    one_of_four = {2: {"a": True}, 0: "A"}                                      # 2 + 0.1 x 2
    assert answer(app, exam, 0, two_of_four)["score"] == "2.50"
    assert answer(app, exam, 1, one_of_four)["score"] == "2.20"


def test_quarter_rounding_half_up(app, client, exam, admin):
    # 0.1 x 2 = 0.2 -> 0.25 on the quarter scale (0.2 is nearer 0.25 than 0)
    assert answer(app, exam, 0, {2: {"a": True}})["score"] == "0.25"


# --- essays -----------------------------------------------------------------------------------

def queue(client, headers, exam):
    response = client.get(f"/api/v1/exams/{exam['id']}/essay-queue", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def mark(client, headers, item_id, points, comment=""):
    return client.post("/api/v1/essay-scores", json={"result_item_id": item_id, "criteria": [points],
                                                     "comment": comment}, headers=headers)


def test_single_scorer_settles_the_essay(app, client, exam, token_for):
    answer(app, exam, 0, all_right())
    teacher = token_for("teacher1")
    items = queue(client, teacher, exam)
    assert len(items) == 1
    item = items[0]
    assert item["response"] == RIGHT["extended_text"] and item["rubric"][0]["max_points"] == 1.0
    assert item["code"].startswith("BL-") and item["round"] == 1
    text = str(items)
    for secret in (ROWS[0][0], ROWS[0][1], "candidate", "attempt"):
        assert secret not in text
    response = mark(client, teacher, item["result_item_id"], 0.75, "Đúng ý chính")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["settled"] and response.get_json()["result"] == {"version": 2, "status": "final"}
    assert queue(client, teacher, exam) == [] and queue(client, token_for("teacher2"), exam) == []
    again = mark(client, teacher, item["result_item_id"], 1)
    assert again.status_code == 409 and again.get_json()["error"] == "already_scored"
    other = mark(client, token_for("teacher2"), item["result_item_id"], 1)
    assert other.status_code == 409 and other.get_json()["error"] == "already_settled"
    result = result_of(client, teacher, exam, 0).get_json()
    assert result["result"]["score"] == "9.50" and result["result"]["status"] == "final"
    assert [h["version"] for h in result["history"]] == [2, 1]
    assert [(e["round"], e["total"], e["comment"]) for e in result["essay_scores"]] == [(1, "0.7500", "Đúng ý chính")]


def test_double_scoring_mean_and_resolution(app, client, exam, admin, token_for):
    policy = client.put(f"/api/v1/exams/{exam['id']}/essay-policy", headers=admin,
                        json={"second_scorer_required": True, "resolution_threshold_points": 0.5})
    assert policy.status_code == 200 and policy.get_json()["second_scorer_required"] is True
    answer(app, exam, 0, all_right())
    answer(app, exam, 1, all_right())
    t1, t2 = token_for("teacher1"), token_for("teacher2")
    first, second = queue(client, t1, exam)
    # candidate 0: 1.0 and 0.75 of the rubric point -> gap 0.25 x 2 = 0.5 points: the mean
    assert mark(client, t1, first["result_item_id"], 1).get_json()["needs_another_round"] == 2
    assert [i["result_item_id"] for i in queue(client, t1, exam)] == [second["result_item_id"]]
    seen_by_t2 = queue(client, t2, exam)
    assert seen_by_t2[0]["round"] == 2
    assert set(seen_by_t2[0]) == {"result_item_id", "code", "round", "stem", "response", "points", "rubric"}
    settled = mark(client, t2, first["result_item_id"], "0.75").get_json()
    assert settled["settled"] and settled["result"]["status"] == "final"
    assert result_of(client, t1, exam, 0).get_json()["result"]["score"] == "9.75"   # 8 + 0.875 x 2
    # candidate 1: 1.0 and 0.25 -> gap 1.5 points: a third (resolution) score is needed
    mark(client, t1, second["result_item_id"], 1)
    diverged = mark(client, t2, second["result_item_id"], 0.25).get_json()
    assert not diverged["settled"] and diverged["needs_another_round"] == 3
    assert result_of(client, t1, exam, 1).get_json()["result"]["status"] == "provisional"
    assert queue(client, t1, exam) == [] and queue(client, t2, exam) == []
    assert [i["round"] for i in queue(client, admin, exam)] == [3]
    resolved = mark(client, admin, second["result_item_id"], 0.5).get_json()
    assert resolved["settled"] and resolved["result"]["status"] == "final"
    assert result_of(client, t1, exam, 1).get_json()["result"]["score"] == "9.00"


@pytest.mark.parametrize("body, status, field", [
    ({"criteria": [2]}, 422, "criteria.0"),                    # more than the criterion's max
    ({"criteria": [-0.25]}, 422, "criteria.0"),
    ({"criteria": [True]}, 422, "criteria.0"),
    ({"criteria": ["nan"]}, 422, "criteria.0"),
    ({"criteria": ["một"]}, 422, "criteria.0"),
    ({"criteria": [0.333]}, 422, "criteria.0"),
    ({"criteria": [1e308]}, 422, "criteria.0"),
    ({"criteria": ["1e999999999"]}, 422, "criteria.0"),
    ({"criteria": [10 ** 400]}, 422, "criteria.0"),
    ({"criteria": []}, 422, "criteria"),
    ({"criteria": "1"}, 422, "criteria"),
    ({"criteria": [1], "comment": 5}, 422, "comment"),
    ({"criteria": [1], "result_item_id": "7"}, 422, "result_item_id"),
    ({"criteria": [1], "result_item_id": 999999}, 404, "result_item_id"),
])
def test_bad_essay_scores(app, client, exam, token_for, body, status, field):
    answer(app, exam, 0, all_right())
    teacher = token_for("teacher1")
    item = queue(client, teacher, exam)[0]
    response = client.post("/api/v1/essay-scores", json={"result_item_id": item["result_item_id"], **body},
                           headers=teacher)
    assert response.status_code == status and response.get_json()["field"] == field, response.get_json()
    assert len(queue(client, teacher, exam)) == 1


def test_a_choice_question_is_not_marked_by_hand(app, client, exam, token_for):
    answer(app, exam, 0, all_right())
    teacher = token_for("teacher1")
    full = result_of(client, teacher, exam, 0).get_json()["result"]
    choice = next(i for i in full["items"] if not i["needs_manual"])
    response = mark(client, teacher, choice["id"], 1)
    assert response.status_code == 409 and response.get_json()["error"] == "not_an_essay"


# --- corrections ------------------------------------------------------------------------------

def correct(client, headers, exam, **body):
    return client.post(f"/api/v1/exams/{exam['id']}/corrections", json=body, headers=headers)


def test_drop_awards_everyone_and_keeps_history(app, client, exam, admin, token_for):
    answer(app, exam, 0, all_right(except_essay=True))    # 8
    answer(app, exam, 1, {0: "B"})                        # 0
    response = correct(client, admin, exam, item_version_id=exam["versions"][0], kind="drop",
                       reason="Câu 1 có hai phương án đúng")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rescored"] == 2
    teacher = token_for("teacher1")
    first = result_of(client, teacher, exam, 0).get_json()
    second = result_of(client, teacher, exam, 1).get_json()
    assert first["result"]["score"] == "8.00" and second["result"]["score"] == "2.00"
    assert [h["reason"] for h in second["history"]] == [f"correction:{response.get_json()['correction']['id']}",
                                                        "submit"]
    assert [h["score"] for h in second["history"]] == ["2.00", "0.00"]
    dropped = next(i for i in second["result"]["items"] if i["item_version_id"] == exam["versions"][0])
    assert dropped["dropped"] and dropped["points"] == "2.0000" and dropped["response"] == "B"
    listed = client.get(f"/api/v1/exams/{exam['id']}/corrections", headers=teacher).get_json()["corrections"]
    assert listed[0]["kind"] == "drop" and listed[0]["rescored"] == 2 and listed[0]["reason"]
    # an attempt scored later gets the correction too
    assert answer(app, exam, 2, {})["score"] == "2.00"


def test_accept_keys_rescores_everyone(app, client, exam, admin, token_for):
    answer(app, exam, 0, {0: "A", 1: "A"})   # 4
    answer(app, exam, 1, {0: "B", 1: "B"})   # 0
    response = correct(client, admin, exam, item_version_id=exam["versions"][1], kind="accept_keys",
                       data={"keys": [{"correct": "B"}]}, reason="Phương án B cũng đúng")
    assert response.status_code == 201 and response.get_json()["rescored"] == 2
    teacher = token_for("teacher1")
    assert result_of(client, teacher, exam, 0).get_json()["result"]["score"] == "4.00"
    second = result_of(client, teacher, exam, 1).get_json()
    assert second["result"]["score"] == "2.00" and second["result"]["version"] == 2


def test_a_correction_keeps_essay_marks(app, client, exam, admin, token_for):
    answer(app, exam, 0, all_right())
    teacher = token_for("teacher1")
    mark(client, teacher, queue(client, teacher, exam)[0]["result_item_id"], 0.5)
    correct(client, admin, exam, item_version_id=exam["versions"][1], kind="accept_keys",
            data={"keys": [{"correct": "B"}]}, reason="B")
    result = result_of(client, teacher, exam, 0).get_json()["result"]
    assert result["score"] == "9.00" and result["status"] == "final" and result["version"] == 3


@pytest.mark.parametrize("body, status, field", [
    ({"kind": "drop"}, 422, "reason"),
    ({"kind": "drop", "reason": "   "}, 422, "reason"),
    ({"kind": "remove", "reason": "x"}, 422, "kind"),
    ({"kind": "accept_keys", "reason": "x"}, 422, "data.keys"),
    ({"kind": "accept_keys", "reason": "x", "data": {"keys": [{"correct": "Z"}]}}, 422, "data.keys.0"),
    ({"kind": "accept_keys", "reason": "x", "data": {"keys": ["B"]}}, 422, "data.keys.0"),
    ({"kind": "accept_keys", "reason": "x", "data": [1]}, 422, "data.keys"),
    ({"kind": "drop", "reason": "x", "data": {"keys": []}}, 422, "data"),
    ({"kind": "drop", "reason": "x", "item_version_id": 999999}, 404, "item_version_id"),
    ({"kind": "drop", "reason": "x", "item_version_id": "1"}, 422, "item_version_id"),
    ({"kind": "accept_keys", "reason": "x", "data": {"keys": [{}]}, "essay": True}, 422, "kind"),
])
def test_bad_corrections(app, client, exam, admin, token_for, body, status, field):
    answer(app, exam, 0, all_right())
    body = dict(body)
    version = exam["versions"][4] if body.pop("essay", False) else exam["versions"][0]
    response = correct(client, admin, exam, **{"item_version_id": version, **body})
    assert response.status_code == status and response.get_json()["field"] == field, response.get_json()
    assert client.get(f"/api/v1/exams/{exam['id']}/corrections", headers=admin).get_json()["corrections"] == []
    assert correct(client, token_for("teacher1"), exam, item_version_id=version, kind="drop",
                   reason="x").status_code == 403


# --- what candidates see ----------------------------------------------------------------------

def test_candidates_see_their_result_only_when_released(app, client, exam, admin, token_for, users):
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate

    with app.app_context():
        session.get(Candidate, exam["candidates"][0]).user_id = users["student1"]
        session.commit()
    answer(app, exam, 0, all_right(except_essay=True))
    answer(app, exam, 1, {})
    student = token_for("student1")
    hidden = result_of(client, student, exam, 0)
    assert hidden.status_code == 403 and hidden.get_json()["error"] == "results_not_released"
    assert client.put(f"/api/v1/exams/{exam['id']}", json={"results_visible_to_candidates": True},
                      headers=admin).status_code == 200
    shown = result_of(client, student, exam, 0)
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["result"]["score"] == "8.00" and "history" not in body
    assert all(set(i) == {"number", "max_points", "points", "pending", "dropped"} for i in body["result"]["items"])
    assert "response" not in str(body) and "reason" not in body["result"]
    assert result_of(client, student, exam, 1).status_code == 404       # someone else's
    assert client.get(f"/api/v1/exams/{exam['id']}/results", headers=student).status_code == 403
    assert client.get(f"/api/v1/exams/{exam['id']}/essay-queue", headers=student).status_code == 403
    assert client.get(f"/api/v1/exams/{exam['id']}/results", headers=token_for("proctor1")).status_code == 403


def test_no_result_yet_and_unknown_ids(client, exam, token_for):
    teacher = token_for("teacher1")
    assert result_of(client, teacher, exam, 0).status_code == 404
    assert client.get("/api/v1/exams/999999/results", headers=teacher).status_code == 404
    assert client.get(f"/api/v1/exams/{exam['id']}/candidates/999999/result", headers=teacher).status_code == 404


@pytest.mark.parametrize("path, method", [
    ("/api/v1/essay-scores", "POST"), ("/api/v1/exams/{id}/corrections", "POST"),
    ("/api/v1/exams/{id}/essay-policy", "PUT"),
])
@pytest.mark.parametrize("payload", [None, "text", [], {"criteria": None}, {"result_item_id": None},
                                     {"second_scorer_required": "yes"}, {"resolution_threshold_points": 99},
                                     {"item_version_id": [], "kind": {}, "reason": 5}])
def test_no_500_on_bad_input(client, exam, admin, path, method, payload):
    url = path.format(id=exam["id"])
    if payload is None:
        response = client.open(url, method=method, data="not json", headers=admin)
    else:
        response = client.open(url, method=method, json=payload, headers=admin)
    assert 400 <= response.status_code < 500, (url, payload, response.get_json())
    assert set(response.get_json()) >= {"error", "message", "field"}
