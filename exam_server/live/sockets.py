"""Socket.IO namespaces /student and /proctor (docs/protocol.md)."""
from __future__ import annotations

from flask_socketio import SocketIO


def register_namespaces(socketio: SocketIO) -> None:
    """Attach the namespaces to the app's SocketIO (filled in with issue 4's live delivery)."""
