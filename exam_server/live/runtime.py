"""The live exam in one server process: its node id (its lease on connection slots), the
registry of its student connections, its relay, the sweeper, and the graceful drain.

`init_app` attaches the namespaces to the app's Socket.IO server and, unless configured off
(LIVE_BACKGROUND, on except under TESTING), starts the relay loop (tail, heartbeat, progress,
time ticks) and the deadline sweeper. Without the loop (tests), a commit's events are told at
once in the committing thread."""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from exam_server.core import drains
from exam_server.core.db import session, utcnow
from exam_server.live import slots
from exam_server.live.connections import Registry
from exam_server.live.relay import Relay

log = logging.getLogger(__name__)


def new_node_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class LiveRuntime:
    app: Flask
    socketio: object
    node_id: str
    registry: Registry
    relay: Relay
    draining: bool = False
    sweep_wakeup: threading.Event = field(default_factory=threading.Event)
    background: bool = False

    def score_soon(self) -> None:
        """Attempts were finished: score them now (the sweeper's loop, or here without it)."""
        if self.background:
            self.sweep_wakeup.set()
            return
        from exam_server.live.scoring import score_pending

        with self.relay.context():
            while score_pending(utcnow()):
                session.commit()
            session.commit()

    def holder_alive(self, node: str | None, sid: str, now: datetime) -> bool:
        """Is the connection that holds a slot still there? Here: is its socket still open; on
        another process: is that process still renewing its lease."""
        if node == self.node_id:
            return self.registry.get(sid) is not None and self.socketio.server.manager.is_connected(sid, "/student")
        return slots.node_alive(node, now, self.app.config["LIVE_NODE_TIMEOUT_SECONDS"])

    def drain(self) -> int:
        """SIGTERM: free this process's slots and close its students' transports (not a Socket.IO
        disconnect: the pages reconnect at once, to another process). Returns how many."""
        self.draining = True
        with self.app.app_context():
            try:
                freed = slots.release_nodes([self.node_id], utcnow())
                session.commit()
            except Exception:
                session.rollback()
                log.exception("drain: could not free the slots (they expire with the lease)")
                freed = 0
        conns = self.registry.all()
        eio = self.socketio.server.eio
        for conn in conns:
            self.registry.remove(conn.sid)
            try:
                eio_sid = self.socketio.server.manager.eio_sid_from_sid(conn.sid, "/student")
                socket_ = eio.sockets.get(eio_sid) if eio_sid else None
                if socket_ is not None:
                    socket_.close(wait=False, abort=True)
            except Exception:
                log.debug("drain: closing %s failed", conn.sid, exc_info=True)
        log.warning("drained: %d slot(s) freed, %d connection(s) closed", freed, len(conns))
        return len(conns)


def init_app(app: Flask, socketio) -> LiveRuntime:

    from exam_server.core.db import make_engine, make_sessionmaker
    from exam_server.live.sockets import ProctorNamespace, StudentNamespace
    from exam_server.live.sweeper import sweep_loop

    # The relay, the lease and the sweeper work on an engine of their own (a few connections):
    # when the students' events use every connection of the main pool, these still run.
    live_engine = make_engine(app.config["DATABASE_URL"], pool_size=3, max_overflow=2, pool_timeout=30)
    app.extensions["live_engine"] = live_engine
    app.extensions["live_sessionmaker"] = make_sessionmaker(live_engine)
    registry = Registry()
    node_id = new_node_id()
    relay = Relay(app, socketio, registry, node_id)
    runtime = LiveRuntime(app, socketio, node_id, registry, relay)
    app.extensions["live"] = runtime
    app.extensions["live_relay"] = relay
    socketio.on_namespace(StudentNamespace(runtime))
    socketio.on_namespace(ProctorNamespace())
    relay.prime()
    if drains.background(app):
        relay.start()
        if app.config.get("LIVE_SWEEPER", True):
            runtime.background = True
            socketio.start_background_task(sweep_loop, app, runtime)
    return runtime


def drain_on_term(app: Flask, delay_seconds: float = 1.2) -> None:
    """For gunicorn's SIGTERM (deploy/gunicorn.conf.py): after the server stopped accepting
    (about a second), drain."""
    runtime = app.extensions.get("live")
    if runtime is None:
        return
    time.sleep(delay_seconds)
    runtime.drain()

