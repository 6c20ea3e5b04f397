"""One exam server process for the two-process test: `python run_server.py PORT`.

Reads EXAM_DATABASE_URL, EXAM_REDIS_URL, EXAM_SECRET_KEY, EXAM_INSTANCE_PATH from the environment
(core.config) and serves HTTP and Socket.IO in threading mode, with the deadline sweeper on."""
from __future__ import annotations

import sys

from exam_server.app import create_app
from exam_server.core.extensions import socketio


def main() -> None:
    port = int(sys.argv[1])
    app = create_app({"SOCKETIO_ASYNC_MODE": "threading", "LIVE_SWEEPER": True})
    # The Werkzeug server is fine for a test; production runs gunicorn with gevent workers.
    socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    main()
