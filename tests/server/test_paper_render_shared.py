"""A paper rendered from the views a form question shares between papers (exams/papers.py,
FormQuestion.placed) is exactly the paper rendered on its own, straightforwardly: the student views
of the form's items in the candidate's question order, each choice list in the candidate's
recorded option order (issue 9). Expected papers are built here from the database's rows (the
form's items, the candidate's recorded orders) and the library's student view, and compared as
JSON text (so key order counts too) with what each student receives at the room's start and
with what exams.papers renders."""
from __future__ import annotations

import json
import math

import orjson
from sqlalchemy import select

from bench.livesim.seed import seed_live_exam

# 4 single choice (options shuffled per candidate), 2 true/false clusters (statements keep a-d),
# 2 numeric (no choices): the three kinds of body.
FORMAT = (("single_choice", 4, 1.5), ("true_false_cluster", 2, 1.5), ("numeric", 2, 0.5))   # 10 points


def _reference(candidate_id: int) -> dict:
    """The straightforward rendering of one candidate's paper, from its rows."""
    from exam_server.bank.services import version_to_item
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, CandidatePaper, Exam, ExamForm, ExamFormItem
    from item_bank import types as item_types

    paper = session.scalar(select(CandidatePaper).where(CandidatePaper.candidate_id == candidate_id))
    form = session.get(ExamForm, paper.form_id)
    exam = session.get(Exam, form.exam_id)
    items = list(session.scalars(select(ExamFormItem).where(ExamFormItem.form_id == form.id)
                                 .order_by(ExamFormItem.position)))
    questions = []
    for number, position in enumerate(paper.item_order, start=1):
        item = items[position]
        view = item_types.student_view(version_to_item(item.item_version))
        body = dict(view["body"])
        for name, ids in paper.option_orders[str(item.item_version_id)].items():
            by_id = {choice["id"]: choice for choice in body[name]}
            body[name] = [by_id[i] for i in ids]
        questions.append({"number": number, "points": item.points, **view, "body": body})
    return {"exam": {"id": exam.id, "title": exam.title, "subject": exam.subject, "grade": exam.grade,
                     "duration_minutes": exam.duration_minutes, "delivery_mode": exam.delivery_mode.value},
            "form_code": form.code, "candidate_number": session.get(Candidate, candidate_id).candidate_number,
            "total_points": math.fsum(q["points"] for q in questions), "questions": questions}


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_shared_rendering_gives_each_candidate_the_straightforward_paper(app):
    from exam_server.core.db import session
    from exam_server.core.extensions import socketio as sio
    from exam_server.exams import papers
    from exam_server.exams.models import CandidatePaper

    exam = seed_live_exam(app, 8, fmt=FORMAT, forms=2)
    ids = [c["id"] for c in exam.candidates]
    with app.app_context():
        expected = {cid: _reference(cid) for cid in ids}
        rows = session.execute(select(CandidatePaper.candidate_id, CandidatePaper.form_id,
                                      CandidatePaper.option_orders)).all()
    # The case is the one that matters: papers of one form that show a question's options in
    # different orders, and papers that show one in the same order (a view shared).
    orders: dict[tuple, set[str]] = {}
    for row in rows:
        for version, order in row.option_orders.items():
            orders.setdefault((row.form_id, version), set()).add(_text(order))
    assert any(len(seen) > 1 for seen in orders.values())
    assert any(len(seen) == 1 for seen in orders.values())

    # What each student receives when the proctor starts the room.
    http = app.test_client()
    assert http.post("/login", data={"username": "proctor1", "password": exam.password}).status_code == 302
    boss = sio.test_client(app, namespace="/proctor", flask_test_client=http)
    pupils = {c["id"]: sio.test_client(app, namespace="/student", auth={"token": c["token"]})
              for c in exam.candidates}
    where = {"exam_id": exam.exam_id, "room_id": exam.rooms[0]["id"]}
    assert boss.emit("start_room", where, namespace="/proctor", callback=True) == {"ok": True}
    for cid, pupil in pupils.items():
        state = [e for e in pupil.get_received("/student") if e["name"] == "attempt_state"][-1]["args"][0]
        assert _text(state["paper"]) == _text(expected[cid]), cid
        pupil.disconnect("/student")
    boss.disconnect("/proctor")

    # And exams.papers, twice (the second time every view comes from the form's questions), as the
    # socket layer writes it (orjson): byte for byte.
    with app.app_context():
        for _ in range(2):
            for cid, paper in papers.papers(ids).items():
                assert orjson.dumps(paper.render()) == orjson.dumps(expected[cid]), cid
