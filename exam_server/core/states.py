"""Explicit state machines: one table of legal moves per kind of record.

Each feature declares `Transitions(noun, {action: (from statuses, to status)})` and changes a
status only through `next_status`, so an illegal move is refused the same way everywhere.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Generic, TypeVar

from exam_server.core.errors import Conflict

E = TypeVar("E", bound=enum.Enum)


class Transitions(Generic[E]):
    def __init__(self, noun: str, table: dict[str, tuple[Iterable[E], E]]):
        self.noun = noun  # "a version", "an exam": used in the refusal message
        self.table: dict[str, tuple[frozenset[E], E]] = {
            action: (frozenset(sources), target) for action, (sources, target) in table.items()}

    def allows(self, current: E, action: str) -> bool:
        return action in self.table and current in self.table[action][0]

    def possible(self, current: E) -> list[str]:
        return sorted(action for action in self.table if self.allows(current, action))

    def next_status(self, current: E, action: str) -> E:
        if action not in self.table:
            raise Conflict("unknown_action", f"Unknown action {action!r}.", "action")
        if not self.allows(current, action):
            raise Conflict("illegal_transition",
                           f"Cannot {action.replace('_', ' ')} {self.noun} that is {current.value}; "
                           f"possible actions: {', '.join(self.possible(current)) or 'none'}.", "status")
        return self.table[action][1]
