"""Small helpers for reading requests safely."""
from __future__ import annotations

from typing import Any

from flask import request

from exam_server.core.errors import ApiError


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError("expected_json", "Send a JSON object with Content-Type: application/json.", 415)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("bad_json", "The body is not a JSON object.", 400)
    return body


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError("bad_argument", f"{name} must be a whole number from {low} to {high}.", 400, name)
    return int(raw)
