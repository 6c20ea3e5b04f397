"""Limits on the shape of what clients send: JSON nesting depth and node count.

A body or socket payload nested thousands of levels deep makes any recursive walk (the standard
json module, SQLAlchemy's JSON column, our own validators) raise RecursionError: a 500 or a
traceback from one request. The walk here is iterative, so it cannot itself overflow; it runs on
every JSON body (core.guard's JSON provider) and every socket payload (core.socket_guard).
"""
from __future__ import annotations

import json
import re
from typing import Any

# The protocol's deepest payloads (an item's content, a matching answer) are under ten levels.
MAX_DEPTH = 32
MAX_NODES = 100_000


def shape_problem(value: Any, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> str | None:
    """Why this decoded JSON value is refused (too deep, too many nodes), or None if it is fine."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            return f"more than {max_nodes} values"
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > max_depth:
            return f"nested deeper than {max_depth} levels"
        stack.extend((child, depth + 1) for child in children)
    return None


_EVENT_NAME = re.compile(r'\s*\[\s*("(?:[^"\\]|\\.){0,200}")')


def too_deep_packet(text: str | bytes) -> list[Any]:
    """What a Socket.IO packet too deep for any JSON parser stands for: its event name (read by
    hand from the start of the text) with a payload that the shape check refuses, so the client
    gets the event's usual refusal instead of a transport error."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = _EVENT_NAME.match(text)
    name = json.loads(found.group(1)) if found else ""
    placeholder: Any = "too deep"
    for _ in range(MAX_DEPTH + 1):
        placeholder = [placeholder]
    return [name, {"payload": placeholder}]
