"""A minimal Socket.IO 5 / Engine.IO 4 client over one websocket (asyncio), written from the
protocol's own description: enough for thousands of simulated exam clients in one process, at a
fraction of python-socketio's cost per connection.

Only what docs/protocol.md uses: one namespace per connection, JSON events, acknowledgements,
server pings. No long-polling, no binary packets.
"""
from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable
from typing import Any

import websockets

OPEN, CLOSE, PING, PONG, MESSAGE = "0", "1", "2", "3", "4"
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = "0", "1", "2", "3", "4"


class Refused(Exception):
    """The server refused the namespace connection (connect_error): `code` is its message."""

    def __init__(self, code: str, data: Any = None):
        super().__init__(code)
        self.code, self.data = code, data


class Closed(Exception):
    """The connection went away before an acknowledgement arrived."""


class SocketIOClient:
    def __init__(self, url: str, namespace: str, *, headers: dict[str, str] | None = None,
                 on_event: Callable[[str, Any], None] | None = None, open_timeout: float = 30,
                 ssl_context: ssl.SSLContext | None = None):
        base = url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/")
        self.uri = f"{base}/socket.io/?EIO=4&transport=websocket"
        self.namespace = namespace
        self.headers = headers or {}
        self.on_event = on_event or (lambda event, data: None)
        self.open_timeout = open_timeout
        self.ssl_context = ssl_context      # wss:// through nginx (tests/chaos): its certificate
        self.ws = None
        self.sid: str | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self._connected = asyncio.Event()
        self._refused: Refused | None = None
        self._reader: asyncio.Task | None = None
        self.closed = asyncio.Event()
        self.close_reason: str | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set() and not self.closed.is_set()

    async def connect(self, auth: Any = None) -> None:
        """Open the websocket and the namespace; raises Refused (connect_error) or OSError."""
        self.ws = await asyncio.wait_for(
            websockets.connect(self.uri, additional_headers=self.headers, max_size=None, compression=None,
                               ping_interval=None, open_timeout=self.open_timeout,
                               **({"ssl": self.ssl_context} if self.ssl_context else {})),
            self.open_timeout)
        opened = await asyncio.wait_for(self.ws.recv(), self.open_timeout)
        if not opened.startswith(OPEN):
            raise OSError(f"unexpected Engine.IO open packet {opened[:40]!r}")
        self._reader = asyncio.create_task(self._read())
        packet = MESSAGE + CONNECT + self._ns()
        if auth is not None:
            packet += json.dumps(auth)
        await self.ws.send(packet)
        waiter = asyncio.create_task(self._connected.wait())
        closer = asyncio.create_task(self.closed.wait())
        try:
            await asyncio.wait({waiter, closer}, timeout=self.open_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            closer.cancel()
        if self._refused is not None:
            await self.close()
            raise self._refused
        if not self._connected.is_set():
            await self.close()
            raise OSError(f"namespace not opened ({self.close_reason or 'timeout'})")

    def _ns(self) -> str:
        return "" if self.namespace == "/" else self.namespace + ","

    async def emit(self, event: str, data: Any = None, *, timeout: float = 30) -> Any:
        """Send an event and wait for its acknowledgement (the handler's return value)."""
        if not self.connected:
            raise Closed("not connected")
        self._next_id += 1
        ack_id = self._next_id
        future = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        try:
            await self.ws.send(f"{MESSAGE}{EVENT}{self._ns()}{ack_id}{json.dumps([event, data])}")
            return await asyncio.wait_for(future, timeout)
        except websockets.ConnectionClosed:
            raise Closed("connection closed") from None
        finally:
            self._acks.pop(ack_id, None)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                if raw == PING:
                    await self.ws.send(PONG)
                elif raw.startswith(MESSAGE):
                    self._packet(raw[1:])
                elif raw.startswith(CLOSE):
                    break
        except (websockets.ConnectionClosed, OSError) as exc:
            self.close_reason = type(exc).__name__
        finally:
            self.close_reason = self.close_reason or "closed"
            self.closed.set()
            for future in self._acks.values():
                if not future.done():
                    future.set_exception(Closed(self.close_reason))

    def _packet(self, body: str) -> None:
        kind, body = body[0], body[1:]
        prefix = self._ns()
        if prefix:
            if not body.startswith(prefix):
                return
            body = body[len(prefix):]
        if kind == CONNECT:
            self.sid = json.loads(body).get("sid") if body else None
            self._connected.set()
        elif kind == CONNECT_ERROR:
            data = json.loads(body) if body else {}
            self._refused = Refused(data.get("message", "refused"), data.get("data"))
            self.closed.set()
        elif kind == DISCONNECT:
            self.close_reason = "io server disconnect"
            self.closed.set()
            asyncio.ensure_future(self.close())
        elif kind in (EVENT, ACK):
            digits = 0
            while digits < len(body) and body[digits].isdigit():
                digits += 1
            ack_id = int(body[:digits]) if digits else None
            payload = json.loads(body[digits:])
            if kind == ACK:
                future = self._acks.get(ack_id)
                if future is not None and not future.done():
                    future.set_result(payload[0] if payload else None)
            else:
                self.on_event(payload[0], payload[1] if len(payload) > 1 else None)

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass
        self.closed.set()


def monotonic_ms() -> float:
    return time.monotonic() * 1000.0
