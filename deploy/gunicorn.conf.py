"""gunicorn settings for one exam server process:

    gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:8000 exam_server.wsgi:app

One worker per gunicorn process, a gevent worker: live exams keep a websocket per candidate
open, and a Socket.IO session lives in one process. gunicorn's own load balancing is not
sticky, so Flask-SocketIO needs `workers = 1`; to use more cores run several gunicorn
processes on different ports (the systemd template `exam-server@PORT.service`), all with the
same EXAM_REDIS_URL (the Socket.IO message queue) and each its own EXAM_NODE_NAME, behind
nginx (least_conn, with long-polling kept on its process by the exam_node cookie: nginx.conf).
tests/deploy runs two of these processes behind nginx; tests/chaos kills and restarts them.
"""

bind = "127.0.0.1:8000"           # overridden per process: --bind 127.0.0.1:%i in the unit
worker_class = "gevent"
workers = 1                       # never more: Socket.IO polling needs every request of a session here
# Concurrent connections (websockets, and every HTTP request besides them) this process accepts:
# at the cap gevent stops accepting, so the cap must sit well above the students a process holds,
# or a proctor's login waits behind them (a room of 2,000 filled a cap of 2,000). The unit's
# LimitNOFILE covers it (a socket each, plus the database's).
worker_connections = 6000
# The worker monkey-patches the standard library before it imports the app: no preloading
# (the app starts the deadline sweeper, a background greenlet, when it is created).
preload_app = False
# Flask-SocketIO would pick gevent on its own under this worker; say so rather than rely on it.
raw_env = ["EXAM_SOCKETIO_ASYNC_MODE=gevent"]
# gunicorn 25.1+ opens a control socket, by default one path per user ($HOME/.gunicorn/gunicorn.ctl)
# that the processes of exam-server@PORT would take from each other; its commands include
# changing the worker count, which must stay 1. Off (older gunicorn ignores the setting).
control_socket_disable = True
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-"                   # stdout: the journal under systemd
errorlog = "-"
# nginx on the same host is the only client; gunicorn trusts its X-Forwarded-Proto (https).
forwarded_allow_ips = "127.0.0.1,::1"


def post_worker_init(worker):
    """A restart (SIGTERM) must not strand students until the graceful timeout ends: once the
    worker has stopped accepting, the live runtime frees this process's connection slots and
    closes its students' transports, and their pages reconnect at once through nginx to another
    process (exam_server.live.runtime.drain_on_term). gunicorn has no SIGTERM hook: wrap its handler."""
    import signal

    import gevent

    from exam_server.live.runtime import drain_on_term

    stop = worker.handle_exit

    def handle_exit(sig, frame):
        stop(sig, frame)
        gevent.spawn(drain_on_term, worker.wsgi)

    worker.handle_exit = handle_exit
    signal.signal(signal.SIGTERM, handle_exit)
