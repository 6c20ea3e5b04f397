"""The ceiling: a bare Flask-SocketIO app that speaks just enough of the `/student` protocol for the
load generator (attempt_state with a paper on connect; `answer`, `flag` and `submit` acknowledged),
served by the same gunicorn settings as the exam server. With BARE_DATABASE_URL set, each answer
is one INSERT and one commit (SQLAlchemy Core, no ORM), the least a durable answer costs.

    gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:PORT bench.livesim.bare_app:app
"""
from __future__ import annotations

import os

from flask import Flask, request
from flask_socketio import SocketIO

from bench.livesim.seed import CONTENT, FORMAT_2025_MATH
from exam_server.core.config import PING_INTERVAL_SECONDS, PING_TIMEOUT_SECONDS

app = Flask(__name__)
# The exam server's Engine.IO pings (every 8 s, for offline within 15 s): at 2,000 students they
# are a good part of a process's work, so the ceiling pays them too.
socketio = SocketIO(app, async_mode=os.environ.get("EXAM_SOCKETIO_ASYNC_MODE") or None,
                    ping_interval=PING_INTERVAL_SECONDS, ping_timeout=PING_TIMEOUT_SECONDS)

_engine = None
_table = None
if os.environ.get("BARE_DATABASE_URL"):
    from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, create_engine

    _engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=10, max_overflow=20)
    _table = Table("bare_answers", MetaData(), Column("id", Integer, primary_key=True),
                   Column("sid", String(64)), Column("question", Integer), Column("client_seq", Integer),
                   Column("response", JSON))
    _table.metadata.create_all(_engine)


def _paper() -> dict:
    questions, number = [], 0
    for item_type, count, points in FORMAT_2025_MATH:
        for _ in range(count):
            number += 1
            content = CONTENT[item_type]
            body = {k: v for k, v in content["body"].items()}
            questions.append({"number": number, "points": points, "type": item_type,
                              "stem": content["stem"].replace("{n}", str(number)), "body": body})
    return {"exam": {"id": 1, "title": "bare"}, "form_code": "101", "questions": questions}


PAPER = _paper()


@socketio.on("connect", namespace="/student")
def connect(auth=None):
    socketio.emit("attempt_state", {"attempt_id": 1, "status": "in_progress", "paused": False,
                                    "remaining_seconds": 5400, "paper": PAPER, "answers": {}, "flags": [],
                                    "last_seq": 0}, to=request.sid, namespace="/student")


@socketio.on("answer", namespace="/student")
def answer(data):
    if _engine is not None:
        with _engine.begin() as conn:
            conn.execute(_table.insert().values(sid=request.sid, question=data["question"],
                                                client_seq=data["client_seq"], response=data["response"]))
    return {"ok": True, "seq": data["client_seq"]}


@socketio.on("flag", namespace="/student")
def flag(data):
    return {"ok": True, "seq": data["client_seq"]}


@socketio.on("submit", namespace="/student")
def submit(data=None):
    return {"ok": True, "status": "submitted"}
