"""Scale-out: the same exam served by 1, 2 and 3 exam-server processes behind nginx and Redis.

    ./run bench bench_scaleout [--processes 1,2,3] [--quota 0.3] [--students 600] [--rooms 6]
                               [--answer-seconds 40] [--pace 0.5,1.0]

This machine has 2 cores, shared by the servers, the load generator, PostgreSQL, Redis and nginx:
three processes with a core each cannot be measured here. Instead each process gets a *share* of
core 0, a CPU quota (cgroup v1 cpu.cfs_quota_us; `--quota 0.3` = 30% of a core), so 1, 2 and 3
processes are 0.3, 0.6 and 0.9 of a core, and the generator (pinned to core 1) can drive them to
saturation. What the factor measures is what scale-out costs beyond the CPU added: the
processes' work for each other (the live event log every process tails, Redis fan-out, the
leases) and contention in PostgreSQL; near-linear means processes add capacity, not overhead. It
does not measure nginx's or PostgreSQL's own limits at full-core scale.

Load: deploy/nginx.conf (TLS, least_conn) in front of the processes (deploy/gunicorn.conf.py, one
gevent worker each); a PostgreSQL (fsync on) and a Redis of the bench's own; students answer
as fast as acknowledgements come (each has one answer in flight, a new one every 0.5-1 s), so
the servers are saturated and answers per second is their capacity. Printed per process count:
answers acknowledged per second, the factor against one process, ack p50/p99, server CPU per
answer (all workers), and lost answers (acknowledged but not stored: must be 0).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.livesim.check import lost_answers
from bench.livesim.stack import ROOT, Gunicorn, PrivatePostgres, PrivateRedis, free_port, proc_cpu_seconds
from tests.deploy.nginx_site import Nginx

CGROUP_ROOT = Path("/sys/fs/cgroup/cpu")
SECRET = "bench-scaleout-secret"
NICE = ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def cgroup(name: str, quota: float) -> Path:
    """A cgroup v1 cpu group limited to `quota` of one core."""
    group = CGROUP_ROOT / name
    group.mkdir(exist_ok=True)
    period = int((group / "cpu.cfs_period_us").read_text())
    (group / "cpu.cfs_quota_us").write_text(str(int(period * quota)))
    return group


def remove_cgroup(group: Path) -> None:
    for pid in (group / "cgroup.procs").read_text().split():     # leftovers go back to the root
        with contextlib.suppress(OSError):
            (CGROUP_ROOT / "cgroup.procs").write_text(pid)
    with contextlib.suppress(OSError):
        group.rmdir()


def site_for(nginx: Nginx, ports: list[int]) -> None:
    """deploy/nginx.conf carries two upstream processes: one more (or one fewer) in the group."""
    site = nginx.folder / "exam-platform.conf"
    text = site.read_text()
    first = f"    server 127.0.0.1:{ports[1] if len(ports) > 1 else ports[0]} max_fails=0;\n"
    if len(ports) == 3:
        text = text.replace(first, first + f"    server 127.0.0.1:{ports[2]} max_fails=0;\n", 1)
    site.write_text(text)


def seed(url: str, students: int, rooms: int, instance: Path):
    from bench.livesim.seed import seed_live_exam
    from exam_server.app import create_app
    from exam_server.core.migrate import upgrade

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "INSTANCE_PATH": str(instance),
                      "LIVE_BACKGROUND": False, "WTF_CSRF_ENABLED": False, "ARGON2_FAST": True})
    exam = seed_live_exam(app, students, rooms=rooms)
    app.extensions["db_engine"].dispose()
    app.extensions["live_engine"].dispose()
    return exam


def run_once(args, n: int, pg: PrivatePostgres, redis: PrivateRedis, workdir: Path) -> dict:
    from sqlalchemy import create_engine, text

    name = f"scaleout_{n}"
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = pg.url.rsplit("/", 1)[0] + f"/{name}"
    folder = workdir / f"p{n}"
    folder.mkdir()
    exam = seed(url, args.students, args.rooms, folder / "instance")
    ports = [free_port() for _ in range(n)]
    groups, servers, nginx = [], [], None
    try:
        env = {"EXAM_DATABASE_URL": url, "EXAM_REDIS_URL": redis.url, "EXAM_SECRET_KEY": SECRET,
               "EXAM_INSTANCE_PATH": str(folder / "instance"), "EXAM_LOG_LEVEL": "WARNING"}
        for i, port in enumerate(ports):
            group = cgroup(f"exam-scaleout-{i}", args.quota)
            groups.append(group)
            servers.append(Gunicorn(port, {**env, "EXAM_NODE_NAME": str(8000 + i)}, folder / f"gunicorn-{i}.log",
                                    cpu=0, cgroup=group))
        for server in servers:
            server.wait()
        nginx = Nginx(shutil.which("nginx") or "/usr/sbin/nginx", folder,
                      ports if n > 1 else [ports[0], ports[0]], free_port(), free_port(),
                      worker_connections=4 * args.students + 512)
        site_for(nginx, ports)
        nginx.start()
        time.sleep(0.5)
        plan = {"url": nginx.base, "cafile": str(nginx.cert), "exam_id": exam.exam_id, "rooms": exam.rooms,
                "candidates": exam.candidates, "proctor": exam.proctor, "password": exam.password,
                "answer_seconds": args.answer_seconds, "connect_spread_s": 5.0, "submit_spread_s": 5.0,
                "pace_s": [float(v) for v in args.pace.split(",")], "first_delay_s": 1.0, "paper_timeout_s": 60, "seed": 7}
        plan_file, result_file = folder / "plan.json", folder / "result.json"
        plan_file.write_text(json.dumps(plan))
        pids = [s.worker_pid() for s in servers]
        samples = {}
        gen = subprocess.Popen([*NICE, "taskset", "-c", "1", sys.executable, "-m", "bench.livesim.run",
                                str(plan_file), str(result_file)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        for line in gen.stdout:
            if line.startswith("PHASE "):
                samples[line.split()[1]] = (time.monotonic(), sum(proc_cpu_seconds(p) for p in pids))
            else:
                print("    " + line.rstrip(), flush=True)
        if gen.wait() != 0:
            raise RuntimeError(f"the load generator failed ({n} processes)")
        result = json.loads(result_file.read_text())
        answer_cpu = samples["answered"][1] - samples["papers"][1]
        acks = result["answer"]["acks"]
        return {"processes": n, "acks_per_second": result["answer"]["acks_per_second"], "acks": acks,
                "ack_ms": result["answer"]["ack_ms"], "errors": result["answer"]["errors"],
                "connected": result["connect"]["connected"], "submitted": result["submit"]["submitted"],
                "cpu_per_answer_ms": 1000 * answer_cpu / max(1, acks),
                "cpu_share": answer_cpu / (samples["answered"][0] - samples["papers"][0]),
                "generator_cpu_s": result["answer"]["generator_cpu_s"],
                "lost": len(lost_answers(url, result["acked"]))}
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            server.stop()
        for group in groups:
            remove_cgroup(group)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2,3")
    parser.add_argument("--quota", type=float, default=0.3, help="each process's share of one core")
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--rooms", type=int, default=6)
    parser.add_argument("--answer-seconds", type=float, default=40)
    parser.add_argument("--pace", default="0.5,1.0", help="seconds between a student's answers (low,high)")
    args = parser.parse_args()
    if not (CGROUP_ROOT / "cpu.cfs_quota_us").exists() or not os.access(CGROUP_ROOT, os.W_OK):
        sys.exit(f"needs a writable cgroup v1 cpu controller at {CGROUP_ROOT} (run as root)")
    counts = [int(n) for n in args.processes.split(",")]
    if any(n not in (1, 2, 3) for n in counts):
        sys.exit("--processes: 1, 2 or 3 (deploy/nginx.conf's two upstreams, one more or one fewer)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    pg = PrivatePostgres(durable=True, nice=-5).start()
    redis = PrivateRedis(log=workdir / "redis.log").start()
    rows = []
    try:
        for n in counts:
            print(f"\n{n} process(es), {args.quota:.2f} core each, {args.students} students:", flush=True)
            rows.append(run_once(args, n, pg, redis, workdir))
    finally:
        redis.stop()
        pg.remove()
    base = next((r["acks_per_second"] for r in rows if r["processes"] == 1), None)
    print(f"\nscale-out ({args.quota:.2f} of a core per process, {args.students} students answering at saturation)")
    print(f"{'processes':>9}{'answers/s':>11}{'factor':>8}{'ack p50 ms':>12}{'p99 ms':>9}{'CPU ms/answer':>15}"
          f"{'CPU used':>10}{'lost':>6}")
    for r in rows:
        factor = f"{r['acks_per_second'] / base:.2f}" if base else "-"
        print(f"{r['processes']:>9}{r['acks_per_second']:>11.1f}{factor:>8}{r['ack_ms']['p50']:>12.0f}"
              f"{r['ack_ms']['p99']:>9.0f}{r['cpu_per_answer_ms']:>15.2f}{r['cpu_share']:>10.2f}{r['lost']:>6}")
        if r["errors"]:
            print(f"{'':>9}errors: {r['errors']}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
