"""Extension objects shared across features, initialised in create_app (init_app pattern)."""
from __future__ import annotations

from flask_socketio import SocketIO

# With EXAM_REDIS_URL set, create_app gives it Redis as message queue: an emit from any process
# (a proctor action, the deadline sweeper) reaches a student connected to another process.
socketio = SocketIO()
