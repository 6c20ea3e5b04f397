"""Reviewing many submitted items at once, with the rules of one-by-one review.

Each item is approved or sent back for changes by `services.act`, in a savepoint of its own: an
item that is refused (one's own, not submitted, unknown) is reported with its reason and leaves
nothing behind; the others are done. The caller commits once for the whole request.
"""
from __future__ import annotations

from typing import Any

from exam_server.accounts.models import User
from exam_server.bank import services
from exam_server.bank.workflow import REVIEW_ACTIONS
from exam_server.core.db import session
from exam_server.core.errors import ApiError

MAX_BULK_ITEMS = 500


def _refusal(field: str, message: str, code: str = "bad_bulk_review") -> ApiError:
    return ApiError(code, message, 422, field)


def review_many(identifiers: Any, action: Any, actor: User, comment: Any = "") -> dict[str, Any]:
    if action not in REVIEW_ACTIONS:
        raise _refusal("action", f"action must be one of {', '.join(sorted(REVIEW_ACTIONS))}.")
    if not isinstance(identifiers, list) or not identifiers or not all(isinstance(i, str) for i in identifiers):
        raise _refusal("identifiers", "identifiers is a non-empty list of item identifiers.")
    if len(identifiers) > MAX_BULK_ITEMS:
        raise _refusal("identifiers", f"At most {MAX_BULK_ITEMS} items at once.")
    if not isinstance(comment, str):
        raise _refusal("comment", "comment is text.")
    comment = comment.strip()
    if action == "request_changes" and not comment:
        raise ApiError("comment_required", "Say what should change.", 422, "comment")
    done, refused = [], []
    for identifier in dict.fromkeys(identifiers):    # each once, in the order given
        try:
            with session.begin_nested():
                version = services.act(identifier, action, actor, comment)
        except ApiError as exc:
            refused.append({"identifier": identifier, "error": exc.code, "message": exc.message})
            continue
        done.append({"identifier": identifier, "version": version.number, "status": version.status.value})
    return {"action": action, "done": done, "refused": refused}
