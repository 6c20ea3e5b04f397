"""Exposure control chosen by the exam's adaptive rules (docs/protocol.md, "Adaptive exams"):
`"exposure": "sympson_hetter"` stores each pool item's exposure parameter K, computed by
item_bank's simulation at assembly, and the live selection runs the lottery with it.

Expected values from the rule (Sympson and Hetter): at θ = 0 every candidate is first offered the
most informative item of the hand-written table (tests/server/test_adaptive_section.py), so its
selection rate is 1 in every simulation round and its K is exactly `exposure_rate`; a candidate's
first question is the first item, in the order of information at θ = 0, that the lottery did not
refuse, and the refused ones are recorded in the paper's CAT state."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.server.test_adaptive import start
from tests.server.test_adaptive_section import FIXED, SECTION_RULES, TABLE, information, kind, section_exam
from tests.server.test_exams import EXAM
from tests.server.test_live_sockets import ack

RATE = 0.3
SH_RULES = {**SECTION_RULES, "exposure": "sympson_hetter", "exposure_rate": RATE}
ORDER_AT_0 = sorted(range(len(TABLE)), key=lambda n: -information(n, 0.0))     # 2, 4, 3, 1, 0, 5


def test_sympson_hetter_parameters_and_lottery(app, sio, client, token_for, users, admin):
    from exam_server.core.db import session
    from exam_server.exams.models import CandidatePaper, Exam, ExamFormItem

    assert ORDER_AT_0[:3] == [2, 4, 3]
    exam = section_exam(app, client, token_for, users, admin, SH_RULES)
    body = client.get(f"/api/v1/exams/{exam['id']}", headers=admin).get_json()
    assert body["adaptive"]["exposure"] == "sympson_hetter" and body["adaptive"]["exposure_rate"] == RATE
    n_of = exam["versions"]
    with app.app_context():
        pool = session.scalar(select(Exam.adaptive).where(Exam.id == exam["id"]))["pool"]
        k = {n_of[int(version_id)]: params["exposure_k"] for version_id, params in pool.items()}
        assert set(k) == set(range(len(TABLE))) and all(0 < value <= 1 for value in k.values())
        assert k[ORDER_AT_0[0]] == pytest.approx(RATE)
        for candidate_id in exam["candidates"].values():
            paper = session.scalar(select(CandidatePaper).where(CandidatePaper.candidate_id == candidate_id))
            version_id = session.scalar(select(ExamFormItem.item_version_id).where(
                ExamFormItem.form_id == paper.form_id, ExamFormItem.position == paper.item_order[-1]))
            refused = [n_of[int(v)] for v in paper.adaptive["refused"]]
            assert refused == ORDER_AT_0[:len(refused)]
            assert n_of[version_id] == ORDER_AT_0[len(refused)]
    # sat over the socket: the complaint check replays the lottery and the section exactly
    pupil, _token, state = start(app, sio, client, token_for, exam)
    question = state["paper"]["questions"][FIXED]
    seq = 0
    while question is not None:     # refused items count against the pool: it may run out early
        seq += 1
        got = ack(pupil, "answer", {"question": question["number"], "response": "A", "client_seq": seq}, "/student")
        assert got["ok"] and (got["next"] is None or kind(got["next"])[0] == "single_choice"), got
        question = got["next"]
    candidate_id = exam["candidates"]["010001"]
    check = client.get(f"/api/v1/exams/{exam['id']}/candidates/{candidate_id}/paper", headers=admin).get_json()
    assert check["matches_record"] is True and len(check["item_order"]) == FIXED + seq


@pytest.mark.parametrize(("rules", "field"), [
    ({"exposure": "none"}, "adaptive.exposure"),
    ({"exposure": "sympson_hetter", "exposure_rate": 0}, "adaptive.exposure_rate"),
    ({"exposure_rate": 1.5}, "adaptive.exposure_rate"),
    ({"exposure_rate": True}, "adaptive.exposure_rate"),
])
def test_bad_exposure_rules_are_refused(client, admin, rules, field):
    response = client.post("/api/v1/exams", json={**EXAM, "adaptive": rules}, headers=admin)
    assert response.status_code == 422 and response.get_json()["field"] == field


def test_exposure_is_shown_only_when_chosen(client, admin):
    """An exam that does not choose keeps randomesque (as before the choice existed), unchanged."""
    body = client.post("/api/v1/exams", json={**EXAM, "adaptive": {"max_items": 8}}, headers=admin).get_json()
    assert body["adaptive"] == {"max_items": 8, "min_items": 5, "se_target": 0.3, "randomesque_n": 5}
