"""The live exam under exam-day load, against the production setup, with the ceiling measured in
the same run.

    ./run bench bench_live [--students 2000] [--answer-seconds 120] [--rooms 1] [--sweep 3000,4000]
                           [--bare both|plain|insert|none] [--profile DIR]
                           [--profile-phase connect|start_room|answer|submit]

One exam-server process (deploy/gunicorn.conf.py: gunicorn, one gevent worker) pinned to core 0,
on the machine's PostgreSQL (a database of its own, dropped after) and Redis (a channel of its
own); the load generator (bench/livesim: asyncio, its own Socket.IO client over websockets) pinned
to core 1. The exam: the 2025 mathematics format (22 questions), two forms, every candidate
admitted with a session token. Phases: the connect storm, the proctor's join and start_room (time
until every student has the paper), exam pace (one answer per 20-30 s per student, changes of
mind, flags), the submit storm. Then every acknowledged answer is looked up in the database
(lost = acknowledged but not stored, or stored differently).

The ceiling: bench/livesim/bare_app.py, a bare Flask-SocketIO app under the same gunicorn
settings that acknowledges answers (plain) or stores each with one INSERT (insert), at the same
pace and number of students. CPU per answer = the worker's CPU time during the answer phase
divided by the answers acknowledged in it.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.livesim.check import lost_answers
from bench.livesim.stack import ROOT, Gunicorn, free_port, proc_cpu_seconds, proc_rss_bytes

ADMIN_URL = os.environ.get("EXAM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PRIVATE_PG = None    # set by main(): the bench's own PostgreSQL (fsync on), unless --shared-postgres
REDIS_URL = os.environ.get("EXAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "bench-live-secret"
# As root, the bench's server and generator run before the machine's other work (a shared machine).
NICE = ["nice", "-n", "-10"] if os.geteuid() == 0 else []
TARGETS = {"ack_p99_ms": 200, "connect_storm_s": 30, "last_paper_s": 3, "submit_storm_s": 30,
           "memory_per_student_kb": 100, "lost": 0, "cpu_ratio": 3}


def _admin_url() -> str:
    return PRIVATE_PG.url if PRIVATE_PG is not None else ADMIN_URL


def create_database() -> str:
    name = f"bench_live_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, students: int, rooms: int, instance: Path):
    from bench.livesim.seed import seed_live_exam
    from exam_server.app import create_app
    from exam_server.core.migrate import upgrade

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "INSTANCE_PATH": str(instance),
                      "LIVE_SWEEPER": False, "WTF_CSRF_ENABLED": False, "ARGON2_FAST": True})
    started = time.monotonic()
    exam = seed_live_exam(app, students, rooms=rooms)
    app.extensions["db_engine"].dispose()
    print(f"  seeded {students} candidates in {len(exam.rooms)} room(s) in {time.monotonic() - started:.1f} s",
          flush=True)
    return exam


# --profile-phase NAME: the generator's phase line at which py-spy starts (it stops at the next one).
PROFILED_PHASES = {"connect": "connect", "start_room": "start_room", "answer": "papers", "submit": "answered"}


def run_generator(plan: dict, server: Gunicorn, workdir: Path, label: str, profile: Path | None,
                  profile_phase: str = "answer") -> dict:
    """Run the load generator pinned to core 1; sample the server worker at each phase."""
    plan_file, result_file = workdir / f"plan-{label}.json", workdir / f"result-{label}.json"
    plan_file.write_text(json.dumps(plan))
    pid = server.worker_pid()
    samples: dict[str, tuple[float, float, int]] = {}
    gen = subprocess.Popen([*NICE, "taskset", "-c", "1", sys.executable, "-m", "bench.livesim.run", str(plan_file),
                            str(result_file)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    spy = None
    for line in gen.stdout:
        if line.startswith("PHASE "):
            _p, name, _t = line.split()
            samples[name] = (time.monotonic(), proc_cpu_seconds(pid), proc_rss_bytes(pid))
            if spy is not None and spy.poll() is None:   # the profiled phase is over: py-spy writes on SIGINT
                spy.send_signal(signal.SIGINT)
            if profile is not None and name == PROFILED_PHASES[profile_phase]:
                profile.mkdir(parents=True, exist_ok=True)
                spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(pid),
                                        "-r", "50", "-f", "raw", "-o", str(profile / f"{label}-{profile_phase}.txt")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            print("  " + line.rstrip(), flush=True)
    if gen.wait() != 0:
        raise RuntimeError(f"the load generator failed ({label})")
    if spy is not None:
        spy.wait()
    result = json.loads(result_file.read_text())
    result["samples"] = samples
    return result


def figures(result: dict, students: int) -> dict:
    s = result["samples"]
    answer_cpu = s["answered"][1] - s["papers"][1]
    out = {
        "students": students,
        "connected": result["connect"]["connected"],
        "connect_storm_s": result["connect"]["seconds"],
        "connect_failures": result["connect"]["failed"],
        "refusals": result["connect"]["refusals"],
        "failures": result["connect"].get("failures", {}),
        "last_paper_s": max((r["last_paper_s"] for r in result.get("rooms", [])), default=None),
        "join_s": max((r["join_s"] for r in result.get("rooms", [])), default=None),
        "acks": result["answer"]["acks"],
        "acks_per_second": result["answer"]["acks_per_second"],
        "ack_ms": result["answer"]["ack_ms"],
        "answer_errors": result["answer"]["errors"],
        "submit_storm_s": result["submit"]["seconds"],
        "submitted": result["submit"]["submitted"],
        "server_cpu_answer_phase_s": answer_cpu,
        "server_cpu_per_answer_ms": 1000 * answer_cpu / max(1, result["answer"]["acks"]),
        "server_cpu_total_s": s["submitted"][1] - s["connect"][1],
        "server_cpu_per_connect_ms": 1000 * (s["connected"][1] - s["connect"][1]) / max(1, result["connect"]["connected"]),
        "server_rss_mb": s["connected"][2] / 2**20,
        "memory_per_student_kb": (s["connected"][2] - s["connect"][2]) / 1024 / max(1, students),
        "generator_cpu_s": result["generator_cpu_s"],
        "generator_cpu_answer_phase_s": result["answer"]["generator_cpu_s"],
        "answer_phase_s": s["answered"][0] - s["papers"][0],
    }
    return out


def plan_for(exam, url: str, args, *, bare: bool = False) -> dict:
    return {"url": url, "exam_id": exam.exam_id, "rooms": exam.rooms, "candidates": exam.candidates,
            "proctor": None if bare else exam.proctor, "password": exam.password,
            "answer_seconds": args.answer_seconds, "connect_spread_s": args.connect_spread,
            "submit_spread_s": args.submit_spread, "seed": 7}


def run_project(args, students: int, workdir: Path) -> dict:
    url = create_database()
    channel = f"bench-live-{uuid.uuid4().hex[:8]}"
    server = None
    try:
        exam = seed(url, students, args.rooms, workdir / "instance")
        env = {"EXAM_DATABASE_URL": url, "EXAM_REDIS_URL": REDIS_URL, "EXAM_SOCKETIO_CHANNEL": channel,
               "EXAM_SECRET_KEY": SECRET, "EXAM_INSTANCE_PATH": str(workdir / "instance"), "EXAM_LOG_LEVEL": "WARNING",
               **dict(pair.split("=", 1) for pair in args.server_env)}
        server = Gunicorn(free_port(), env, workdir / f"server-{students}.log", cpu=0, nice=-10).wait()
        result = run_generator(plan_for(exam, server.url, args), server, workdir, f"project-{students}",
                               args.profile, args.profile_phase)
        out = figures(result, students)
        out["lost"] = len(lost_answers(url, result["acked"]))
        out["pending_left"] = result["pending_left"]
        return out
    finally:
        if server is not None:
            server.stop()
        drop_database(url)


def run_bare(args, students: int, workdir: Path, insert: bool) -> dict:
    from bench.livesim.seed import SeededExam

    url = create_database() if insert else None
    server = None
    try:
        env = {"BARE_DATABASE_URL": url} if insert else {}
        server = Gunicorn(free_port(), env, workdir / f"bare-{students}.log", cpu=0, nice=-10,
                          app="bench.livesim.bare_app:app")
        server.wait_path = None
        from bench.livesim.stack import wait_http

        wait_http(server.url + "/socket.io/?EIO=4&transport=polling", 60, server.proc, server.log_path)
        fake = SeededExam(0, [], [{"id": i, "number": str(i), "room_id": 0, "token": f"t{i}"}
                                  for i in range(students)])
        result = run_generator(plan_for(fake, server.url, args, bare=True), server, workdir,
                               f"bare-{'insert' if insert else 'plain'}-{students}", None)
        return figures(result, students)
    finally:
        if server is not None:
            server.stop()
        if url:
            drop_database(url)


def show(label: str, f: dict) -> None:
    ack = f["ack_ms"]
    fmt = lambda v, d=0: "-" if v is None else f"{v:.{d}f}"
    print(f"\n{label}: {f['students']} students")
    print(f"  connect storm   {fmt(f['connect_storm_s'], 1)} s, connected {f['connected']}, failed "
          f"{f['connect_failures']}, refusals {f['refusals'] or 'none'}")
    print(f"                  server CPU {fmt(f.get('server_cpu_per_connect_ms'), 1)} ms per connected student")
    for message, n in f.get("failures", {}).items():
        print(f"                  {n} x {message}")
    if f.get("last_paper_s") is not None:
        print(f"  proctor join    {fmt(f['join_s'], 2)} s; start_room -> last paper {fmt(f['last_paper_s'], 2)} s")
    print(f"  answers         {f['acks']} acked, {fmt(f['acks_per_second'], 1)}/s; ack p50 {fmt(ack['p50'], 1)} "
          f"p95 {fmt(ack['p95'], 1)} p99 {fmt(ack['p99'], 1)} max {fmt(ack['max'], 1)} ms; errors "
          f"{f['answer_errors'] or 'none'}")
    print(f"  submit storm    {fmt(f['submit_storm_s'], 1)} s, submitted {f['submitted']}")
    print(f"  server CPU      {fmt(f['server_cpu_per_answer_ms'], 2)} ms per answer (answer phase "
          f"{fmt(f['server_cpu_answer_phase_s'], 1)} s of {fmt(f['answer_phase_s'], 0)} s), "
          f"whole run {fmt(f['server_cpu_total_s'], 1)} s")
    print(f"  server memory   {fmt(f['server_rss_mb'], 0)} MB RSS connected, "
          f"{fmt(f['memory_per_student_kb'], 1)} KB per student")
    print(f"  generator CPU   {fmt(f['generator_cpu_s'], 1)} s in all, {fmt(f['generator_cpu_answer_phase_s'], 1)} s "
          f"in the answer phase")
    if "lost" in f:
        print(f"  lost answers    {f['lost']} (pending in clients at the end: {f['pending_left']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--answer-seconds", type=float, default=120)
    parser.add_argument("--connect-spread", type=float, default=5.0)
    parser.add_argument("--submit-spread", type=float, default=10.0)
    parser.add_argument("--sweep", default="", help="more student counts to run, e.g. 3000,4000")
    parser.add_argument("--bare", choices=("both", "plain", "insert", "none"), default="both")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw profiles of one phase here")
    parser.add_argument("--profile-phase", choices=tuple(PROFILED_PHASES), default="answer")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the exam server (e.g. EXAM_GC_GEN0_THRESHOLD=50000); repeatable")
    parser.add_argument("--shared-postgres", action="store_true",
                        help="use the machine's PostgreSQL instead of one of the bench's own")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-live-"))
    print(f"bench_live: logs in {workdir}", flush=True)
    global PRIVATE_PG
    if not args.shared_postgres:
        from bench.livesim.stack import PrivatePostgres

        PRIVATE_PG = PrivatePostgres(durable=True, nice=-10).start()
        print(f"  PostgreSQL of the bench's own on port {PRIVATE_PG.port} (fsync on)", flush=True)
    try:
        run_all(args, workdir)
    finally:
        if PRIVATE_PG is not None:
            PRIVATE_PG.remove()


def run_all(args, workdir: Path) -> None:
    results = {}
    counts = [args.students] + [int(n) for n in args.sweep.split(",") if n.strip()]
    for n in counts:
        print(f"\n== the project, {n} students ==", flush=True)
        results[f"project-{n}"] = project = run_project(args, n, workdir)
        show("project", project)
    bare_kinds = {"both": (False, True), "plain": (False,), "insert": (True,), "none": ()}[args.bare]
    for insert in bare_kinds:
        label = "bare+insert" if insert else "bare"
        print(f"\n== {label}, {args.students} students ==", flush=True)
        results[label] = bare = run_bare(args, args.students, workdir, insert)
        show(label, bare)
    project = results[f"project-{args.students}"]
    print("\nAgainst the targets (one process, one core):")
    checks = [("ack p99 < 200 ms", project["ack_ms"]["p99"], TARGETS["ack_p99_ms"]),
              ("connect storm < 30 s", project["connect_storm_s"], TARGETS["connect_storm_s"]),
              ("start_room -> last paper < 3 s", project["last_paper_s"], TARGETS["last_paper_s"]),
              ("submit storm < 30 s", project["submit_storm_s"], TARGETS["submit_storm_s"]),
              ("memory < 100 KB per student", project["memory_per_student_kb"], TARGETS["memory_per_student_kb"])]
    for name, value, limit in checks:
        ok = value is not None and value < limit
        print(f"  {'ok  ' if ok else 'MISS'} {name}: {value if value is None else round(value, 2)}")
    print(f"  {'ok  ' if project['lost'] == 0 else 'MISS'} lost answers = 0: {project['lost']}")
    print(f"  refused connections: {project['connect_failures']}")
    for label in ("bare", "bare+insert"):
        if label in results:
            ratio = project["server_cpu_per_answer_ms"] / max(1e-9, results[label]["server_cpu_per_answer_ms"])
            print(f"  CPU per answer vs {label}: {ratio:.1f}x ({project['server_cpu_per_answer_ms']:.2f} ms vs "
                  f"{results[label]['server_cpu_per_answer_ms']:.2f} ms)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
