"""WSGI entry point for gunicorn: `gunicorn exam_server.wsgi:app`."""
from exam_server.app import create_app

app = create_app()
