"""Operations: readiness, and the cookie that keeps a Socket.IO long-polling session on the
process that holds it behind nginx (deploy/nginx.conf)."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text


def readiness(app: Flask) -> dict[str, bool]:
    """What a process needs to serve students: its database, its Redis (when configured), and not
    being drained (SIGTERM)."""
    checks: dict[str, bool] = {}
    try:
        with app.extensions["db_engine"].connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:  # noqa: BLE001 - any failure: not ready
        checks["database"] = False
    if app.config.get("REDIS_URL"):
        import redis

        try:
            client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
            checks["redis"] = bool(client.ping())
            client.close()
        except Exception:  # noqa: BLE001 - Redis unreachable in any way: not ready
            checks["redis"] = False
    runtime = app.extensions.get("live")
    checks["accepting"] = not (runtime is not None and runtime.draining)
    return checks


class NodeCookie:
    """WSGI middleware: every /socket.io/ response carries `exam_node=<this process's name>`, so
    nginx can send the rest of a long-polling session to the same process (its map of
    $cookie_exam_node); a first request without the cookie goes to any process. Websocket
    connections need no stickiness (one request)."""

    def __init__(self, app: Any, node_name: str, secure: bool):
        self.app = app
        self.cookie = f"exam_node={node_name}; Path=/socket.io/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/socket.io/"):
            return self.app(environ, start_response)

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, ("Set-Cookie", self.cookie)], exc_info)

        return self.app(environ, start)
