"""Processes of a production-like stack, started for one benchmark or chaos test and stopped after:
gunicorn processes with deploy/gunicorn.conf.py (optionally pinned to a core), and a PostgreSQL and
a Redis of their own (never the machine's shared ones: a fault test stops and restarts them)."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float = 60, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited\n" + (log.read_text()[-3000:] if log else ""))
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer\n" + (log.read_text()[-3000:] if log else ""))
        time.sleep(0.1)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 40) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Gunicorn:
    """One exam-server process as deploy/ runs it: gunicorn, one gevent worker."""

    def __init__(self, port: int, env: dict[str, str], log: Path, *, cpu: int | None = None,
                 app: str = "exam_server.wsgi:app", nice: int | None = None, cgroup: Path | None = None):
        """`cgroup`: a cgroup v1 folder the process (and the worker it forks) joins before it starts
        (bench_scaleout: a CPU quota per process)."""
        self.port, self.log_path, self.url = port, log, f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", app]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        if nice and os.geteuid() == 0:
            cmd = ["nice", "-n", str(nice), *cmd]
        if cgroup is not None:
            cmd = ["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh", *cmd]
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, seconds: float = 60) -> Gunicorn:
        wait_http(self.url + "/healthz", seconds, self.proc, self.log_path)
        return self

    def worker_pid(self) -> int:
        """gunicorn's master forks the one worker: the process that serves."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        if not children:
            raise RuntimeError("gunicorn has no worker")
        return int(children[0])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (master and worker) at once, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --- a PostgreSQL and a Redis of the test's own ----------------------------------------------------

def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    which = shutil.which(name)
    if which is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return which


class PrivatePostgres:
    """initdb into a folder, served on its own port; stop() and start() again keep the data."""

    def __init__(self, port: int | None = None, *, durable: bool = False, nice: int | None = None):
        """`durable`: fsync on, as in production (benchmarks); off for fault tests, where only the
        server's own behaviour matters. `nice`: the postmaster's (and its backends') priority.
        Its folder is a temporary one of its own (as root, initdb runs as postgres, which must reach
        it: a test's own tmp folders are private), removed by remove()."""
        self.port, self.nice = port or free_port(), nice
        self.folder = Path(tempfile.mkdtemp(prefix="exam-pg-"))
        self.data = self.folder / "pgdata"
        self.user = "postgres" if os.geteuid() == 0 else None   # initdb refuses to run as root
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
        self._run([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                   "-E", "UTF8", "--locale=C"])
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                       f"fsync = {'on' if durable else 'off'}\nsynchronous_commit = on\nmax_connections = 300\n"
                       "shared_buffers = 256MB\n")

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self.user:
            nice = cmd[:3] if cmd[:1] == ["nice"] else []
            cmd = [*nice, "runuser", "-u", self.user, "--", *cmd[len(nice):]]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> PrivatePostgres:
        prefix = ["nice", "-n", str(self.nice)] if self.nice and os.geteuid() == 0 else []
        self._run([*prefix, _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "pg.log"), "-w", "-t", "60",
                   "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"], check=False)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    def __init__(self, port: int | None = None, log: Path | None = None):
        self.port = port or free_port()
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.out = open(self.log, "ab") if self.log else None  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=self.out or subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
                return self
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, signal.SIGKILL)
            self.proc = None
        if getattr(self, "out", None) is not None:
            self.out.close()
            self.out = None


@contextlib.contextmanager
def started(*things) -> Iterator[None]:
    try:
        yield
    finally:
        for thing in reversed(things):
            with contextlib.suppress(Exception):
                thing.stop()
