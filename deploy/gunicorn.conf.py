"""gunicorn settings for the exam server: `gunicorn -c deploy/gunicorn.conf.py 'exam_server.wsgi:app'`.

gevent workers because live exams keep a websocket per candidate open; several workers need
EXAM_REDIS_URL (the Socket.IO message queue) and a load balancer with sticky sessions (nginx
ip_hash below), since a Socket.IO session lives in one process.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gevent"
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
worker_connections = 2000
timeout = 60
graceful_timeout = 30
accesslog = "-"
forwarded_allow_ips = "127.0.0.1"
