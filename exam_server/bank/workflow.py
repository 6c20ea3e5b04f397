"""The review workflow of an item version, as one table of legal moves.

draft -> in_review -> approved -> retired, with `request_changes` and `withdraw` back to draft,
and `superseded` when a newer version replaces a draft or an approved version.
"""
from __future__ import annotations

from exam_server.bank.models import VersionStatus as S
from exam_server.core.errors import Conflict

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "submit": (frozenset({S.DRAFT}), S.IN_REVIEW),
    "withdraw": (frozenset({S.IN_REVIEW}), S.DRAFT),
    "request_changes": (frozenset({S.IN_REVIEW}), S.DRAFT),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED),
    "retire": (frozenset({S.APPROVED}), S.RETIRED),
    "supersede": (frozenset({S.DRAFT, S.APPROVED}), S.SUPERSEDED),
}

# Actions a reviewer takes: never on one's own version.
REVIEW_ACTIONS = frozenset({"approve", "request_changes"})


def next_status(current: S, action: str) -> S:
    try:
        sources, target = TRANSITIONS[action]
    except KeyError:
        raise Conflict("unknown_action", f"Unknown action {action!r}.", "action") from None
    if current not in sources:
        allowed = ", ".join(sorted(a for a, (src, _) in TRANSITIONS.items() if current in src)) or "none"
        raise Conflict("illegal_transition",
                       f"Cannot {action.replace('_', ' ')} a version that is {current.value}; "
                       f"possible actions: {allowed}.", "status")
    return target
