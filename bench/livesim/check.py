"""What a run checks in the database afterwards (bench/bench_live.py, tests/chaos)."""
from __future__ import annotations

from sqlalchemy import create_engine, text


def lost_answers(url: str, acked: list) -> list:
    """Acknowledged events (attempt, client_seq, question, kind, response) that the database does
    not hold exactly as acknowledged."""
    engine = create_engine(url)
    stored = {}
    try:
        with engine.connect() as conn:
            for attempt_id, seq, question, kind, response in conn.execute(text(
                    "SELECT attempt_id, client_seq, question_number, kind, response FROM answer_events")):
                stored[(attempt_id, seq)] = (question, kind, response)
    finally:
        engine.dispose()
    return [event for event in acked if stored.get((event[0], event[1])) != tuple(event[2:])]
