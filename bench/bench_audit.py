"""The audit chain's cost per audited commit, on PostgreSQL.

    ./run bench bench_audit [--commits 300] [--threads 4] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates a scratch database, migrates it, then times the same audited change (an account
deactivated or reactivated: an UPDATE, the token revocation, the `account_changed` signal) committed
one by one, first with the audit receivers disconnected (the baseline, in the same run), then with
them connected: the entry queued (one INSERT into audit_pending per commit) and chained
- right after each commit, in a transaction of its own (a process without a sequencer loop: a
  command, a job worker), or
- by the sequencer loop of a server process (core/drains), in batches, one process at a time.
Sequential commits show the cost; --threads concurrent committers show whether audited commits
wait on each other. Prints the SQL statements of the change's own transaction too. Ends with
`audit verify` over what was written (every entry chained).
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from exam_server.app import create_app
from exam_server.core.migrate import upgrade


def _toggle_many(app, user_ids: list[int], admin_id: int, n: int, timings: list[float]) -> None:
    from exam_server.accounts.models import User
    from exam_server.accounts.services import set_active
    from exam_server.core.db import session

    with app.app_context():
        admin = session.get(User, admin_id)
        for i in range(n):
            user = session.get(User, user_ids[i % len(user_ids)])
            started = time.perf_counter()
            set_active(user, not user.is_active, admin)
            session.commit()
            timings.append(time.perf_counter() - started)


def _run(app, user_ids, admin_id, commits: int, threads: int) -> tuple[list[float], float]:
    timings: list[float] = []
    per_thread = commits // threads
    workers = [threading.Thread(target=_toggle_many, args=(app, user_ids[t::threads], admin_id, per_thread, timings))
               for t in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return timings, time.perf_counter() - started


def _statements(app, user_id, admin_id) -> int:
    counted = []
    engine = app.extensions["db_engine"]
    listener = lambda *args: counted.append(1)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        _toggle_many(app, [user_id], admin_id, 1, [])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(counted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    name = f"exam_bench_audit_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        # TESTING: no background relay or sweeper threads (nothing live here to relay or sweep).
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ARGON2_FAST": True, "TESTING": True,
                          "INSTANCE_PATH": f"/tmp/{name}", "SOCKETIO_ASYNC_MODE": "threading"})
        from exam_server.accounts.services import create_user
        from exam_server.audit import receivers
        from exam_server.audit.services import SEQUENCER, chain_all, verify
        from exam_server.core import drains, signals
        from exam_server.core.extensions import socketio
        from exam_server.core.db import session

        with app.app_context():
            admin_id = create_user("bench-admin", "bench admin password", "admin").id
            user_ids = [create_user(f"bench-user{i}", "bench user password", "student").id for i in range(40)]
            session.commit()

        rows = []
        for label, connected in (("without audit (baseline)", False), ("audit, chained per commit", True),
                                 ("audit, sequencer loop", True)):
            if connected:
                receivers.connect()
            else:
                signals.account_changed.disconnect(receivers.on_account_changed)
            if label == "audit, sequencer loop":
                app.config["LIVE_BACKGROUND"] = True          # as in a server process
                drains.start(app, socketio, SEQUENCER)
            statements = _statements(app, user_ids[0], admin_id)
            for threads in (1, args.threads):
                timings, wall = _run(app, user_ids, admin_id, args.commits, threads)
                rows.append((label, threads, statements, statistics.median(timings) * 1000,
                             sorted(timings)[int(len(timings) * 0.95)] * 1000, len(timings) / wall))
        print(f"{'':28}{'threads':>8}{'SQL/commit':>12}{'median ms':>11}{'p95 ms':>9}{'commits/s':>11}")
        for label, threads, statements, median, p95, rate in rows:
            print(f"{label:28}{threads:>8}{statements:>12}{median:>11.2f}{p95:>9.2f}{rate:>11.0f}")
        with app.app_context():
            chain_all()
            verdict = verify(session)
        print(f"audit verify: {'intact' if verdict.ok else 'BROKEN'}, {verdict.checked} records, "
              f"{verdict.pending} pending")
        app.extensions["db_engine"].dispose()
        app.extensions["live_engine"].dispose()
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


if __name__ == "__main__":
    main()
