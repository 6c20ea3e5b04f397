"""The review workflow of an item version, as one table of legal moves.

draft -> in_review -> approved -> retired, with `request_changes` and `withdraw` back to draft,
and `superseded` when a newer version replaces a draft or an approved version.
"""
from __future__ import annotations

from exam_server.bank.models import VersionStatus as S
from exam_server.core.states import Transitions

WORKFLOW: Transitions[S] = Transitions("a version", {
    "submit": ({S.DRAFT}, S.IN_REVIEW),
    "withdraw": ({S.IN_REVIEW}, S.DRAFT),
    "request_changes": ({S.IN_REVIEW}, S.DRAFT),
    "approve": ({S.IN_REVIEW}, S.APPROVED),
    "retire": ({S.APPROVED}, S.RETIRED),
    "supersede": ({S.DRAFT, S.APPROVED}, S.SUPERSEDED),
})
next_status = WORKFLOW.next_status

# Actions a reviewer takes: never on one's own version.
REVIEW_ACTIONS = frozenset({"approve", "request_changes"})
