"""The production stack of deploy/, run for real: two gunicorn processes started with
deploy/gunicorn.conf.py (gevent worker) on PostgreSQL and a Redis message queue, behind nginx
running deploy/nginx.conf over TLS.

deploy/nginx.conf is used as it is, except for what is machine-specific, replaced by exact
matches that must each be found (site_config below): the upstream ports, the listen ports,
the certificate paths (a self-signed certificate for 127.0.0.1) and the checkout path of the
static files. A small wrapper nginx.conf (our stand-in for /etc/nginx/nginx.conf) includes it,
with the pid, temp and log paths under tmp_path and an access log that records the upstream of
every request. gunicorn gets only --bind and the environment.

Needs nginx, gunicorn with gevent, PostgreSQL and Redis: with CI=true a missing one fails the
test, elsewhere it is skipped."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio as sio_client
from requests.adapters import HTTPAdapter

from tests.conftest import IN_CI, PASSWORD
from tests.deploy.nginx_site import DEPLOY, NODES, STATIC, Nginx, self_signed, site_config
from tests.server.exam_factories import live_exam

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(message + ": CI must run the deploy stack test")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(p, os.X_OK)), None)
    if found is None:
        _unavailable("nginx is not installed (Debian package nginx; ./run setup installs it)")
    return found


@pytest.fixture
def database_url(postgresql_url):   # the gunicorn processes and the conftest's app share it
    return postgresql_url


class SourceAddress(HTTPAdapter):
    """requests from a chosen loopback address (nginx's limit_req counts per address)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def https_session(cert: Path, source: str | None = None) -> requests.Session:
    http = requests.Session()
    http.trust_env = False   # else REQUESTS_CA_BUNDLE (or a proxy) from the environment wins over `verify`
    http.verify = str(cert)
    if source:
        http.mount("https://", SourceAddress(source))
    return http


def _wait_http(url: str, procs: list, logs: list[Path], verify=True, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        for proc, log in zip(procs, logs):
            assert proc.poll() is None, f"{log.name} exited:\n" + log.read_text()[-3000:]
        try:
            if requests.get(url, timeout=1, verify=verify).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):   # bound, the worker still importing
            pass
        assert time.monotonic() < deadline, f"{url} did not answer:\n" + logs[-1].read_text()[-3000:]
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Stack:
    def __init__(self, tmp_path: Path, base: str, http_base: str, cert: Path, upstreams: list[str]):
        self.tmp_path, self.base, self.http_base, self.cert, self.upstreams = (tmp_path, base, http_base,
                                                                               cert, upstreams)

    def access_log(self) -> list[str]:
        return (self.tmp_path / "access.log").read_text().splitlines()

    def logged(self, text: str, count: int = 1, seconds: float = 3) -> list[str]:
        """The access log lines with `text`, once there are `count` of them (nginx writes a line
        just after the response: the client can be quicker)."""
        deadline = time.monotonic() + seconds
        while True:
            lines = [line for line in self.access_log() if text in line]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, postgresql_url, redis_url):
    tmp_path = tmp_path_factory.mktemp("stack")
    nginx = _nginx_binary()
    for module in ("gunicorn", "gevent"):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{module} is not installed (pip install -e '.[server]')")

    g_ports = [_free_port(), _free_port()]
    https_port, http_port = _free_port(), _free_port()
    env = {**os.environ, "EXAM_DATABASE_URL": postgresql_url, "EXAM_REDIS_URL": redis_url,
           "EXAM_SOCKETIO_CHANNEL": f"deploy-test-{uuid.uuid4().hex[:8]}",   # alone on the shared Redis
           "EXAM_SECRET_KEY": "deploy-stack-test-secret", "EXAM_INSTANCE_PATH": str(tmp_path / "instance"),
           "EXAM_SECURE_COOKIES": "1", "EXAM_TRUSTED_PROXIES": "1", "PYTHONPATH": str(ROOT)}
    for name in ("EXAM_MAX_UPLOAD_BYTES", "EXAM_SOCKETIO_ASYNC_MODE"):
        env.pop(name, None)

    server = Nginx(nginx, tmp_path, g_ports, https_port, http_port)
    cert = server.cert
    checked = server.check()
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr

    procs, logs, files = [], [], []
    try:
        for name, port, node in zip("ab", g_ports, NODES):
            log = tmp_path / f"gunicorn-{name}.log"
            out = open(log, "wb")  # noqa: SIM115 - closed below
            files.append(out)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
                 "--bind", f"127.0.0.1:{port}", "exam_server.wsgi:app"],
                env={**env, "EXAM_NODE_NAME": node}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
            logs.append(log)
        procs.append(server.start().proc)
        logs.append(tmp_path / "nginx.out")
        for port in g_ports:
            _wait_http(f"http://127.0.0.1:{port}/healthz", procs, logs)
        base = f"https://127.0.0.1:{https_port}"
        _wait_http(base + "/healthz", procs, logs, verify=str(cert), seconds=10)
        yield Stack(tmp_path, base, f"http://127.0.0.1:{http_port}", cert,
                    [f"127.0.0.1:{port}" for port in g_ports])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            _stop(proc)
        for out in files:
            out.close()
        server.stop()


def test_site_file_in_the_distributions_nginx_conf(tmp_path):
    """The site file as an operator installs it: included by the system's own nginx.conf
    (Debian's includes /etc/nginx/sites-enabled/*), only the paths of this machine changed."""
    nginx = _nginx_binary()
    system_conf = Path(subprocess.run([nginx, "-V"], check=True, capture_output=True, text=True).stderr
                       .split("--conf-path=")[1].split()[0])
    text = system_conf.read_text()
    if "sites-enabled" not in text:
        pytest.skip(f"{system_conf} does not include sites-enabled/ (not Debian's nginx.conf)")
    cert, key = self_signed(tmp_path)
    site = tmp_path / "exam-platform"
    site.write_text(site_config([8000, 8001], 443, 80, cert, key))
    text = re.sub(r"include\s+\S*sites-enabled/\S*;", f"include {site};", text)
    text = re.sub(r"(?m)^pid\s+\S+;", f"pid {tmp_path / 'nginx.pid'};", text)
    text = re.sub(r"(access_log|error_log)\s+[^;]+;", rf"\1 {tmp_path / 'log'};", text)
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    checked = subprocess.run([nginx, "-t", "-c", str(conf), "-e", str(tmp_path / "error.log")], check=False,
                             capture_output=True, text=True, timeout=20)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


def _login(http: requests.Session, base: str, username: str) -> str:
    page = http.get(base + "/login", timeout=5)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    # Over HTTPS Flask-WTF also wants a same-origin Referer (a browser sends it: Referrer-Policy
    # same-origin); the app sees https and the host with its port only through nginx's headers.
    response = http.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf},
                         headers={"Referer": base + "/login"}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:500]
    cookie = next(c for c in http.cookies if c.name == "session")
    assert cookie.secure, "EXAM_SECURE_COOKIES=1: the session cookie is for HTTPS only"
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


SECURITY_HEADERS = {"Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


def _has_security_headers(response, from_app: bool = False) -> None:
    # Each once (requests joins repeated headers with ", "): nginx hides the app's own copies.
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name, dict(response.headers))
    if from_app:
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], dict(response.headers)


def test_http_through_nginx(stack):
    from exam_server.core.config import load_config

    http = https_session(stack.cert)
    login = http.get(stack.base + "/login", timeout=5)
    assert login.status_code == 200 and 'name="csrf_token"' in login.text
    _has_security_headers(login, from_app=True)
    assert login.headers["Server"] == "nginx"            # server_tokens off: no version
    redirect = http.get(stack.http_base + "/login", allow_redirects=False, timeout=5)
    assert redirect.status_code == 301 and redirect.headers["Location"] == "https://127.0.0.1/login"

    # Static files come from nginx (no upstream in its log), with their cache headers.
    app_js = http.get(stack.base + "/static/js/api.js", timeout=5)
    assert app_js.status_code == 200 and app_js.content == (STATIC / "js" / "api.js").read_bytes()
    assert app_js.headers["Cache-Control"] == "max-age=3600" and "Expires" in app_js.headers
    _has_security_headers(app_js)
    again = http.get(stack.base + "/static/js/api.js", headers={"If-None-Match": app_js.headers["ETag"]}, timeout=5)
    assert again.status_code == 304
    katex = http.get(stack.base + "/static/vendor/katex/katex.min.js", timeout=5)
    assert katex.status_code == 200 and katex.headers["Cache-Control"] == "max-age=2592000"
    static_lines = stack.logged("/static/", 3)
    assert len(static_lines) == 3 and all("upstream=- " in line for line in static_lines), static_lines
    assert "upstream=127.0.0.1:" in stack.logged("GET /login")[0]

    # Larger than EXAM_MAX_UPLOAD_BYTES: nginx refuses it (the limits agree).
    limit = load_config({"INSTANCE_PATH": str(stack.tmp_path / "cfg"), "SECRET_KEY": "x"})["MAX_CONTENT_LENGTH"]
    size = re.search(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx.conf").read_text()).group(1)
    assert int(size) * 1024 * 1024 == limit
    too_big = http.post(stack.base + "/api/v1/items/import", data=b"x" * (limit + 1),
                        headers={"Content-Type": "application/zip"}, timeout=30)
    assert too_big.status_code == 413
    _has_security_headers(too_big)
    [refused] = stack.logged("/api/v1/items/import")
    assert '" 413 upstream=- ' in refused, refused


def test_live_exam_through_nginx(app, client, token_for, users, stack):
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live.services import issue_session_token

    exam = live_exam(app, client, token_for, users)
    with app.app_context():
        token = issue_session_token(session.get(Candidate, exam.candidate(1)), None, "chip", "")
        session.commit()

    # A logged-in proctor over HTTPS: a JSON API call and the room page, whose exam link the app
    # builds from the forwarded scheme and host.
    http = https_session(stack.cert)
    cookie = _login(http, stack.base, "proctor1")
    api = http.get(f"{stack.base}/api/v1/exams/{exam.exam_id}", timeout=5)
    assert api.status_code == 200 and api.json()["id"] == exam.exam_id, api.text[:300]
    _has_security_headers(api, from_app=True)
    room = http.get(f"{stack.base}/proctor/exams/{exam.exam_id}/rooms/{exam.room_id}", timeout=5)
    assert room.status_code == 200 and f"{stack.base}/exam" in room.text

    # The exam_node cookie pins a Socket.IO session to its process: the proctor's websocket to the
    # first gunicorn, the student's long-polling (many requests) to the second.
    proctor_upstream, student_upstream = stack.upstreams
    proctor_cookie = f"{cookie}; exam_node={NODES[0]}"
    student_http = https_session(stack.cert)
    student_http.cookies.set("exam_node", NODES[1], path="/socket.io/")
    where = {"exam_id": exam.exam_id, "room_id": exam.room_id}

    # Socket.IO only from the server's own origin, as the browser sees it (https, host and port).
    handshake = f"{stack.base}/socket.io/?EIO=4&transport=polling"
    assert http.get(handshake, headers={"Origin": stack.base}, timeout=5).status_code == 200
    assert http.get(handshake, headers={"Origin": "https://elsewhere.example"}, timeout=5).status_code == 400
    assert http.get(handshake, headers={"Origin": stack.base.replace("https:", "http:")}, timeout=5).status_code == 400

    # /proctor over long-polling through nginx: several requests of one session, all sticky.
    polling = sio_client.Client(reconnection=False, http_session=https_session(stack.cert))
    try:
        polling.connect(stack.base, namespaces=["/proctor"], headers={"Cookie": cookie},
                        transports=["polling"], wait_timeout=10)
        assert polling.transport() == "polling"
        for _ in range(3):
            assert polling.call("join", where, namespace="/proctor", timeout=10)["ok"]
    finally:
        polling.disconnect()

    got: dict[str, list] = {"attempt_state": [], "paused": []}
    arrived = {name: threading.Event() for name in got}
    student = sio_client.Client(reconnection=False, http_session=student_http)
    proctor = sio_client.Client(reconnection=False, http_session=https_session(stack.cert))
    for name, seen in got.items():
        def handler(data, seen=seen, event=arrived[name]):
            seen.append(data)
            event.set()

        student.on(name, handler, namespace="/student")
    try:
        # The student long-polls through nginx from the other address; the proctor's websocket.
        student.connect(stack.base, namespaces=["/student"], auth={"token": token}, transports=["polling"],
                        wait_timeout=10)
        assert arrived["attempt_state"].wait(5) and got["attempt_state"][0]["status"] == "not_started"
        arrived["attempt_state"].clear()
        proctor.connect(stack.base, namespaces=["/proctor"], headers={"Cookie": proctor_cookie},
                        transports=["websocket"], wait_timeout=10)
        assert proctor.transport() == "websocket"
        joined = proctor.call("join", where, namespace="/proctor", timeout=10)
        assert joined["ok"] and joined["room"]["candidates"][0]["online"] is True, joined
        assert proctor.call("start_room", where, namespace="/proctor", timeout=10) == {"ok": True}
        assert arrived["attempt_state"].wait(3), "start did not reach the student on the other gunicorn"
        assert got["attempt_state"][-1]["status"] == "in_progress"
        answer = proctor.call("pause", {**where, "candidate_id": exam.candidate(1), "reason": "through nginx"},
                              namespace="/proctor", timeout=10)
        assert answer == {"ok": True}
        assert arrived["paused"].wait(3), "the pause did not reach the student on the other gunicorn"
        assert got["paused"][0] == {"reason": "through nginx"}
    finally:
        student.disconnect()
        proctor.disconnect()

    # Where each connection went, from nginx's log: the student's requests all to one gunicorn,
    # the proctor's websocket to the other, and nothing of the websocket or the polling bypassed
    # nginx; each process named itself in the cookie.
    time.sleep(0.2)   # the last lines of the connections just closed
    sockets = [line for line in stack.access_log() if "/socket.io/" in line]
    polling_lines = [line for line in sockets if "transport=polling" in line]
    student_upstreams = {re.search(r"upstream=(\S+)", line).group(1) for line in polling_lines[-4:]}
    assert student_upstreams == {student_upstream}, sockets
    websocket = [line for line in sockets if "transport=websocket" in line]
    assert websocket and all(f"upstream={proctor_upstream} " in line and '" 101 ' in line
                             for line in websocket), websocket
    assert {c.value for c in student_http.cookies if c.name == "exam_node"} == {NODES[1]}


def test_nginx_rate_limits_the_login_from_one_address(stack):
    """limit_req on /login (deploy/nginx.conf: 60 per minute, a burst of 30): a flood from one
    address gets 429 from nginx itself (no upstream), another address is not affected."""
    flood = https_session(stack.cert, "127.0.77.1")
    codes = [flood.get(stack.base + "/login", timeout=5).status_code for _ in range(45)]
    assert codes[:25] == [200] * 25 and 429 in codes, codes
    assert any('"GET /login HTTP' in line and '" 429 upstream=- ' in line for line in stack.access_log())
    other = https_session(stack.cert)
    assert other.get(stack.base + "/login", timeout=5).status_code == 200
