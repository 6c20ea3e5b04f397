"""Logging: plain text for development, one JSON object per line in production
(EXAM_LOG_FORMAT=json, python-json-logger), every record with the `event_id` of the request or
socket event it belongs to, so one event's lines can be found together across processes."""
from __future__ import annotations

import contextvars
import logging
import uuid

from flask import Flask

_event_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("event_id", default=None)


def new_event_id() -> str:
    event_id = uuid.uuid4().hex[:16]
    _event_id.set(event_id)
    return event_id


def current_event_id() -> str | None:
    return _event_id.get()


class _EventIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.event_id = _event_id.get() or "-"
        return True


def init_app(app: Flask) -> None:
    root = logging.getLogger()
    level = app.config.get("LOG_LEVEL", "INFO")
    root.setLevel(level)
    if not root.handlers:   # as logging.basicConfig: a host (gunicorn, pytest) with its own handlers keeps them
        handler = logging.StreamHandler()
        if app.config.get("LOG_FORMAT") == "json":
            from pythonjsonlogger.json import JsonFormatter

            handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(event_id)s %(message)s",
                                               rename_fields={"asctime": "time", "levelname": "level"}))
        else:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(event_id)s] %(message)s"))
        handler.addFilter(_EventIdFilter())
        root.addHandler(handler)

    @app.before_request
    def _tag_request():
        new_event_id()
