"""One after-commit mechanism (core.db): callbacks queued in a transaction run once it commits and
are dropped when it rolls back, in the request's sessions and in the live runtime's own (the relay
and the sweeper commit there: their wakes of scoring, the relay and the drains went missing)."""
from __future__ import annotations

import pytest


def _session_of(app, which: str):
    return app.extensions["db_sessionmaker" if which == "request" else "live_sessionmaker"]()


@pytest.mark.parametrize("which", ["request", "live"])
def test_callbacks_run_after_commit_and_not_after_rollback(app, which):
    from flask import g
    from sqlalchemy import text

    from exam_server.core.db import after_commit, after_commit_once

    ran: list[str] = []
    with app.app_context():
        g.db_session = _session_of(app, which)
        after_commit(lambda: ran.append("first"))
        after_commit_once("wake", lambda: ran.append("once"))
        after_commit_once("wake", lambda: ran.append("twice"))
        g.db_session.execute(text("SELECT 1"))
        assert ran == [], "nothing before the commit"
        g.db_session.commit()
        assert ran == ["first", "once"]

        g.db_session.execute(text("SELECT 1"))
        after_commit(lambda: ran.append("rolled back"))
        g.db_session.rollback()
        g.db_session.execute(text("SELECT 1"))
        g.db_session.commit()
        assert ran == ["first", "once"], "a rolled-back transaction's callbacks are dropped"
        g.db_session.close()
