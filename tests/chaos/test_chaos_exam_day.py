"""Chaos: a running exam through the faults of an exam day (issue 9), on the production stack:
two gunicorn processes (deploy/gunicorn.conf.py) behind nginx (deploy/nginx.conf, TLS), on a
PostgreSQL and a Redis that this module starts for itself (never the machine's shared ones: they
are stopped and restarted here). Rooms of 50 simulated students (bench/livesim: the documented
/student protocol over real websockets, through nginx) answer every 0.5-1.5 s while:

- one process is killed with SIGKILL: each of its students saves again within 15 s, no proctor;
- one process is stopped with SIGTERM (a restart): the same;
- PostgreSQL restarts: nothing is acknowledged without being stored, everything is stored once
  it is back, with the same server processes;
- Redis is down for 10 s: a pause issued during the outage reaches every student within 5 s of
  its return (in fact at once: the live event log is in PostgreSQL);
- a client offline for 5 minutes replays everything when it comes back;
- every attempt of a one-minute exam is closed within 2 s of its deadline and scored once.
After each: no acknowledged answer lost (tests/chaos is `./run chaos`, a step of .ci/run of its
own; the tests run in this order, the offline client's absence spanning the others). Bounded:
about 7 minutes here."""
from __future__ import annotations

import asyncio
import io
import shutil
import signal
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.livesim.check import lost_answers
from bench.livesim.seed import PASSWORD, SeededExam, seed_live_exam
from bench.livesim.stack import Gunicorn, PrivatePostgres, PrivateRedis, free_port
from bench.livesim.students import SimProctor, SimStudent, Stats
from tests.deploy.nginx_site import NODES, Nginx

pytestmark = [pytest.mark.chaos, pytest.mark.postgres, pytest.mark.redis]

ROOM_SIZE = 50
ROOMS = ("kill", "term", "postgres", "redis", "offline")   # the rooms of the long exam, one per fault
OFFLINE_SECONDS = 300
RECOVER_SECONDS = 15
PACE_SECONDS = (0.5, 1.5)
# Faster leases than production's (10 s) keep the module short; the rules are the same.
SERVER_ENV = {"EXAM_LIVE_HEARTBEAT_SECONDS": "1", "EXAM_LIVE_NODE_TIMEOUT_SECONDS": "5",
              "EXAM_LIVE_SWEEP_INTERVAL_SECONDS": "0.5", "EXAM_LOG_LEVEL": "WARNING"}


class Loop:
    """One asyncio loop for the whole module, in a thread: the simulated clients outlive a test
    (the offline student)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 240) -> Any:
        return asyncio.run_coroutine_threadsafe(_bounded(coro, timeout), self.loop).result(timeout + 30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def _bounded(coro, timeout: float) -> Any:
    """The scenario, or after `timeout` a failure that says where it waits (its stack, and how
    many other tasks are still running), with the step lines `step` printed before it."""
    task = asyncio.ensure_future(coro)
    done, _pending = await asyncio.wait({task}, timeout=timeout)
    if done:
        return task.result()
    where = io.StringIO()
    task.print_stack(file=where)
    others = [t for t in asyncio.all_tasks() if t is not task and t is not asyncio.current_task()]
    task.cancel()
    raise TimeoutError(f"the scenario is still running after {timeout:.0f} s ({len(others)} other tasks "
                       f"running); it waits at:\n{where.getvalue()}")


@dataclass
class Stack:
    folder: Path
    pg: PrivatePostgres
    redis: PrivateRedis
    servers: list[Gunicorn]
    ports: list[int]
    env: dict[str, str]
    nginx: Nginx
    ssl: ssl.SSLContext
    exam: SeededExam
    short_exam: SeededExam
    loop: Loop
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.nginx.base

    def start_server(self, index: int) -> Gunicorn:
        server = Gunicorn(self.ports[index], {**self.env, "EXAM_NODE_NAME": NODES[index]},
                          self.folder / f"gunicorn-{NODES[index]}.log")
        self.servers[index] = server.wait()
        return server

    def query(self, sql: str, **params) -> list:
        engine = create_engine(self.pg.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).all()
        finally:
            engine.dispose()

    def room(self, name: str, exam: SeededExam | None = None) -> tuple[dict, list[dict]]:
        exam = exam or self.exam
        room = exam.rooms[ROOMS.index(name)] if exam is self.exam else exam.rooms[0]
        return room, [c for c in exam.candidates if c["room_id"] == room["id"]]


@pytest.fixture(scope="module")
def stack(request):
    from exam_server.app import create_app
    from exam_server.core.migrate import upgrade

    # A folder of its own, kept when a test failed (the servers' logs say why): pytest's own
    # temporary folders are pruned by every other run on the machine.
    folder = Path(tempfile.mkdtemp(prefix="exam-chaos-"))
    print(f"chaos: logs in {folder}")
    pg = PrivatePostgres().start()
    redis = PrivateRedis(log=folder / "redis.log").start()
    loop = Loop()
    servers: list[Gunicorn] = []
    nginx = None
    try:
        upgrade(pg.url)
        app = create_app({"DATABASE_URL": pg.url, "SECRET_KEY": "chaos", "INSTANCE_PATH": str(folder / "seed"),
                          "LIVE_BACKGROUND": False, "WTF_CSRF_ENABLED": False, "ARGON2_FAST": True})
        exam = seed_live_exam(app, ROOM_SIZE * len(ROOMS), rooms=len(ROOMS))
        short_exam = seed_live_exam(app, ROOM_SIZE, rooms=1, duration_minutes=1)
        app.extensions["db_engine"].dispose()
        app.extensions["live_engine"].dispose()

        ports = [free_port(), free_port()]
        env = {"EXAM_DATABASE_URL": pg.url, "EXAM_REDIS_URL": redis.url, "EXAM_SECRET_KEY": "chaos",
               "EXAM_INSTANCE_PATH": str(folder / "instance"), **SERVER_ENV}
        nginx = Nginx(_nginx(), folder, ports, free_port(), free_port())
        checked = nginx.check()
        assert checked.returncode == 0, checked.stderr
        nginx.start()
        context = ssl.create_default_context(cafile=str(nginx.cert))
        built = Stack(folder, pg, redis, [None, None], ports, env, nginx, context, exam, short_exam, loop)
        built.start_server(0)
        built.start_server(1)
        servers = built.servers
        yield built
    finally:
        loop.stop()
        for server in servers:
            if server is not None:
                server.stop()
        if nginx is not None:
            nginx.stop()
        redis.stop()
        pg.remove()
        if request.session.testsfailed == 0:
            shutil.rmtree(folder, ignore_errors=True)


def _nginx() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(found).exists(), "nginx is not installed (./run setup installs it)"
    return found


# --- a room sitting its exam ----------------------------------------------------------------------

@dataclass
class Hall:
    exam: SeededExam
    room: dict
    proctor: SimProctor
    students: list[SimStudent]
    tasks: list
    stats: Stats

    @property
    def where(self) -> dict[str, int]:
        return {"exam_id": self.exam.exam_id, "room_id": self.room["id"]}


def step(name: str, what: str, started: float) -> None:
    """A line per step of a room (pytest shows them with a failure: where a scenario stood)."""
    print(f"{name}: {what} at {time.monotonic() - started:.1f} s", flush=True)


async def sit(stack: Stack, name: str, exam: SeededExam | None = None) -> Hall:
    """The room's students connect through nginx, the proctor starts the room, everyone answers."""
    exam = exam or stack.exam
    room, candidates = stack.room(name, exam)
    stats = Stats()
    students = [SimStudent(stack.base, c["token"], stats, seed=c["id"], ssl_context=stack.ssl) for c in candidates]
    proctor = SimProctor(stack.base, exam.proctor, PASSWORD, stack.ssl)
    started = time.monotonic()
    await proctor.connect()
    step(name, "proctor connected", started)
    hall = Hall(exam, room, proctor, students, [], stats)
    assert (await proctor.act("join", hall.where, timeout=30))["ok"]
    step(name, "proctor joined", started)
    connected = await asyncio.gather(*(s.connect(give_up_s=60) for s in students))
    assert all(connected), (stats.refusals, stats.failures)
    step(name, f"{len(students)} students connected ({dict(stats.refusals)})", started)
    assert (await proctor.act("start_room", hall.where, timeout=30)) == {"ok": True}
    step(name, "room started", started)
    papers = await asyncio.gather(*(s.wait_paper(15) for s in students))
    assert all(papers), f"{papers.count(False)} students got no paper"
    step(name, "papers received", started)
    until = time.monotonic() + 3600
    hall.tasks = [asyncio.ensure_future(s.run(until=until, pace_s=PACE_SECONDS, first_delay_s=1)) for s in students]
    return hall


async def stop_answering(hall: Hall) -> None:
    for student in hall.students:
        student.stop_answering()
    for task in hall.tasks:
        task.cancel()
    await asyncio.gather(*hall.tasks, return_exceptions=True)


async def leave(hall: Hall) -> None:
    """Stop answering, send what is pending (reconnecting as needed), close."""
    await stop_answering(hall)
    drained = await asyncio.gather(*(s.drain(60) for s in hall.students))
    await asyncio.gather(*(s.close() for s in hall.students))
    await hall.proctor.close()
    assert all(drained), f"{drained.count(False)} students could not send what they had pending"


def acked(hall: Hall) -> list:
    return [row for s in hall.students for row in s.acked]


def assert_nothing_lost(stack: Stack, hall: Hall) -> None:
    rows = acked(hall)
    assert len(rows) > len(hall.students), "the students hardly answered: the test would prove nothing"
    lost = lost_answers(stack.pg.url, rows)
    assert lost == [], f"{len(lost)} acknowledged answers are not stored as acknowledged: {lost[:5]}"


def held_by(stack: Stack, hall: Hall, pid: int) -> set[int]:
    """The attempts whose connection slot the worker `pid` holds (its node id names the pid)."""
    rows = stack.query("SELECT a.id FROM attempts a JOIN candidates c ON c.id = a.candidate_id "
                       "WHERE c.room_id = :room AND a.connection_node LIKE :node",
                       room=hall.room["id"], node=f"%:{pid}:%")
    return {row[0] for row in rows}


async def saves_again(hall: Hall, attempts: set[int], since: float, seconds: float) -> dict[int, float]:
    """For each student of these attempts: seconds from `since` until they reconnected and had an
    answer acknowledged on the new connection (missing: never, within `seconds`)."""
    students = [s for s in hall.students if s.attempt_id in attempts]
    found: dict[int, float] = {}
    deadline = since + seconds
    while time.monotonic() < deadline and len(found) < len(students):
        for s in students:
            if (s.attempt_id not in found and s.connected_at and s.connected_at > since and s.last_ack_at
                    and s.last_ack_at > s.connected_at):
                found[s.attempt_id] = s.last_ack_at - since
        await asyncio.sleep(0.1)
    return found


def _process_fault(stack: Stack, name: str, index: int, sig: int) -> None:
    async def scenario():
        hall = await sit(stack, name)
        await asyncio.sleep(3)                           # answering on both processes
        server = stack.servers[index]
        pid = server.worker_pid()
        victims = held_by(stack, hall, pid)
        assert victims, "nginx put no student of the room on this process (least_conn spreads them)"
        since = time.monotonic()
        if sig == signal.SIGKILL:
            server.kill(signal.SIGKILL)                  # master and worker at once: a crash
        else:
            server.proc.send_signal(signal.SIGTERM)      # what systemd does on a restart
        again = await saves_again(hall, victims, since, RECOVER_SECONDS)
        slow = sorted(set(victims) - set(again))
        assert not slow, (f"{len(slow)} of {len(victims)} students did not save again within {RECOVER_SECONDS} s: "
                          f"refusals {dict(hall.stats.refusals)}, failures {dict(hall.stats.failures)}, "
                          f"errors {dict(hall.stats.errors)}")
        await leave(hall)
        return hall, victims, again

    hall, victims, again = stack.loop.run(scenario())
    print(f"{name}: {len(victims)} students moved, saving again after at most {max(again.values()):.1f} s")
    assert_nothing_lost(stack, hall)
    incidents = stack.query("SELECT count(*) FROM incidents i JOIN candidates c ON c.id = i.candidate_id "
                            "WHERE c.room_id = :room AND i.kind = 'second_login'", room=hall.room["id"])[0][0]
    assert incidents == 0, "a student taking its own slot back is not a second login"
    stack.servers[index].stop()
    stack.start_server(index)                            # back for the next scenario


# --- the scenarios, in order ------------------------------------------------------------------------

def test_offline_client_goes_away(stack):
    """A student answers, loses the network, and keeps answering offline (the page queues)."""
    async def scenario():
        started = time.monotonic()
        hall = await sit(stack, "offline")
        await asyncio.sleep(4)
        await stop_answering(hall)
        assert all(await asyncio.gather(*(s.drain(30) for s in hall.students)))
        step("offline", f"answers sent ({len(acked(hall))} acknowledged)", started)
        away = hall.students[0]
        await away.client.close()                        # the network goes
        for _ in range(12):
            away.queue(away.next_answer())
        for s in hall.students[1:]:
            await s.close()
        await hall.proctor.close()
        return hall, away

    hall, away = stack.loop.run(scenario())
    stack.shared["offline"] = (hall, away, time.monotonic())
    assert len(away.pending) == 12


def test_kill_9_strands_nobody(stack):
    _process_fault(stack, "kill", 0, signal.SIGKILL)


def test_sigterm_strands_nobody(stack):
    _process_fault(stack, "term", 1, signal.SIGTERM)


def test_postgres_restart_loses_nothing(stack):
    async def scenario():
        hall = await sit(stack, "postgres")
        await asyncio.sleep(3)
        before = len(acked(hall))
        await asyncio.to_thread(stack.pg.stop, "fast")
        await asyncio.sleep(3)
        await asyncio.to_thread(stack.pg.start)
        restarted = time.monotonic()
        while time.monotonic() - restarted < 30 and len(acked(hall)) < before + 2 * len(hall.students):
            await asyncio.sleep(0.2)
        assert len(acked(hall)) >= before + 2 * len(hall.students), "saving did not resume after PostgreSQL returned"
        await leave(hall)
        return hall

    pids = [server.proc.pid for server in stack.servers]
    hall = stack.loop.run(scenario())
    assert_nothing_lost(stack, hall)
    assert [server.proc.poll() for server in stack.servers] == [None, None]
    assert [server.proc.pid for server in stack.servers] == pids, "no server restart needed"
    for server in stack.servers:
        assert requests.get(server.url + "/readyz", timeout=5).status_code == 200


def test_pause_during_a_redis_outage_reaches_everyone(stack):
    async def scenario():
        hall = await sit(stack, "redis")
        await asyncio.sleep(2)
        await asyncio.to_thread(stack.redis.stop)
        down = time.monotonic()
        answer = await hall.proctor.act("pause", {**hall.where, "reason": "mất điện phòng thi"}, timeout=30)
        assert answer == {"ok": True}, answer
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - down)))
        await asyncio.to_thread(stack.redis.start)
        back = time.monotonic()
        while time.monotonic() - back < 5 and not all(s.heard["paused"] for s in hall.students):
            await asyncio.sleep(0.1)
        not_told = [s.attempt_id for s in hall.students if not s.heard["paused"]]
        assert not not_told, f"{len(not_told)} students were not told of the pause within 5 s of Redis's return"
        assert (await hall.proctor.act("resume", {**hall.where, "reason": "có điện"}, timeout=30)) == {"ok": True}
        resumed = time.monotonic()
        while time.monotonic() - resumed < 5 and not all(s.heard["resumed"] for s in hall.students):
            await asyncio.sleep(0.1)
        not_told = [s.attempt_id for s in hall.students if not s.heard["resumed"]]
        assert not not_told, f"{len(not_told)} students were not told of the resume within 5 s"
        await asyncio.sleep(2)
        await leave(hall)
        return hall

    hall = stack.loop.run(scenario())
    assert_nothing_lost(stack, hall)


def test_deadline_closes_within_two_seconds_and_scores_once(stack):
    async def scenario():
        hall = await sit(stack, "short", stack.short_exam)
        due = dict(stack.query("SELECT id, due_at FROM attempts WHERE exam_id = :exam", exam=stack.short_exam.exam_id))
        assert len(due) == ROOM_SIZE and None not in due.values()
        last = max(due.values()).timestamp()
        while not all(s.status == "closed" for s in hall.students):
            await asyncio.sleep(0.2)
            assert time.time() < last + 20, "the deadline passed and attempts are still open"
        await stop_answering(hall)
        await asyncio.gather(*(s.close() for s in hall.students))
        await hall.proctor.close()
        return hall, due

    hall, due = stack.loop.run(scenario(), timeout=200)
    closed = dict(stack.query("SELECT e.attempt_id, e.at FROM attempt_events e JOIN attempts a ON a.id = e.attempt_id "
                              "WHERE a.exam_id = :exam AND e.to_status = 'closed'", exam=stack.short_exam.exam_id))
    assert sorted(closed) == sorted(due), "each attempt closed once"
    late = sorted((closed[a] - due[a]).total_seconds() for a in due)
    assert late[0] >= 0, "closed before its time"
    assert late[-1] <= 2.0, f"closed late by up to {late[-1]:.2f} s: {late[-5:]}"
    print(f"deadline: {len(late)} attempts closed {late[0]:.2f}-{late[-1]:.2f} s after their due time")
    time.sleep(3)   # scoring is deferred to a batch just after the close
    scored = stack.query("SELECT a.id, count(r.id) FROM attempts a LEFT JOIN results r ON r.attempt_id = a.id "
                         "WHERE a.exam_id = :exam GROUP BY a.id", exam=stack.short_exam.exam_id)
    assert sorted(count for _id, count in scored) == [1] * ROOM_SIZE
    rows = acked(hall)
    assert not lost_answers(stack.pg.url, rows)


def test_offline_client_replays_everything(stack):
    assert "offline" in stack.shared, "runs after test_offline_client_goes_away (module order)"
    hall, away, since = stack.shared["offline"]
    time.sleep(max(0.0, OFFLINE_SECONDS - (time.monotonic() - since)))

    async def scenario():
        assert await away.drain(60), "the queued answers could not be sent"
        await away.close()

    stack.loop.run(scenario())
    assert not away.pending
    assert_nothing_lost(stack, hall)
    stored = stack.query("SELECT max(client_seq) FROM answer_events WHERE attempt_id = :a", a=away.attempt_id)[0][0]
    assert stored == away.seq
