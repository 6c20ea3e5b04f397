"""Socket event guard: what a client may name and send, on every namespace.

Socket.IO dispatches a client's EVENT packet by its name, so a client that emits `connect` or
`disconnect` reaches the connect and disconnect handlers as if the server had called them
(re-running a connection's admission, or freeing its slot while the socket stays open). The server
itself triggers those names only while the connection is in the middle of connecting or
disconnecting (python-socketio's pending_connect/pending_disconnect), and it hands `connect` the
connection's own WSGI environ; a client's packet has neither. Anything else is refused like an
unknown event.
"""
from __future__ import annotations

import logging
from typing import Any

from exam_server.core.shape import shape_problem

log = logging.getLogger(__name__)

RESERVED = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                      "removeListener"})


def unknown_event(namespace: str, event: Any) -> dict[str, Any]:
    return {"ok": False, "error": "unknown_event", "message": f"Unknown event {event!r}.", "field": None}


def _pending(manager, kind: str, sid: str, namespace: str) -> bool:
    return sid in (getattr(manager, kind, {}) or {}).get(namespace, ())


def is_server_lifecycle(namespace_handler, event: str, args: tuple) -> bool:
    """True when this connect/disconnect trigger comes from the server, not a client's packet."""
    server = getattr(namespace_handler, "server", None)
    if server is None or not args:
        return False
    sid, namespace = args[0], namespace_handler.namespace
    if event == "connect":
        return (_pending(server.manager, "pending_connect", sid, namespace)
                and len(args) > 1 and args[1] is server.get_environ(sid, namespace))
    if event == "disconnect":
        return _pending(server.manager, "pending_disconnect", sid, namespace)
    return False


def refusal_for(namespace_handler, event: Any, args: tuple, known: tuple[str, ...]) -> dict[str, Any] | None:
    """The ack refusing this event, or None to dispatch it. `known`: the namespace's own events."""
    if event in ("connect", "disconnect") and is_server_lifecycle(namespace_handler, event, args):
        return None
    if isinstance(event, str) and event in known and event not in RESERVED:
        return None
    log.warning("refused %s/%r: %s event", namespace_handler.namespace, event,
                "reserved" if event in RESERVED else "unknown")
    return unknown_event(namespace_handler.namespace, event)


def payload_problem(data: Any) -> str | None:
    """Why a socket payload's shape is refused (see core.shape), or None."""
    problem = shape_problem(data)
    return f"The event's payload is {problem}." if problem else None
