"""How Socket.IO packets are written and read: JSON only, with orjson.

python-socketio's default packet walks every payload looking for binary data (to split it into
attachments) before it serialises it with the standard json module; for a paper of forty
questions sent to two thousand students at a room's start that walk alone cost more than
everything else. The protocol (docs/protocol.md) never carries binary, so this packet skips the
walk and writes with orjson. Reading falls back to the standard module for what orjson refuses
(integers beyond 64 bits): a client's odd payload is refused by the handler, not the transport."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
from socketio.packet import Packet

from exam_server.core.shape import too_deep_packet


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class _Json:
    @staticmethod
    def dumps(value: Any, **_kwargs) -> str:
        return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS).decode()

    @staticmethod
    def loads(text: str | bytes, **_kwargs) -> Any:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                return json.loads(text)
            except RecursionError:   # nested past any parser's depth: the handler refuses it (core.shape)
                return too_deep_packet(text)


class JsonPacket(Packet):
    uses_binary_events = False
    json = _Json
