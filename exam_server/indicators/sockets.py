"""The dashboard's live channel: Socket.IO namespace /dashboard.

A dashboard joins the room "dashboard" (event "watch"); after a commit that changed indicator
cells the server emits "changed" {exam_ids: [...]} there, at most once per commit (coalesced in the
engine) and through the Redis message queue, so a change made by any process reaches every
process's dashboards. The message carries exam ids only; the page asks the JSON API (scoped to the
user's units) for what changed. Roles are checked on connect and on every event.
"""
from __future__ import annotations

import logging

from flask_login import current_user
from flask_socketio import Namespace, join_room

from exam_server.core.db import session
from exam_server.indicators import fold

log = logging.getLogger(__name__)
NAMESPACE = "/dashboard"
ROOM = "dashboard"
VIEWERS = ("admin", "official")


def _allowed() -> bool:
    from exam_server.accounts.models import User

    user_id = current_user.get_id() if current_user and current_user.is_authenticated else None
    try:
        user = session.get(User, int(user_id)) if user_id and str(user_id).isdigit() else None
        return user is not None and user.is_active and user.role.value in VIEWERS
    finally:
        session.rollback()


class DashboardNamespace(Namespace):
    EVENTS = ("watch",)

    def trigger_event(self, event, *args):
        if event not in ("connect", "disconnect") and event not in self.EVENTS:
            return {"ok": False, "error": "unknown_event"}
        return super().trigger_event(event, *args)

    def on_connect(self, auth=None):
        if not _allowed():
            raise ConnectionRefusedError("forbidden", {"error": "forbidden"})

    def on_watch(self, data=None):
        if not _allowed():      # the account may have been disabled or changed since connecting
            return {"ok": False, "error": "forbidden"}
        join_room(ROOM)
        return {"ok": True}


def init_app(app, socketio) -> None:
    socketio.on_namespace(DashboardNamespace(NAMESPACE))

    def push(exam_ids: set[int]) -> None:
        socketio.emit("changed", {"exam_ids": sorted(exam_ids)}, to=ROOM, namespace=NAMESPACE)

    # The folder (domain) knows nothing of Socket.IO: the transport subscribes to its changes.
    if not any(getattr(listener, "dashboard_push", False) for listener in fold.changed_listeners):
        push.dashboard_push = True
        fold.changed_listeners.append(push)
