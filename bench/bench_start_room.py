"""The server's work to start a room of N candidates, without websockets (issue 9).

    ./run bench bench_start_room [--students 2000] [--rounds 3] [--baseline REV] [--gc-freeze]
                                 [--py-spy FILE] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Seeds once, in a scratch database of its own on the shared PostgreSQL (migrated with
core.migrate.upgrade, dropped at the end): the 2025 mathematics exam of bench/livesim/seed.py
(22 questions, two forms, shuffled options) with N candidates in one room, every one admitted and
connected (its attempt holds a connection slot). Each measurement then runs in a fresh process on
a fresh copy of that database (CREATE DATABASE ... TEMPLATE): what the proctor's `start_room`
event does, cold, as the first start of a server process does it:

- service: the room's check (require_room), live.start_room and the commit, as the socket handler
  (live/sockets.py, ProctorNamespace.on_start_room) runs them;
- delivery: the relay's pass that tells this process's students (live/relay.py, Relay.pump: the
  tail read, the attempts, every `attempt_state` with its paper) with every connection registered,
  and every emit serialised exactly as python-socketio does it for one recipient (the app's
  packet class, core/wire.py) by a stand-in for the Socket.IO server.

Breakdown: SQL = time inside the driver's execute (and the statement count), paper rendering =
time in exams/papers.py Paper.render and exams/forms.py reorder_view (wherever it is called from),
JSON = the packets' encoding, ORM and glue = the rest. The clock is frozen at one instant for
every measurement, so the packets of two measurements are comparable byte for byte: with
--baseline REV the code of that git revision (git archive of it) is measured in the same run,
alternating with the current code, and the packets each candidate would receive are compared.

The measurements run under TESTING (no background loops), so a server process's start-up freeze
of the heap (exam_server/wsgi.py: gc.freeze) is not made; --gc-freeze makes it in every measurement (the
baseline's too), for the figures of a server process. The collector's time is shown apart.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = os.environ.get("EXAM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NODE = "bench-node"
# Where papers are rendered, in the code of any revision (wrapped when present, not counted twice
# when nested): a paper's rendering, and a view's choices put in a paper's order.
RENDERERS = (("exam_server.exams.papers", "Paper", "render"), ("exam_server.exams.forms", None, "reorder_view"))


def _database(admin_url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _url(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _app(url: str, name: str):
    from exam_server.app import create_app

    # TESTING: no background relay or sweeper (the bench drives the relay's pass itself).
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ARGON2_FAST": True, "TESTING": True,
                       "INSTANCE_PATH": f"/tmp/{name}", "SOCKETIO_ASYNC_MODE": "threading"})


def _dispose(app) -> None:
    from sqlalchemy.engine import Engine

    for value in list(app.extensions.values()):
        if isinstance(value, Engine):
            value.dispose()


# --- seeding (the parent) ----------------------------------------------------------------------

def seed(admin_url: str, students: int) -> dict:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select, update

    from bench.livesim.seed import seed_live_exam
    from exam_server.core.migrate import upgrade

    name = f"exam_bench_start_{uuid.uuid4().hex[:8]}"
    _database(admin_url, f'CREATE DATABASE "{name}"')
    url = _url(admin_url, name)
    upgrade(url)
    app = _app(url, name)
    started = time.monotonic()
    exam = seed_live_exam(app, students, rooms=1, forms=2)
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.live.models import Attempt

    with app.app_context():
        # Every candidate connected: its attempt holds a slot (as a connect does, in bulk).
        session.execute(update(Attempt).where(Attempt.exam_id == exam.exam_id)
                        .values(connection_sid=func.concat("bench-", Attempt.candidate_id), connection_node=NODE))
        proctor_id = session.scalar(select(User.id).where(User.username == exam.proctor))
        session.commit()
    _dispose(app)
    print(f"seeded {students} candidates ({exam.questions} questions, 2 forms) in "
          f"{time.monotonic() - started:.0f} s", flush=True)
    # One instant for every measurement, inside the exam's window (it opened 10 minutes ago).
    now = datetime.now(UTC) + timedelta(minutes=1)
    return {"template": name, "exam_id": exam.exam_id, "room_id": exam.rooms[0]["id"], "proctor_id": proctor_id,
            "now": now.isoformat()}


# --- one measurement (a child process) ---------------------------------------------------------

class _Clock:
    """Seconds spent in some functions (not counted again when nested)."""

    def __init__(self):
        self.seconds, self.calls, self.depth = 0.0, 0, 0

    def wrap(self, fn):
        clock = self

        def timed(*args, **kwargs):
            if clock.depth:
                return fn(*args, **kwargs)
            clock.depth += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - started
                clock.calls += 1
                clock.depth -= 1

        return timed


class _SocketIO:
    """The Socket.IO server as the relay sees it: an emit to one sid is one packet, encoded as
    python-socketio's manager encodes it (socketio/manager.py, Manager.emit) with the app's packet
    class; the packets are kept (a digest per recipient) instead of being sent."""

    def __init__(self):
        from types import SimpleNamespace

        from socketio import packet

        from exam_server.core.extensions import socketio

        self.packet_class = socketio.server.packet_class
        self.event = packet.EVENT
        self.server = SimpleNamespace(manager=SimpleNamespace(rooms={}))
        self.json_seconds = 0.0
        self.digests: dict[str, str] = {}
        self.bytes = 0

    def emit(self, event, data=None, to=None, namespace=None, **_kwargs):
        started = time.perf_counter()
        encoded = self.packet_class(self.event, namespace=namespace, data=[event, data]).encode()
        self.json_seconds += time.perf_counter() - started
        self.bytes += len(encoded)
        self.digests[f"{event}:{to}"] = hashlib.sha256(encoded.encode()).hexdigest()

    def sleep(self, _seconds=0):
        pass


def measure(args) -> dict:
    sys.path.insert(0, args.code_root)
    import importlib
    from datetime import datetime

    from sqlalchemy import event, select

    import exam_server

    assert Path(exam_server.__file__).resolve().is_relative_to(Path(args.code_root).resolve()), exam_server.__file__
    name = f"exam_bench_start_{uuid.uuid4().hex[:8]}"
    _database(args.url, f'CREATE DATABASE "{name}" TEMPLATE "{args.template}"')
    try:
        app = _app(_url(args.url, name), name)
        from exam_server.accounts.models import User
        from exam_server.core.db import session
        from exam_server.live import relay as relay_module
        from exam_server.live import services as live
        from exam_server.live.connections import Connection, Registry
        from exam_server.live.models import Attempt
        from exam_server.live.proctoring import require_room

        now = datetime.fromisoformat(args.now)
        relay_module.utcnow = lambda: now            # the frozen clock: comparable packets
        render = _Clock()
        for module_name, class_name, attribute in RENDERERS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner = getattr(module, class_name, None) if class_name else module
            if owner is not None and hasattr(owner, attribute):
                setattr(owner, attribute, render.wrap(getattr(owner, attribute)))
        sql = {"seconds": 0.0, "statements": 0, "started": 0.0}

        def before(*_a):
            sql["started"] = time.perf_counter()

        def after(*_a):
            sql["seconds"] += time.perf_counter() - sql["started"]
            sql["statements"] += 1

        for key in ("db_engine", "live_engine"):
            event.listen(app.extensions[key], "before_cursor_execute", before)
            event.listen(app.extensions[key], "after_cursor_execute", after)
        gc_clock = {"seconds": 0.0, "started": 0.0, "full": 0}

        def collecting(phase, info):
            if phase == "start":
                gc_clock["started"] = time.perf_counter()
            else:
                gc_clock["seconds"] += time.perf_counter() - gc_clock["started"]
                gc_clock["full"] += info["generation"] == 2

        sio = _SocketIO()
        registry = Registry()
        relay = relay_module.Relay(app, sio, registry, NODE)
        relay.wake = lambda: None                     # the bench runs the relay's pass itself
        app.extensions["live_relay"] = relay
        relay.prime()
        with app.app_context():
            for attempt_id, candidate_id in session.execute(
                    select(Attempt.id, Attempt.candidate_id)
                    .where(Attempt.exam_id == args.exam_id)).all():
                registry.add(Connection(sid=f"bench-{candidate_id}", candidate_id=candidate_id, attempt_id=attempt_id,
                                        exam_id=args.exam_id, room_id=args.room_id, token_hash="bench"))
            user = session.get(User, args.proctor_id)
            session.commit()
            if args.gc_freeze:            # as exam_server/wsgi.py does in a server process
                gc.freeze()
            gc.callbacks.append(collecting)
            t0 = time.perf_counter()
            room = require_room(user, args.exam_id, args.room_id)
            started = live.start_room(room, user, now)
            session.commit()
            t1 = time.perf_counter()
            service_sql, service_gc = dict(sql), gc_clock["seconds"]
            sql.update(seconds=0.0, statements=0)
            with relay.context():
                relay.pump()
            t2 = time.perf_counter()
            gc.callbacks.remove(collecting)
        _dispose(app)
    finally:
        _database(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    delivery = t2 - t1
    told = [key for key in sio.digests if key.startswith("attempt_state:")]
    return {"started": len(started), "told": len(told), "service_s": t1 - t0, "service_sql_s": service_sql["seconds"],
            "service_statements": service_sql["statements"], "delivery_s": delivery, "delivery_sql_s": sql["seconds"],
            "delivery_statements": sql["statements"], "render_s": render.seconds, "render_calls": render.calls,
            "json_s": sio.json_seconds, "gc_s": gc_clock["seconds"], "service_gc_s": service_gc,
            "gc_full": gc_clock["full"], "bytes": sio.bytes, "digests": sio.digests}


# --- the parent --------------------------------------------------------------------------------

def _child(args, seeded: dict, code_root: str, profile: str | None) -> dict:
    handle, out = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", "--code-root", code_root, "--url", args.url,
               "--template", seeded["template"], "--exam-id", str(seeded["exam_id"]), "--room-id",
               str(seeded["room_id"]), "--proctor-id", str(seeded["proctor_id"]), "--now", seeded["now"],
               "--out", out, *(["--gc-freeze"] if args.gc_freeze else [])]
    if profile:
        spy = Path(sys.executable).with_name("py-spy")
        raw = ["--format", "raw"] if profile.endswith(".txt") else []     # collapsed stacks, for a script
        command = [str(spy), "record", "-r", "400", *raw, "-o", profile, "--", *command]
    subprocess.run(command, check=True)
    try:
        return json.loads(Path(out).read_text())
    finally:
        os.unlink(out)


def _baseline_tree(rev: str) -> str:
    tree = tempfile.mkdtemp(prefix="bench_start_room_base_")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "exam_server", "item_bank"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    return tree


def _row(label: str, runs: list[dict], students: int) -> str:
    def med(key):
        return statistics.median(r[key] for r in runs) * 1000

    total = statistics.median((r["service_s"] + r["delivery_s"]) for r in runs) * 1000
    orm = statistics.median(r["service_s"] - r["service_sql_s"] + r["delivery_s"] - r["delivery_sql_s"]
                            - r["render_s"] - r["json_s"] for r in runs) * 1000
    sql = statistics.median(r["service_sql_s"] + r["delivery_sql_s"] for r in runs) * 1000
    statements = f"{runs[0]['service_statements']}+{runs[0]['delivery_statements']}"
    return (f"{label:10}{total:>9.0f}{total / students:>9.3f}{med('service_s'):>9.0f}{med('delivery_s'):>9.0f}"
            f"{sql:>8.0f}{statements:>8}{orm:>10.0f}{med('render_s'):>8.0f}{med('json_s'):>7.0f}"
            f"{runs[0]['bytes'] / students / 1024:>8.1f}{med('gc_s'):>7.0f} ({med('service_gc_s'):.0f}+{med('gc_s') - med('service_gc_s'):.0f}; "
            f"{runs[0]['gc_full']} full)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="measurements per code version (median shown)")
    parser.add_argument("--baseline", help="a git revision whose code is measured too, alternating (e.g. main)")
    parser.add_argument("--py-spy", dest="py_spy", help="record the current code's first measurement to FILE (.svg, or .txt: collapsed stacks)")
    parser.add_argument("--gc-freeze", dest="gc_freeze", action="store_true",
                        help="freeze the start-up heap out of the collector first, as a server process does")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--code-root", "--template", "--now", "--out"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    for hidden in ("--exam-id", "--room-id", "--proctor-id"):
        parser.add_argument(hidden, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        Path(args.out).write_text(json.dumps(measure(args)))
        return

    sys.path.insert(0, str(ROOT))
    versions = {"current": str(ROOT)}
    if args.baseline:
        versions = {"baseline": _baseline_tree(args.baseline), **versions}
    seeded = seed(args.url, args.students)
    runs: dict[str, list[dict]] = {label: [] for label in versions}
    try:
        for n in range(args.rounds):
            for label, code_root in versions.items():
                profile = args.py_spy if args.py_spy and label == "current" and n == 0 else None
                runs[label].append(_child(args, seeded, code_root, profile))
                last = runs[label][-1]
                print(f"  round {n + 1} {label:8} {(last['service_s'] + last['delivery_s']) * 1000:7.0f} ms", flush=True)
    finally:
        _database(args.url, f'DROP DATABASE IF EXISTS "{seeded["template"]}" WITH (FORCE)')
        if args.baseline:
            subprocess.run(["rm", "-rf", versions["baseline"]], check=False)
    n = args.students
    print(f"\nstart_room of {n} connected candidates (median of {args.rounds}; ms; SQL statements service+delivery;"
          " GC: the collector's time, within the other columns, service+delivery)")
    print(f"{'':10}{'total':>9}{'per cand':>9}{'service':>9}{'delivery':>9}{'SQL':>8}{'stmts':>8}"
          f"{'ORM+glue':>10}{'render':>8}{'JSON':>7}{'KB/cand':>8}{'GC':>7}")
    for label in versions:
        print(_row(label, runs[label], n))
    for label, label_runs in runs.items():
        told = {r["told"] for r in label_runs}
        print(f"{label}: {told} of {n} candidates told their attempt_state; started {label_runs[0]['started']}")
    if args.baseline:
        base, current = runs["baseline"][0]["digests"], runs["current"][0]["digests"]
        same = sum(1 for key, digest in current.items() if base.get(key) == digest)
        print(f"packets identical to the baseline's: {same} of {len(base)} (current sent {len(current)})")
    for label, label_runs in runs.items():
        if any(r["digests"] != label_runs[0]["digests"] for r in label_runs):
            print(f"WARNING: {label}'s packets differ between its own rounds")


if __name__ == "__main__":
    main()
