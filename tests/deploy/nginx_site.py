"""deploy/nginx.conf run for a test: the site file with only its machine-specific text replaced,
a stand-in for the distribution's nginx.conf around it, a self-signed certificate, and an nginx
process (tests/deploy, tests/chaos)."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
STATIC = ROOT / "exam_server" / "static"


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


# The node names of the two processes, as nginx.conf's map knows them (systemd names a process
# by its port; here the ports are free ones, the names stay those of the file).
NODES = ("8000", "8001")


def site_config(upstream_ports, https_port, http_port, cert: Path, key: Path) -> str:
    """deploy/nginx.conf with the machine-specific text replaced (each must occur exactly as
    written in the file, so the test breaks rather than silently testing something else)."""
    text = (DEPLOY / "nginx.conf").read_text()
    substitutions = [
        ("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream_ports[0]}", 3),   # the group, its own, a backup
        ("server 127.0.0.1:8001", f"server 127.0.0.1:{upstream_ports[1]}", 3),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1),
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("ssl_certificate     /etc/ssl/certs/exam.pem;", f"ssl_certificate     {cert};", 1),
        ("ssl_certificate_key /etc/ssl/private/exam.key;", f"ssl_certificate_key {key};", 1),
        ("alias /opt/exam-platform/exam_server/static/", f"alias {STATIC}/", 2),
    ]
    for old, new, count in substitutions:
        assert text.count(old) == count, f"deploy/nginx.conf no longer has {old!r} {count} time(s)"
        text = text.replace(old, new)
    return text


def main_config(tmp_path: Path, site: Path, mime_types: Path, worker_connections: int = 512) -> str:
    """The stand-in for /etc/nginx/nginx.conf: everything outside the site file."""
    user = "user root;\n" if os.geteuid() == 0 else ""   # workers must reach tmp_path (0700)
    temp = "".join(f"    {kind}_temp_path {tmp_path / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {tmp_path / 'nginx.pid'};
error_log {tmp_path / 'error.log'} notice;
events {{ worker_connections {worker_connections}; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    sendfile on;
{temp}    log_format stack '$remote_addr "$request" $status upstream=$upstream_addr cc="$sent_http_cache_control"';
    access_log {tmp_path / 'access.log'} stack;
    include {site};
}}
"""




class Nginx:
    """nginx with deploy/nginx.conf in front of gunicorn processes on `upstream_ports` (named
    NODES[i] in their EXAM_NODE_NAME), serving HTTPS on a free port; logs under `folder`."""

    def __init__(self, binary: str, folder: Path, upstream_ports, https_port: int, http_port: int,
                 worker_connections: int = 512):
        """`worker_connections`: the stand-in nginx.conf's (a client's websocket takes two: a
        benchmark of hundreds of students needs thousands)."""
        self.folder = folder
        self.cert, key = self_signed(folder)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / kind).mkdir(exist_ok=True)
        conf_dir = Path(subprocess.run([binary, "-V"], check=True, capture_output=True, text=True).stderr
                        .split("--conf-path=")[1].split()[0]).parent
        site = folder / "exam-platform.conf"
        site.write_text(site_config(upstream_ports, https_port, http_port, self.cert, key))
        conf = folder / "nginx.conf"
        conf.write_text(main_config(folder, site, conf_dir / "mime.types", worker_connections))
        self.cmd = [binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
        self.base = f"https://127.0.0.1:{https_port}"
        self.proc: subprocess.Popen | None = None

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run([*self.cmd, "-t"], check=False, capture_output=True, text=True, timeout=20)

    def start(self) -> Nginx:
        self.out = open(self.folder / "nginx.out", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([*self.cmd, "-g", "daemon off;"], stdout=self.out, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.out.close()
